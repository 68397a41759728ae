#!/usr/bin/env bash
# The AgentDojo replay harness without a server: trace reading, plans, bindings, inputs,
# report rendering, and no attacker value in any mandate file (tests/agentdojo/harness_test.mjs).
set -euo pipefail
node --test tests/agentdojo/harness_test.mjs

#!/usr/bin/env bash
# The records rules (known payees, established correspondents) decided by the real server
# ($1): tests/agentdojo/records_test.mjs.
set -euo pipefail
node tests/agentdojo/records_test.mjs "${1:?usage: records.sh path/to/mandate}"

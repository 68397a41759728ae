#!/usr/bin/env bash
# The suites without attacks in the traces (workspace, travel, slack): their utility must
# equal docs/benchmarks/agentdojo.md's. Banking is tests/agentdojo/replay.sh.
set -euo pipefail
AGENTDOJO_SUITES="workspace travel slack" exec bash "$(dirname "$0")/replay.sh" "$@"

#!/usr/bin/env bash
# Runs tests/delegation/<NAME>_test.js over the real server, NAME being this script's name
# (delegation.sh, approvals.sh, kill.sh and on_behalf.sh are links to it, one ctest each).
set -euo pipefail
bin=${1:?usage: NAME.sh path/to/mandate}
name=$(basename "$0" .sh)
export NODE_PATH="$PWD/tests/node/node_modules"
MANDATE_BIN="$bin" exec timeout 150 node "tests/delegation/${name}_test.js" "$bin"

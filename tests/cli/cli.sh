#!/usr/bin/env bash
# `mandate task ...`, `mandate authorize` and `mandate explain` against the real server (see
# cli_test.js).
set -euo pipefail
bin=${1:?usage: cli.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
MANDATE_BIN="$bin" timeout 150 node tests/cli/cli_test.js

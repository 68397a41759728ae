#!/usr/bin/env bash
# The authority end to end over HTTP (see authority_test.js).
set -euo pipefail
bin=${1:?usage: authority.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
MANDATE_BIN="$bin" timeout 300 node tests/authority/authority_test.js

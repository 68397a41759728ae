#!/usr/bin/env bash
# Sealed step credentials at `mandate gateway`, with an enforcement-point token scoped to its audience.
set -euo pipefail
bin=${1:?usage: sealed.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
timeout 60 node tests/enforce/sealed_test.js "$bin"

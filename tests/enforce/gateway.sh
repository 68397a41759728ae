#!/usr/bin/env bash
# mandate gateway: credential injection, header stripping, refusals and revocation.
set -euo pipefail
bin=${1:?usage: gateway.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
timeout 120 node tests/enforce/gateway_test.js "$bin"

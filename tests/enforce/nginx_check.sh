#!/usr/bin/env bash
# Real nginx (auth_request) -> mandate serve /v1/check, in front of a small upstream.
set -euo pipefail
bin=${1:?usage: nginx_check.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
timeout 120 node tests/enforce/nginx_check_test.js "$bin"

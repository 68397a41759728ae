#!/usr/bin/env bash
# A full disk under the running authority (see disk_full_test.js).
set -euo pipefail
bin=${1:?usage: disk_full.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
MANDATE_BIN="$bin" timeout 120 node tests/authority/disk_full_test.js

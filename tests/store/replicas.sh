#!/usr/bin/env bash
# Two `mandate serve` replicas on one real PostgreSQL 15 server (see replicas_test.js).
set -euo pipefail
bin=${1:?usage: replicas.sh path/to/mandate}
. tests/store/postgres_server.sh
start_postgres
export NODE_PATH="$PWD/tests/node/node_modules"
MANDATE_BIN="$bin" timeout 120 node tests/store/replicas_test.js

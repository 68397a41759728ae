#!/usr/bin/env bash
# The store contract suite against a real PostgreSQL 15 server (postgres_server.sh), then stop
# the server.
set -euo pipefail
bin=${1:?usage: postgres.sh path/to/mandate}
test_bin="$(dirname "$bin")/store_postgres_contract_test"
[ -x "$test_bin" ] || { echo "missing $test_bin (build target store_postgres_contract_test)"; exit 1; }
. tests/store/postgres_server.sh
start_postgres
"$test_bin" --gtest_brief=1
echo "store postgres contract: ok"

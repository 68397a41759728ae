#!/usr/bin/env bash
# The store contract suite against a real PostgreSQL 15 server: initdb into a temp dir, start
# postgres on 127.0.0.1 with a free port (as the unprivileged `postgres` user when run as
# root: the server refuses root), run build/store_postgres_contract_test, stop the server.
set -euo pipefail
bin=${1:?usage: postgres.sh path/to/mandate}
test_bin="$(dirname "$bin")/store_postgres_contract_test"
[ -x "$test_bin" ] || { echo "missing $test_bin (build target store_postgres_contract_test)"; exit 1; }
pg=/usr/lib/postgresql/15/bin
[ -x "$pg/postgres" ] || { echo "PostgreSQL 15 server binaries not found in $pg"; exit 1; }

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_pg=(runuser -u postgres --)
fi

tmp=$(mktemp -d /tmp/mandate-pg-XXXXXX)
chmod 755 "$tmp"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$tmp"
pid=""
cleanup() {
  # Signal the postmaster itself (runuser does not forward SIGINT): fast shutdown, bounded wait.
  if [ -f "$tmp/data/postmaster.pid" ]; then
    kill -INT "$(head -1 "$tmp/data/postmaster.pid")" 2>/dev/null || true
  fi
  if [ -n "$pid" ]; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"${as_pg[@]}" "$pg/initdb" -D "$tmp/data" -U postgres --auth=trust -E UTF8 >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log"; exit 1; }

# postgres cannot listen on port 0: pick a random high port, and another if it is taken.
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  "${as_pg[@]}" "$pg/postgres" -D "$tmp/data" -k "$tmp" -p "$port" \
    -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on >"$tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if "$pg/pg_isready" -h 127.0.0.1 -p "$port" -q; then break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if "$pg/pg_isready" -h 127.0.0.1 -p "$port" -q; then break; fi
  kill "$pid" 2>/dev/null || true
  pid=""
  [ "$attempt" -eq 5 ] && { cat "$tmp/server.log"; echo "postgres did not start"; exit 1; }
done

export MANDATE_TEST_POSTGRES="postgresql://postgres@127.0.0.1:$port/postgres"
"$test_bin" --gtest_brief=1
echo "store postgres contract: ok"

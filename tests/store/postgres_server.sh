# Sourced by the tests that need a real PostgreSQL 15 server (postgres.sh, replicas.sh):
# `start_postgres` runs initdb into a temp dir and starts postgres on 127.0.0.1 with a free port
# (as the unprivileged `postgres` user when run as root: the server refuses root), sets
# MANDATE_TEST_POSTGRES to its URL, and stops it (removing the dir) when the script exits.
pg=/usr/lib/postgresql/15/bin

start_postgres() {
  [ -x "$pg/postgres" ] || { echo "PostgreSQL 15 server binaries not found in $pg"; exit 1; }
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    as_pg=(runuser -u postgres --)
  fi
  pg_tmp=$(mktemp -d /tmp/mandate-pg-XXXXXX)
  chmod 755 "$pg_tmp"
  [ ${#as_pg[@]} -gt 0 ] && chown postgres "$pg_tmp"
  pg_pid=""
  trap stop_postgres EXIT

  "${as_pg[@]}" "$pg/initdb" -D "$pg_tmp/data" -U postgres --auth=trust -E UTF8 >"$pg_tmp/initdb.log" 2>&1 \
    || { cat "$pg_tmp/initdb.log"; exit 1; }

  # postgres cannot listen on port 0: pick a random high port, and another if it is taken.
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    "${as_pg[@]}" "$pg/postgres" -D "$pg_tmp/data" -k "$pg_tmp" -p "$port" \
      -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on >"$pg_tmp/server.log" 2>&1 &
    pg_pid=$!
    for _ in $(seq 1 100); do
      if "$pg/pg_isready" -h 127.0.0.1 -p "$port" -q; then break; fi
      kill -0 "$pg_pid" 2>/dev/null || break
      sleep 0.1
    done
    if "$pg/pg_isready" -h 127.0.0.1 -p "$port" -q; then break; fi
    kill "$pg_pid" 2>/dev/null || true
    pg_pid=""
    [ "$attempt" -eq 5 ] && { cat "$pg_tmp/server.log"; echo "postgres did not start"; exit 1; }
  done
  export MANDATE_TEST_POSTGRES="postgresql://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  # Signal the postmaster itself (runuser does not forward SIGINT): fast shutdown, bounded wait.
  if [ -f "$pg_tmp/data/postmaster.pid" ]; then
    kill -INT "$(head -1 "$pg_tmp/data/postmaster.pid")" 2>/dev/null || true
  fi
  if [ -n "$pg_pid" ]; then
    for _ in $(seq 1 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pg_pid" 2>/dev/null || true
  fi
  rm -rf "$pg_tmp"
}

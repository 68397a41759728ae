#!/usr/bin/env bash
# kill -9 durability: a writer process appends audit records (and revocations and tasks) from
# two threads and prints each sequence number only after WaitDurable. We kill -9 it mid-stream,
# twice (the second run continues the chain written before the first crash), and check that
# every acknowledged record is in the store and `mandate audit verify` passes. Round 1 runs the
# default durability (`process`: WAL without fsync, the level kill -9 needs), round 2 `power`.
set -euo pipefail
bin=${1:?usage: kill9.sh path/to/mandate}
writer="$(dirname "$bin")/audit_crash_writer"
[ -x "$writer" ] || { echo "missing $writer (build target audit_crash_writer)"; exit 1; }
tmp=$(mktemp -d /tmp/mandate-kill9-XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/data"

for round in 1 2; do
  durability=process
  [ "$round" = 2 ] && durability=power
  : >"$tmp/acks-$round"
  "$writer" write "$tmp/data" "$durability" >"$tmp/acks-$round" 2>"$tmp/writer-$round.err" &
  pid=$!
  # Let it run until it has acknowledged a few thousand records (bounded: 30 s).
  for _ in $(seq 1 300); do
    n=$(grep -c '^a ' "$tmp/acks-$round" || true)
    [ "$n" -ge 3000 ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/writer-$round.err"; echo "writer died"; exit 1; }
    sleep 0.1
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  acked=$(grep -c '^a ' "$tmp/acks-$round" || true)
  [ "$acked" -ge 1 ] || { echo "round $round: nothing acknowledged"; exit 1; }
  echo "round $round ($durability): killed after $acked acknowledged audit records"
  "$writer" check "$tmp/data" "$tmp/acks-$round"
  "$bin" audit verify --data "$tmp/data"
done
echo "audit kill -9: ok"

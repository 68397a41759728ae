#!/usr/bin/env bash
# Instructions the gateway executes per request (user space only: the kernel's share is not
# counted), from callgrind: the first gateway of bench.js runs under valgrind, and collection is
# switched on for the sealed run alone (MANDATE_BENCH_MODES=sealed, a low rate so valgrind keeps
# up) until the gateway exits. Deterministic where CPU time on a shared machine is not: the
# figure to compare a change with (it includes the run's fixed costs, e.g. one ES256 proof per
# connection: compare runs of the same length). Audit records are flushed every 1000 ms so that
# batches fill up to 32 as they do at 3k/s (at 50/s the default 50 ms would send batches of 2 or
# 3, whose per-batch cost would weigh ten times more per call). Needs valgrind; no timing lock.
# Usage: bench/enforce/callgrind.sh [BUILD_DIR] [RATE] [SECONDS] [OUT]   (from the repository root)
#   prints `instructions per request: N` and leaves the profile in OUT (callgrind_annotate OUT)
set -euo pipefail
build=${1:-build-rel}
rate=${2:-50}
seconds=${3:-4}
out=${4:-$(mktemp -d)/callgrind.out}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
MANDATE_BENCH_AUDIT_FLUSH_MS=${MANDATE_BENCH_AUDIT_FLUSH_MS:-1000} MANDATE_BENCH_GATEWAY_WRAP="valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$out" \
  MANDATE_BENCH_PHASES=gateway MANDATE_BENCH_RATES=$rate MANDATE_BENCH_MODES=sealed \
  bench/enforce/run.sh "$build" 1000 "$seconds" >"$log" 2>&1 &
bench=$!
# Instrumentation goes on while the load generator mints the run's credentials (turning it on
# retranslates the whole program, seconds under valgrind) and stays on until the gateway exits
# (turning it off zeroes the counts): its shutdown, delivering the last audit records, counts too.
wait_for() {  # a process whose command line matches $1; prints its pid
  for _ in $(seq 1 1200); do
    pgrep -f "$1" | head -1 | grep . && return 0
    kill -0 "$bench" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.05
  done
  return 1
}
gateway=$(wait_for "valgrind.*--callgrind-out-file=$out")
wait_for "enforce_loadgen .*--htu http://gw.bench/sealed/.*--mint-only" >/dev/null
callgrind_control -i on "$gateway" >>"$log" 2>&1
wait "$bench" || true
line=$(grep 'gateway, held sealed' "$log")
echo "$line"
sent=$(sed -n 's/.*ok \([0-9]*\)\/\([0-9]*\)).*/\2/p' <<<"$line")
# The bench stops the gateway gracefully; callgrind writes OUT as it exits.
total=$(grep -m1 "^totals:" "$out" | cut -d" " -f2)
echo "instructions per request: $((total / sent)) ($total over $sent requests; profile: $out)"

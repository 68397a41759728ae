#!/usr/bin/env bash
# Instructions `mandate serve` executes per POST /v1/authorize (user space only), from callgrind:
# the deterministic figure to compare a change with, where CPU time on a shared machine is not.
# The server runs one thread under valgrind; wrk (one thread, 8 connections) sends calls of
# bench/authority/authorize.lua for SECONDS; collection covers exactly those calls. Printed: all
# instructions per call, and those outside libsodium and libcrypto (valgrind runs OpenSSL's
# SHA-256 without the CPU's SHA extensions, so libcrypto's count is no guide to its time).
# Usage: bench/authority/callgrind.sh [BUILD_DIR] [fresh|bound] [SECONDS] [OUT]   (repository root)
set -euo pipefail
build=${1:-build-rel}; mode=${2:-fresh}; secs=${3:-20}
tmp=$(mktemp -d)
out=${4:-$tmp/callgrind.out}
vg=""
trap '[ -z "$vg" ] || kill "$vg" 2>/dev/null; rm -rf "$tmp"' EXIT
"$build/mandate" dev trust-domain --trust-domain example.org --out "$tmp/trust" >/dev/null
mkdir -p "$tmp/mandates" "$tmp/agent"
cp bench/authority/mandates/steady-research.yaml "$tmp/mandates/"
valgrind --tool=callgrind --callgrind-out-file="$out" "$build/mandate" serve \
  --listen 127.0.0.1:0 --port-file "$tmp/port" --mandates "$tmp/mandates" --data "$tmp/data" \
  --trust-bundle "spiffe://example.org=$tmp/trust/bundle.json" --threads 1 >"$tmp/serve.log" 2>&1 &
vg=$!
for _ in $(seq 600); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "mandate serve did not start under valgrind" >&2; exit 1; }
server="http://127.0.0.1:$(cat "$tmp/port")"
"$build/bench/authority/authority_http_agent" start --server "$server" \
  --trust-key "$tmp/trust/svid-issuer.key.json" --out "$tmp/agent" --tasks 2 --proofs 20000
decisions() {  # [OUTCOME]
  curl -sf "$server/metrics" | awk -v o="${1:-}" 'index($1, "mandate_decisions_total{") == 1 &&
    (o == "" || index($1, "outcome=\"" o "\"")) { s += $2 } END { printf "%d", s }'
}
before=$(decisions); allowed0=$(decisions allow)
callgrind_control -z "$vg" >/dev/null
# The first 16 requests carry proofs, so each of the 8 connections binds with its first one.
BENCH_MODE=$mode BENCH_DATA="$tmp/agent" BENCH_FIRST=16 wrk -t1 -c8 -d"${secs}s" \
  -s bench/authority/authorize.lua "$server" >"$tmp/wrk.out"
callgrind_control -d "$vg" >/dev/null
calls=$(($(decisions) - before))
! grep -q "Non-2xx" "$tmp/wrk.out" || { cat "$tmp/wrk.out" >&2; echo "wrk: failed answers" >&2; exit 1; }
# Every call measured must be the allow path the benchmark is about, never a cheaper deny.
[ $(($(decisions allow) - allowed0)) = "$calls" ] ||
  { echo "not every call was allowed: $calls calls, $(($(decisions allow) - allowed0)) allowed" >&2; exit 1; }
kill "$vg"; wait "$vg" 2>/dev/null || true; vg=""
# Self cost per object (a cost line after `calls=` is the callee's inclusive cost: skipped).
awk -v calls="$calls" -v mode="$mode" '
  function object(o) {  # "(id) name" defines an id (in ob= or cob= lines), "(id)" uses it
    if (match(o, /^\([0-9]+\) /)) { obj[substr(o, 1, RLENGTH - 1)] = substr(o, RLENGTH + 1); return substr(o, RLENGTH + 1) }
    return (o in obj) ? obj[o] : o
  }
  /^ob=/ { cur = object(substr($0, 4)); next }
  /^cob=/ { object(substr($0, 5)); next }
  /^fn=/ { fob = cur; next }
  /^calls=/ { skip = 1; next }
  /^[0-9+*-]/ { if (skip) { skip = 0; next } if (NF >= 2) { all += $2; if (fob ~ /libsodium|libcrypto/) crypto += $2 } }
  END { printf "%s: %d calls; instructions per call: %.0f, outside libsodium and libcrypto: %.0f\n", mode, calls, all / calls, (all - crypto) / calls }
' "$out.1"

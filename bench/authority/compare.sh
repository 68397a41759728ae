#!/usr/bin/env bash
# Compares two `mandate` binaries on bench/authority/run.sh's (a) (bound calls against nginx) in
# the same minutes: one nginx and both servers run side by side. Each round runs nginx, then
# both servers (in turn first), each under the same wrk with tasks and proofs of its own. On this
# shared machine one binary's ratio moves by +-0.1 from minute to minute, so two builds compare
# only round by round.
# Usage: bench/authority/compare.sh BASE_MANDATE NEW_MANDATE [ROUNDS] [BUILD_DIR]
#   BUILD_DIR (default build-rel) gives authority_http_agent; env DURATION (wrk, default 4s).
# Prints, per round, each binary's ratio to nginx and server CPU per call; then the means and the
# rounds NEW won.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
declare -A bin=([base]=$1 [new]=$2)
rounds=${3:-10}
build=${4:-build-rel}
duration=${DURATION:-4s}
agent=$(find "$build" -name authority_http_agent -type f -perm -u+x | head -1)
[ -n "$agent" ] || { echo "authority_http_agent not built in $build" >&2; exit 1; }

. bench/http/nginx.sh
scratch
start_nginx "$tmp/nginx"
"${bin[base]}" dev trust-domain --trust-domain example.org --out "$tmp/trust" >/dev/null
mkdir -p "$tmp/mandates"
cp bench/authority/mandates/steady-research.yaml "$tmp/mandates/"
declare -A url pid
for v in base new; do
  "${bin[$v]}" serve --listen 127.0.0.1:0 --port-file "$tmp/port.$v" --mandates "$tmp/mandates" \
    --data "$tmp/data.$v" --trust-bundle "spiffe://example.org=$tmp/trust/bundle.json" \
    --threads 2 >"$tmp/serve.$v.log" 2>&1 &
  pid[$v]=$!
  pids+=("${pid[$v]}")
  for _ in $(seq 100); do [ -s "$tmp/port.$v" ] && break; sleep 0.1; done
  [ -s "$tmp/port.$v" ] || { echo "$v: mandate serve did not start" >&2; exit 1; }
  url[$v]="http://127.0.0.1:$(cat "$tmp/port.$v")"
done

server_cpu() { awk '{ printf "%.3f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
rate() { # URL [SCRIPT MODE DATA]
  BENCH_MODE=${3:-} BENCH_DATA=${4:-} wrk -t2 -c32 -d"$duration" \
    -s "${2:-bench/http/authorize.lua}" "$1" >"$tmp/wrk.out"
  if grep -q "Non-2xx" "$tmp/wrk.out" && [ -n "${3:-}" ]; then
    cat "$tmp/wrk.out" >&2; echo "wrk: failed answers" >&2; exit 1
  fi
  awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out"
}
results=""
for r in $(seq "$rounds"); do
  nginx=$(rate "http://127.0.0.1:$nginx_port")
  order="base new"
  [ $((r % 2)) = 0 ] && order="new base"
  line="round $r:"
  for v in $order; do
    data="$tmp/bound.$v.$r"
    mkdir -p "$data"
    "$agent" start --server "${url[$v]}" --trust-key "$tmp/trust/svid-issuer.key.json" \
      --out "$data" --tasks 2 --proofs 128 >/dev/null
    c0=$(server_cpu "${pid[$v]}")
    x=$(rate "${url[$v]}" bench/authority/authorize.lua bound "$data")
    c1=$(server_cpu "${pid[$v]}")
    calls=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
    entry=$(awk -v v="$v" -v x="$x" -v n="$nginx" -v a="$c0" -v b="$c1" -v q="$calls" \
      'BEGIN { printf "%s %.3f %.1f", v, x / n, (b - a) * 1e6 / q }')
    line+=" $entry"
    results+="$r $entry"$'\n'
  done
  echo "$line (ratio to nginx, server CPU us per call)"
done
printf '%s' "$results" | awk '{ s[$2] += $3; c[$2] += $4; n[$2]++; ratio[$1, $2] = $3 }
  END { for (r = 1; ratio[r, "base"] != ""; r++) won += ratio[r, "new"] > ratio[r, "base"]
    printf "mean ratio: base %.3f, new %.3f; CPU per call: base %.1f us, new %.1f us; new ahead in %d of %d rounds\n",
      s["base"] / n["base"], s["new"] / n["new"], c["base"] / n["base"], c["new"] / n["new"], won, n["base"] }'

#!/usr/bin/env bash
# wrk against the Mandate HTTP server (trivial 204 handler) and nginx (`return 204;`) on this
# machine, same wrk script and settings; prints both rates and the ratio.
# Usage: bench/http/run.sh [BUILD_DIR] [SERVER_THREADS]   (wrk -t2 -c32 -d5s by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
threads=${2:-2}
duration=${DURATION:-5s}
server_bin=$(find "$build" -name http_bench_server -type f -perm -u+x | head -1)
[ -n "$server_bin" ] || { echo "http_bench_server not built in $build" >&2; exit 1; }
. bench/http/nginx.sh
scratch  # $tmp, and every pid in $pids stopped on exit
start_nginx "$tmp/nginx"

"$server_bin" "$threads" >"$tmp/port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
mandate_port=$(cat "$tmp/port")
curl -s -o /dev/null -w '' -X POST "http://127.0.0.1:$mandate_port/v1/authorize"

rate() { wrk -t2 -c32 -d"$duration" -s bench/http/authorize.lua "$1" | awk '/Requests\/sec/ {print $2}'; }
nginx_rate=$(rate "http://127.0.0.1:$nginx_port")
mandate_rate=$(rate "http://127.0.0.1:$mandate_port")
echo "nginx   (return 204):      $nginx_rate req/s"
echo "mandate (http, 204 route): $mandate_rate req/s  ($threads worker threads)"
awk -v m="$mandate_rate" -v n="$nginx_rate" 'BEGIN { printf "ratio mandate/nginx: %.2f\n", m / n }'

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
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# nginx on a dynamic port: ask the kernel for a free one, then bind it (retry on a race).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nginx_port=""
for _ in 1 2 3 4 5; do
  port=$(free_port)
  mkdir -p "$tmp/nginx/logs"
  cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port reuseport;
    location / { return 204; }
  }
}
CONF
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2>"$tmp/nginx/stderr" &
  pids+=($!)
  for _ in $(seq 50); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/v1/authorize" && { nginx_port=$port; break; }
    sleep 0.1
  done
  [ -n "$nginx_port" ] && break
done
[ -n "$nginx_port" ] || { echo "nginx did not start" >&2; cat "$tmp/nginx/stderr" >&2; exit 1; }

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

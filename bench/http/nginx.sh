# Sourced by the benchmarks that compare against nginx (bench/http/run.sh,
# bench/authority/run.sh).
#   scratch:         makes a temporary folder `$tmp` and an array `pids` whose processes are
#                    stopped (and the folder removed) when the script exits;
#   start_nginx DIR: starts nginx (2 workers, `return 204;` on every path, access log off,
#                    keep-alive without limit) on a free 127.0.0.1 port, appends its pid to
#                    `pids` and sets `nginx_port`.
scratch() {
  tmp=$(mktemp -d)
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_nginx() {
  local dir=$1 port
  nginx_port=""
  # Ask the kernel for a free port, then bind it (retry on a race).
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port reuseport;
    location / { return 204; }
  }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/stderr" &
    pids+=($!)
    for _ in $(seq 50); do
      curl -s -o /dev/null -X POST "http://127.0.0.1:$port/v1/authorize" && { nginx_port=$port; return 0; }
      sleep 0.1
    done
  done
  echo "nginx did not start" >&2
  cat "$dir/stderr" >&2
  return 1
}

#!/usr/bin/env bash
# `make run`: starts the authority on the embedded store with the example mandates, then runs
# the demo agent against it: a chain allowed step by step, a deviation denied with its reason
# and the task revoked, and a deadline expiring. The server keeps running until Ctrl-C
# (set MANDATE_DEMO_EXIT=1 to stop it after the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/mandate
data=${MANDATE_DATA:-mandate-data}
mkdir -p "$data"
"$bin" dev trust-domain --trust-domain example.org --out "$data/trust" >/dev/null
rm -f "$data/port"
"$bin" serve --listen 127.0.0.1:8181 --mandates examples/mandates --data "$data" \
  --trust-bundle "spiffe://example.org=$data/trust/bundle.json" --port-file "$data/port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$data/port" ] && break; sleep 0.1; done
[ -s "$data/port" ] || { echo "demo: the server did not start"; exit 1; }
url="http://127.0.0.1:$(cat "$data/port")"
"$bin" demo --server "$url" --trust-key "$data/trust/svid-issuer.key.json"
echo
echo "demo: the audit trail so far (GET $url/v1/audit, operator token in $data/admin.token):"
curl -s -H "Authorization: Bearer $(cat "$data/admin.token")" "$url/v1/audit?limit=50" | cut -c1-160 | tail -5
"$bin" audit verify --data "$data" || true
if [ "${MANDATE_DEMO_EXIT:-0}" = 1 ]; then exit 0; fi
echo "the server is still running at $url (Ctrl-C stops it)"
wait $server

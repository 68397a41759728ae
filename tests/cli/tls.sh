#!/usr/bin/env bash
# HTTPS and mTLS listeners of the real binary: `mandate serve --tls-cert/--tls-key
# [--tls-client-ca]`, the gateway's `tls:` block and `mcp-proxy --listen` with the same flags,
# with certificates from the openssl CLI.
# The CLI agent (task start, authorize) and the gateway reach the authority over HTTPS, trusting
# the test CA through SSL_CERT_FILE as any OpenSSL client does; curl checks what a client
# without the CA, without a client certificate, or speaking plain HTTP gets. On the mTLS server an
# agent with no token starts its task as the SPIFFE ID of its X.509-SVID client certificate.
set -euo pipefail
bin=$(realpath "${1:?usage: tls.sh path/to/mandate}")
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A CA, a server certificate for 127.0.0.1, and a client certificate, all from the CA.
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca \
  -keyout ca.key -out ca.pem 2>/dev/null
issue() {  # NAME EXTENSIONS
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile <(printf '%s\n' "$2") -out "$1.pem" 2>/dev/null
}
issue server "subjectAltName=IP:127.0.0.1"
issue agent "extendedKeyUsage=clientAuth"
cd - >/dev/null

wait_port() {  # FILE
  for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
  fail "no port in $1"
}
"$bin" dev trust-domain --trust-domain example.org --out "$dir/trust" >/dev/null
serve() {  # NAME EXTRA_FLAGS...
  local name=$1; shift
  "$bin" serve --listen 127.0.0.1:0 --port-file "$dir/$name.port" --mandates examples/mandates \
    --data "$dir/data-$name" --trust-bundle "spiffe://example.org=${bundle:-$dir/trust/bundle.json}" \
    --tls-cert "$dir/server.pem" --tls-key "$dir/server.key" "$@" 2>"$dir/$name.log" &
  pids+=($!)
  wait_port "$dir/$name.port"
}

# 1. HTTPS: a client trusting the CA gets answers; one that does not, or plain HTTP, gets none.
serve tls
url=https://127.0.0.1:$(cat "$dir/tls.port")
grep -q "listening on https://" "$dir/tls.log" || fail "serve does not announce https"
[ "$(curl -sf --cacert "$dir/ca.pem" "$url/healthz")" = '{"status":"ok"}' ] || fail "healthz over https"
! curl -sf "$url/healthz" >/dev/null 2>&1 || fail "a client without the CA was served"
! curl -sf --max-time 5 "http://127.0.0.1:$(cat "$dir/tls.port")/healthz" >/dev/null 2>&1 ||
  fail "plain HTTP was served on the HTTPS port"

# 2. The CLI agent over HTTPS end to end: start a task, an allowed call, a denied one.
export SSL_CERT_FILE=$dir/ca.pem
started=$("$bin" task start --server "$url" --agent-dir "$dir/agent" --mandate payments \
  --inputs '{"payee":"acme","cap":500}' --dev-trust-key "$dir/trust/svid-issuer.key.json" \
  --spiffe-id spiffe://example.org/agents/payments/tls)
task=$(printf '%s' "$started" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])')
"$bin" authorize --server "$url" --agent-dir "$dir/agent" --task "$task" --system bank \
  --action GET --resource /accounts/main/balance | grep -q '"decision":"allow"' ||
  fail "authorize over https was not allowed"
if "$bin" authorize --server "$url" --agent-dir "$dir/agent" --task "$task" --system bank \
  --action DELETE --resource /accounts/main >"$dir/deny.json"; then
  fail "an off-mandate call was allowed"
fi
grep -q '"decision":"deny"' "$dir/deny.json" || fail "no deny over https: $(cat "$dir/deny.json")"

# 3. The gateway: HTTPS for agents, and the authority reached over HTTPS.
cat >"$dir/gw.yaml" <<YAML
listen: 127.0.0.1:0
tls: {cert: $dir/server.pem, key: $dir/server.key}
authority: $url
ep_token_file: $dir/data-tls/ep.token
systems:
  - name: bank
    upstream: http://127.0.0.1:9
    routes:
      - {method: GET, path: "/accounts/{id}/balance", action: GET, resource: "/accounts/{id}/balance"}
YAML
"$bin" gateway --config "$dir/gw.yaml" >"$dir/gw.out" 2>"$dir/gw.log" &
pids+=($!)
for _ in $(seq 200); do grep -q "listening on" "$dir/gw.out" && break; sleep 0.05; done
gw=$(grep -o 'https://[0-9.:]*' "$dir/gw.out" | head -1)
[ -n "$gw" ] || fail "the gateway did not announce https: $(cat "$dir/gw.out" "$dir/gw.log")"
code=$(curl -s --cacert "$dir/ca.pem" -o "$dir/gw.json" -w '%{http_code}' "$gw/bank/accounts/main/balance")
[ "$code" = 401 ] || fail "gateway over https without a credential: $code $(cat "$dir/gw.json")"
grep -q '"code"' "$dir/gw.json" || fail "gateway refusal is not a JSON error"
! curl -sf "$gw/bank/accounts/main/balance" >/dev/null 2>&1 || fail "gateway served a client without the CA"

# 3b. The MCP proxy over Streamable HTTP: HTTPS for agents; TLS flags without --listen refused.
"$bin" mcp-proxy --authority "$url" --ep-token-file "$dir/data-tls/ep.token" --system notes \
  --listen 127.0.0.1:0 --upstream http://127.0.0.1:9/mcp --audit-spool "$dir/mcp-spool" \
  --tls-cert "$dir/server.pem" --tls-key "$dir/server.key" >"$dir/mcp.out" 2>"$dir/mcp.log" &
pids+=($!)
for _ in $(seq 200); do grep -q "listening on" "$dir/mcp.out" && break; sleep 0.05; done
mcp=$(grep -o 'https://[0-9.:]*' "$dir/mcp.out" | head -1)
[ -n "$mcp" ] || fail "the MCP proxy did not announce https: $(cat "$dir/mcp.out" "$dir/mcp.log")"
code=$(curl -s --cacert "$dir/ca.pem" -o "$dir/mcp.json" -w '%{http_code}' -X POST \
  -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}' "$mcp/mcp")
[ "$code" = 401 ] || fail "MCP proxy over https without a credential: $code $(cat "$dir/mcp.json")"
[ "$(ls "$dir/mcp-spool" | wc -l)" = 2 ] || fail "the MCP proxy's audit spool holds no files of its own"
if "$bin" mcp-proxy --authority "$url" --ep-token-file x --system notes \
  --tls-cert "$dir/server.pem" --tls-key "$dir/server.key" -- true 2>"$dir/stdio.log"; then
  fail "TLS flags on the stdio transport were accepted"
fi
grep -q "serve the http transport" "$dir/stdio.log" || fail "$(cat "$dir/stdio.log")"

# 4. mTLS: only a client with a certificate from the client CA gets a connection.
serve mtls --tls-client-ca "$dir/ca.pem"
murl=https://127.0.0.1:$(cat "$dir/mtls.port")
! curl -sf --cacert "$dir/ca.pem" "$murl/healthz" >/dev/null 2>&1 ||
  fail "mTLS served a client without a certificate"
[ "$(curl -sf --cacert "$dir/ca.pem" --cert "$dir/agent.pem" --key "$dir/agent.key" "$murl/healthz")" = \
  '{"status":"ok"}' ] || fail "mTLS refused the client certificate"

# 4b. X.509-SVIDs: on the mTLS server, an agent that sends no token starts its task as the SPIFFE
# ID in its client certificate, verified against the trust domain's bundle (here the test CA as
# an `x509-svid` key beside the JWT-SVID keys).
cd "$dir"
svid_ext() { printf 'subjectAltName=URI:%s\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth' "$1"; }
issue svid "$(svid_ext spiffe://example.org/agents/payments/x509)"
issue stranger "$(svid_ext spiffe://example.org/agents/other)"
cd - >/dev/null
python3 - "$dir/trust/bundle.json" "$(openssl x509 -in "$dir/ca.pem" -outform DER | base64 -w0)" \
  >"$dir/x509-bundle.json" <<'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
bundle["keys"].append({"kty": "EC", "use": "x509-svid", "x5c": [sys.argv[2]]})
print(json.dumps(bundle))
PY
# The operator's check of an SVID, as the server makes it.
"$bin" token verify-svid --bundle "$dir/x509-bundle.json" --trust-domain example.org "$dir/svid.pem" |
  grep -qx "valid: spiffe://example.org/agents/payments/x509" || fail "token verify-svid: not valid"
if "$bin" token verify-svid --bundle "$dir/x509-bundle.json" --trust-domain example.org \
  "$dir/agent.pem" >"$dir/verify-svid.out"; then
  fail "token verify-svid accepted a certificate without a SPIFFE ID"
fi
grep -q "rejected: svid.uri_san_count" "$dir/verify-svid.out" || fail "$(cat "$dir/verify-svid.out")"
# Hostile chain files: not PEM, a PEM cut short, an endless device. Each a reason, exit 1.
head -c "$(($(wc -c <"$dir/svid.pem") / 2))" "$dir/svid.pem" >"$dir/cut.pem"
printf 'not a certificate\n' >"$dir/junk.pem"
for chain in "$dir/junk.pem:svid.chain_empty" "$dir/cut.pem:svid.chain_empty" "/dev/zero:file.too_large"; do
  if "$bin" token verify-svid --bundle "$dir/x509-bundle.json" --trust-domain example.org \
    "${chain%%:*}" >"$dir/verify-svid.out"; then
    fail "token verify-svid accepted ${chain%%:*}"
  fi
  grep -q "rejected: ${chain##*:}" "$dir/verify-svid.out" || fail "$(cat "$dir/verify-svid.out")"
done
bundle=$dir/x509-bundle.json serve svid --tls-client-ca "$dir/ca.pem"
surl=https://127.0.0.1:$(cat "$dir/svid.port")
start_svid() {  # CERT NAME [EXTRA...]: task start over mTLS with that client certificate
  local cert=$1; shift
  "$bin" task start --server "$surl" --agent-dir "$dir/agent-$cert" --mandate payments \
    --inputs '{"payee":"acme","cap":500}' --tls-client-cert "$dir/$cert.pem" \
    --tls-client-key "$dir/$cert.key" "$@"
}
started=$(start_svid svid) || fail "an X.509-SVID agent could not start a task"
task=$(printf '%s' "$started" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task_id"])')
tls_agent=(--server "$surl" --agent-dir "$dir/agent-svid" --tls-client-cert "$dir/svid.pem"
  --tls-client-key "$dir/svid.key")
"$bin" task status "${tls_agent[@]}" "$task" | grep -q '"agent":"spiffe://example.org/agents/payments/x509"' ||
  fail "the task's agent is not the certificate's SPIFFE ID"
"$bin" authorize "${tls_agent[@]}" --task "$task" --system bank --action GET \
  --resource /accounts/main/balance | grep -q '"decision":"allow"' ||
  fail "the X.509-SVID agent's call was not allowed"
if start_svid stranger >"$dir/stranger.json" 2>&1; then fail "an SVID outside the mandate started a task"; fi
grep -q "mandate.agent_not_allowed" "$dir/stranger.json" || fail "$(cat "$dir/stranger.json")"
if start_svid agent >"$dir/no-uri.json" 2>&1; then fail "a certificate without a SPIFFE ID started a task"; fi
grep -q '"code":"svid\.' "$dir/no-uri.json" || fail "$(cat "$dir/no-uri.json")"
# A token, when sent, is the identity; the certificate is then the transport's only.
start_svid agent --dev-trust-key "$dir/trust/svid-issuer.key.json" \
  --spiffe-id spiffe://example.org/agents/payments/jwt >/dev/null ||
  fail "a JWT-SVID agent on the mTLS server could not start a task"
# A client certificate for a plain-HTTP server is a usage error, not a silent no-op.
if "$bin" task start --server http://127.0.0.1:9 --agent-dir "$dir/agent-plain" --mandate payments \
  --tls-client-cert "$dir/svid.pem" --tls-client-key "$dir/svid.key" 2>"$dir/plain.err"; then
  fail "a client certificate was accepted for a plain-HTTP server"
fi
grep -q "needs an https:// --server" "$dir/plain.err" || fail "$(cat "$dir/plain.err")"
# The audit trail says what each task start was proven with: the SVID's fingerprint, the JWT's
# issuer.
"$bin" audit export --data "$dir/data-svid" >"$dir/svid-audit.jsonl"
fingerprint=$(openssl x509 -in "$dir/svid.pem" -outform DER | sha256sum | cut -d' ' -f1)
python3 - "$dir/svid-audit.jsonl" "$task" "$fingerprint" <<'PY' || fail "task.started records lack the agent's credential"
import json, sys
path, task, fingerprint = sys.argv[1:]
records = [line["record"] for line in map(json.loads, open(path))]
details = {r["task"]: r["detail"] for r in records if r["decision"] == "task.started"}
assert details[task]["credential"] == {"type": "x509-svid", "sha256": fingerprint}, details[task]
jwt = [d["credential"] for t, d in details.items() if t != task]
assert jwt and all(c["type"] == "jwt-svid" and c["iss"] == "spiffe://example.org" for c in jwt), jwt
PY

# 5. Misconfiguration fails at start with a precise message.
if "$bin" serve --listen 127.0.0.1:0 --data "$dir/x" --tls-cert "$dir/server.pem" 2>"$dir/half.log"; then
  fail "--tls-cert without --tls-key started"
fi
grep -q "needs both --tls-cert and --tls-key" "$dir/half.log" || fail "$(cat "$dir/half.log")"
if "$bin" serve --listen 127.0.0.1:0 --data "$dir/y" --mandates examples/mandates \
  --tls-cert "$dir/missing.pem" --tls-key "$dir/server.key" 2>"$dir/missing.log"; then
  fail "a missing certificate file started"
fi
grep -q "http.tls_config" "$dir/missing.log" || fail "$(cat "$dir/missing.log")"
echo "tls: all checks passed"

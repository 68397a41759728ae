#!/usr/bin/env bash
# `mandate keys list|rotate` on a server's data folder: the first key, a rotation with overlap,
# and the JWKS the real server then publishes at /.well-known/jwks.json (old and new key).
# usage: keys_cli.sh MANDATE_BIN
set -euo pipefail
bin=$1
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
unset MANDATE_MASTER_KEY MANDATE_MASTER_KEY_FILE
mkdir -p "$work/mandates"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Starts the server on a dynamic port and prints its JWKS.
served_jwks() {
  rm -f "$work/port"
  "$bin" serve --data "$work/data" --mandates "$work/mandates" --listen 127.0.0.1:0 \
    --port-file "$work/port" >"$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do [[ -s $work/port ]] && break; sleep 0.1; done
  [[ -s $work/port ]] || { cat "$work/serve.log" >&2; fail "server did not start"; }
  curl -fsS "http://127.0.0.1:$(cat "$work/port")/.well-known/jwks.json"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}

out=$("$bin" keys list --data "$work/data")
[[ $out == *"no signing keys yet"* ]] || fail "empty store: $out"

out=$("$bin" keys rotate --data "$work/data")
first=$(sed -n 's/^active key: \([^ ]*\) (EdDSA)$/\1/p' <<<"$out")
[[ -n $first ]] || fail "first rotate: $out"
[[ $("$bin" keys list --data "$work/data") == *"$first"*"active"* ]] || fail "list after create"

jwks=$(served_jwks)
[[ $jwks == *"\"kid\":\"$first\""* ]] || fail "server does not publish $first: $jwks"

out=$("$bin" keys rotate --data "$work/data" --overlap 7200 --algorithm ES256)
second=$(sed -n 's/^active key: \([^ ]*\) (ES256)$/\1/p' <<<"$out")
[[ -n $second && $second != "$first" ]] || fail "second rotate: $out"
[[ $out == *"previous key $first stays published until"* ]] || fail "overlap not reported: $out"
list=$("$bin" keys list --data "$work/data")
grep -q "^$second .*ES256.*active" <<<"$list" || fail "new key not active: $list"
grep -q "^$first .*EdDSA.*published (overlap)" <<<"$list" || fail "old key not in overlap: $list"

# The offline JWKS and the one the restarted server serves hold exactly these two keys.
offline=$("$bin" keys list --data "$work/data" --jwks)
jwks=$(served_jwks)
for kid in "$first" "$second"; do
  [[ $offline == *"\"kid\":\"$kid\""* ]] || fail "--jwks lacks $kid: $offline"
  [[ $jwks == *"\"kid\":\"$kid\""* ]] || fail "served JWKS lacks $kid: $jwks"
done
[[ $(grep -o '"kid"' <<<"$jwks" | wc -l) == 2 ]] || fail "served JWKS: $jwks"

# Usage errors are exit 2 with a reason.
set +e
"$bin" keys rotate --data "$work/data" --algorithm HS256 2>"$work/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q "EdDSA or ES256" "$work/err" || fail "bad algorithm: rc $rc"
echo "keys_cli: ok (first $first, second $second)"

#!/usr/bin/env bash
# Interop with jose (npm, pinned): Mandate's credentials verify in jose, jose's tokens and DPoP
# proofs verify in Mandate; then `mandate token verify` on a jose token, accepted and rejected.
# usage: jose_interop.sh MANDATE_BIN DRIVER_BIN
set -euo pipefail
mandate=$1
driver=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node tests/identity/jose_interop.mjs "$driver" "$work"

token=$(cat "$work/jose_token.txt")
out=$("$mandate" token verify --jwks "$work/jose_jwks.json" --iss https://jose.test --aud mandate "$token")
echo "$out" | head -1
grep -q '"sub":"agent-ES256"' <<<"$out"
set +e
out=$("$mandate" token verify --jwks "$work/jose_jwks.json" --aud other "$token")
status=$?
set -e
echo "$out"
[ "$status" -eq 1 ]
grep -q 'rejected: jwt.aud_mismatch' <<<"$out"
grep -q 'fix: ' <<<"$out"
echo "mandate token verify: accepted and rejected as expected"

#!/usr/bin/env bash
# Generates X.509-SVID test material with the openssl command into directory $1:
#   ca.pem (spiffe://example.org), other_ca.pem (spiffe://other.org) and leaves
#   good.der, two_uris.der, foreign_ca.der (example.org ID signed by other.org's CA),
#   other_td.der (spiffe://other.org/x), leaf_ca.der (CA:true), no_dsig.der (keyCertSign only),
#   not_spiffe.der (https URI), intermediate chain: inter.der + via_inter.der.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # name uri
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/O=$1" -days 365 -out "$1.pem" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectAltName=URI:$2" 2>/dev/null
}
leaf() {  # name ca extensions...
  local name=$1 issuer=$2; shift 2
  key "$name.key"
  printf '%s\n' "$@" > "$name.ext"
  openssl req -new -key "$name.key" -subj "/O=$name" -out "$name.csr" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial \
    -days 30 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
  openssl x509 -in "$name.pem" -outform DER -out "$name.der"
}
ca ca spiffe://example.org
ca other_ca spiffe://other.org
leaf good ca "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:spiffe://example.org/agent/planner"
leaf two_uris ca "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:spiffe://example.org/a,URI:spiffe://example.org/b"
leaf foreign_ca other_ca "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:spiffe://example.org/agent/planner"
leaf other_td other_ca "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:spiffe://other.org/x"
leaf leaf_ca ca "basicConstraints=critical,CA:true" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:spiffe://example.org/agent/planner"
leaf no_dsig ca "basicConstraints=critical,CA:false" "keyUsage=critical,keyEncipherment" \
  "subjectAltName=URI:spiffe://example.org/agent/planner"
leaf not_spiffe ca "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:https://example.org/agent"
leaf inter ca "basicConstraints=critical,CA:true" "keyUsage=critical,keyCertSign,cRLSign" \
  "subjectAltName=URI:spiffe://example.org"
leaf via_inter inter "basicConstraints=critical,CA:false" "keyUsage=critical,digitalSignature" \
  "subjectAltName=URI:spiffe://example.org/agent/executor"

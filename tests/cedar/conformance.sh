#!/usr/bin/env bash
# Runs the Cedar conformance suite (hand-written tests + the unpacked corpus) through
# `mandate cedar conformance` and fails unless every request and every shouldValidate matches.
set -euo pipefail
bin=$1
suite=${MANDATE_SHARED:-../shared}/conformance/cedar
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -xzf "$suite/corpus-tests.tar.gz" -C "$scratch"
ln -s "$(cd "$suite" && pwd)/tests" "$scratch/tests"
ln -s "$(cd "$suite" && pwd)/sample-data" "$scratch/sample-data"
start=$(date +%s.%N)
out=$("$bin" cedar conformance "$scratch" --json) || true
end=$(date +%s.%N)
echo "$out"
echo "elapsed: $(echo "$end - $start" | bc) s"
expected='{"requests":{"total":43314,"matched":43314},"validation":{"total":5427,"matched":5427}}'
if [ "$out" != "$expected" ]; then
  echo "FAIL: expected $expected"
  "$bin" cedar conformance "$scratch" | head -50 || true
  exit 1
fi
echo "conformance: every request and every shouldValidate matched"

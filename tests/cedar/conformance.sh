#!/usr/bin/env bash
# Runs the Cedar conformance suite (hand-written tests + the unpacked corpus) through
# `mandate cedar conformance` and requires every request (decision, reason set, error set) and
# every `shouldValidate` to match: exactly
#   {"requests":{"total":43314,"matched":43314},"validation":{"total":5427,"matched":5427}}
# There is no allow-list.
set -euo pipefail
bin=$1
suite=${MANDATE_SHARED:-../shared}/conformance/cedar
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -xzf "$suite/corpus-tests.tar.gz" -C "$scratch"
ln -s "$(cd "$suite" && pwd)/tests" "$scratch/tests"
ln -s "$(cd "$suite" && pwd)/sample-data" "$scratch/sample-data"
expected='{"requests":{"total":43314,"matched":43314},"validation":{"total":5427,"matched":5427}}'
summary=$("$bin" cedar conformance "$scratch" --json) || true
echo "$summary"
if [ "$summary" != "$expected" ]; then
  "$bin" cedar conformance "$scratch" > "$scratch/report.txt" || true
  grep -a '^mismatch: ' "$scratch/report.txt" | head -40 || true
  tail -2 "$scratch/report.txt"
  echo "FAIL: expected $expected"
  exit 1
fi
echo "conformance: every request and every shouldValidate matches"

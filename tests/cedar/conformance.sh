#!/usr/bin/env bash
# Runs the Cedar conformance suite (hand-written tests + the unpacked corpus) through
# `mandate cedar conformance`. Fails when any shouldValidate differs, or when a request of a test
# file NOT listed in tests/cedar/KNOWN_FAILURES.md differs (the list names evaluator/JSON-reader
# bugs for cedarcore; it only shrinks). The goal is the exact line
#   {"requests":{"total":43314,"matched":43314},"validation":{"total":5427,"matched":5427}}
set -euo pipefail
bin=$1
suite=${MANDATE_SHARED:-../shared}/conformance/cedar
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -xzf "$suite/corpus-tests.tar.gz" -C "$scratch"
ln -s "$(cd "$suite" && pwd)/tests" "$scratch/tests"
ln -s "$(cd "$suite" && pwd)/sample-data" "$scratch/sample-data"
summary=$("$bin" cedar conformance "$scratch" --json) || true
echo "$summary"
"$bin" cedar conformance "$scratch" > "$scratch/report.txt" || true
tail -2 "$scratch/report.txt"
if ! grep -q '"validation":{"total":5427,"matched":5427}' <<<"$summary"; then
  grep -a 'validation:' "$scratch/report.txt" | head -20
  echo "FAIL: shouldValidate mismatches"
  exit 1
fi
if ! grep -q '"requests":{"total":43314,' <<<"$summary"; then
  echo "FAIL: expected 43314 requests"
  exit 1
fi
known=$(grep -o 'corpus-tests/[0-9a-f]*\.json\|tests/[a-z_]*/[0-9a-z]*\.json' tests/cedar/KNOWN_FAILURES.md | sort -u || true)
unexpected=$(grep -a '^mismatch: ' "$scratch/report.txt" | sed -E 's/^mismatch: ([^:]+): .*/\1/' | sort -u |
  comm -23 - <(echo "$known") || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: mismatches outside tests/cedar/KNOWN_FAILURES.md:"
  grep -a -F "$unexpected" "$scratch/report.txt" | head -40
  exit 1
fi
echo "conformance: no mismatch outside KNOWN_FAILURES.md"

#!/usr/bin/env bash
# `mandate audit verify` detects each kind of tampering with its own error and the sequence
# number where the chain broke; `mandate audit export` writes JSONL.
set -euo pipefail
bin=${1:?usage: tamper.sh path/to/mandate}
writer="$(dirname "$bin")/audit_crash_writer"
[ -x "$writer" ] || { echo "missing $writer (build target audit_crash_writer)"; exit 1; }
tmp=$(mktemp -d /tmp/mandate-tamper-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fresh() {  # fresh DIR: a store holding an intact chain of 50 records
  rm -rf "$1"
  mkdir -p "$1"
  "$writer" fill "$1" 50
}

fresh "$tmp/ok"
"$bin" audit verify --data "$tmp/ok" | tee "$tmp/out"
grep -q '^ok chain `main`: 50 records, head 50 ' "$tmp/out"
"$bin" audit export --data "$tmp/ok" >"$tmp/all.jsonl"
[ "$(wc -l <"$tmp/all.jsonl")" -eq 50 ] || { echo "export: want 50 lines"; exit 1; }
"$bin" audit export --data "$tmp/ok" --since 41 >"$tmp/tail.jsonl"
[ "$(wc -l <"$tmp/tail.jsonl")" -eq 10 ] || { echo "export --since 41: want 10 lines"; exit 1; }
head -1 "$tmp/tail.jsonl" | grep -q '^{"chain":"main","sequence":41,"prev_hash":"[0-9a-f]\{64\}","hash":"[0-9a-f]\{64\}","record":{"chain":"main","sequence":41,'
# An external check of one link with standard tools: hash(n) = sha256(prev_hash || body), on
# the store's own log file (one JSON line per record, docs/audit-storage.md).
field() { sed -n "$2p" "$1/mandate.db-audit/main.log" | sed "s/.*,\"$3\":\"\([^\"]*\)\".*/\1/"; }
body=$(sed -n 7p "$tmp/ok/mandate.db-audit/main.log" | sed 's/^.*,"record":\(.*\)}$/\1/')
prev=$(field "$tmp/ok" 7 prev_hash)
[ "$(printf '%s%s' "$prev" "$body" | sha256sum | cut -d' ' -f1)" = "$(field "$tmp/ok" 7 hash)" ] ||
  { echo "sha256sum link"; exit 1; }

# Each tampering is an edit of the log file, as an attacker with file access would make it.
expect_broken() {  # expect_broken NAME AWK_PROGRAM REASON SEQUENCE
  fresh "$tmp/t"
  log="$tmp/t/mandate.db-audit/main.log"
  awk "$2" "$log" >"$log.new" && mv "$log.new" "$log"
  set +e
  "$bin" audit verify --data "$tmp/t" >"$tmp/out" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 1 ] || ! grep -q "at record $4: $3:" "$tmp/out"; then
    echo "$1: want exit 1 with '$3' at record $4, got exit $rc:"; cat "$tmp/out"; exit 1
  fi
  echo "$1: detected: $(cat "$tmp/out")"
}
renumber='function renumber(line, n) { sub(/^\{"sequence":[0-9]+,/, "{\"sequence\":" n ",", line); return line }'

expect_broken edit 'NR == 8 { sub(/"deny"/, "\"allow\"") } { print }' audit.record_edited 8
expect_broken delete 'NR != 20' audit.record_missing 20
# A copy of record 29 spliced in as 30, the records after it renumbered.
expect_broken insert "$renumber"' NR == 29 { print; print renumber($0, 30); next }
  NR > 29 { print renumber($0, NR + 1); next } { print }' audit.record_moved 30
expect_broken reorder "$renumber"' NR == 12 { held = $0; next }
  NR == 13 { print renumber($0, 12); print renumber(held, 13); next } { print }' \
  audit.record_moved 12
expect_broken truncate 'NR <= 45' audit.truncated 46
expect_broken relink 'NR == 3 { match($0, /,"hash":"[0-9a-f]+"/); h = substr($0, RSTART + 9, RLENGTH - 10) }
  NR == 5 { sub(/"prev_hash":"[0-9a-f]+"/, "\"prev_hash\":\"" h "\"") } { print }' \
  audit.chain_broken 5

# Usage errors: no target, a missing directory.
set +e
"$bin" audit verify >/dev/null 2>&1; rc_none=$?
"$bin" audit verify --data "$tmp/nope" >/dev/null 2>&1; rc_missing=$?
set -e
[ "$rc_none" -eq 2 ] && [ "$rc_missing" -eq 2 ] || { echo "usage errors: got $rc_none $rc_missing"; exit 1; }
echo "audit tamper: ok"

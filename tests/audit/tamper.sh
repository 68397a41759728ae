#!/usr/bin/env bash
# `mandate audit verify` detects each kind of tampering with its own error and the sequence
# number where the chain broke; `mandate audit export` writes JSONL.
set -euo pipefail
bin=${1:?usage: tamper.sh path/to/mandate}
writer="$(dirname "$bin")/audit_crash_writer"
[ -x "$writer" ] || { echo "missing $writer (build target audit_crash_writer)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 command missing (scripts/deps.sh installs it)"; exit 1; }
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
# An external check of one link with standard tools: hash(n) = sha256(prev_hash || body).
row=$(sqlite3 "$tmp/ok/mandate.db" "SELECT prev_hash || body FROM audit WHERE sequence = 7")
want=$(sqlite3 "$tmp/ok/mandate.db" "SELECT hash FROM audit WHERE sequence = 7")
[ "$(printf '%s' "$row" | sha256sum | cut -d' ' -f1)" = "$want" ] || { echo "sha256sum link"; exit 1; }

expect_broken() {  # expect_broken NAME SQL REASON SEQUENCE
  fresh "$tmp/t"
  sqlite3 "$tmp/t/mandate.db" "$2"
  set +e
  "$bin" audit verify --data "$tmp/t" >"$tmp/out" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 1 ] || ! grep -q "at record $4: $3:" "$tmp/out"; then
    echo "$1: want exit 1 with '$3' at record $4, got exit $rc:"; cat "$tmp/out"; exit 1
  fi
  echo "$1: detected: $(cat "$tmp/out")"
}

expect_broken edit "UPDATE audit SET body = replace(body, '\"deny\"', '\"allow\"') WHERE sequence = 8" \
  audit.record_edited 8
expect_broken delete "DELETE FROM audit WHERE sequence = 20" audit.record_missing 20
expect_broken insert "UPDATE audit SET sequence = sequence + 1000 WHERE sequence >= 30;
  UPDATE audit SET sequence = sequence - 999 WHERE sequence >= 1030;
  INSERT INTO audit SELECT chain, 30, prev_hash, hash, body FROM audit WHERE sequence = 29;" \
  audit.record_moved 30
expect_broken reorder "UPDATE audit SET sequence = -1 WHERE sequence = 12;
  UPDATE audit SET sequence = 12 WHERE sequence = 13; UPDATE audit SET sequence = 13 WHERE sequence = -1;" \
  audit.record_moved 12
expect_broken truncate "DELETE FROM audit WHERE sequence > 45" audit.truncated 46
expect_broken relink "UPDATE audit SET prev_hash = (SELECT hash FROM audit WHERE sequence = 3) WHERE sequence = 5" \
  audit.chain_broken 5

# Usage errors: no target, a missing directory.
set +e
"$bin" audit verify >/dev/null 2>&1; rc_none=$?
"$bin" audit verify --data "$tmp/nope" >/dev/null 2>&1; rc_missing=$?
set -e
[ "$rc_none" -eq 2 ] && [ "$rc_missing" -eq 2 ] || { echo "usage errors: got $rc_none $rc_missing"; exit 1; }
echo "audit tamper: ok"

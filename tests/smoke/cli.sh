#!/usr/bin/env bash
# The binary starts, prints its version, and rejects an unknown subcommand with exit code 2.
set -euo pipefail
bin=${1:?usage: cli.sh path/to/mandate}
"$bin" version | grep -q '^mandate '
set +e
"$bin" no-such-command >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "unknown subcommand exited $rc, want 2"; exit 1; }
echo "smoke: ok"

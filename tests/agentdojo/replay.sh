#!/usr/bin/env bash
# Replays AgentDojo traces ($MANDATE_SHARED/workloads/agentdojo/traces.json) through the real
# `mandate serve` ($1) and fails unless every banking attack pair is contained and each
# replayed suite's utility is what docs/benchmarks/agentdojo.md reports.
# AGENTDOJO_SUITES (space-separated) picks the suites; default banking (the suite whose attacks
# the traces hold: 16 tasks + 144 pairs, a few seconds). `all` replays every suite.
set -euo pipefail
bin=${1:?usage: replay.sh path/to/mandate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
suites=${AGENTDOJO_SUITES:-banking}
args=()
check=()
if [ "$suites" != all ]; then
  for s in $suites; do args+=(--suite "$s"); done
  [[ " $suites " == *" banking "* ]] && check+=(--require-banking)
fi
node bench/agentdojo/replay.mjs --bin "$bin" "${args[@]}" --jobs "${AGENTDOJO_JOBS:-8}" --out "$tmp/results.json"
node tests/agentdojo/check.mjs "$tmp/results.json" docs/benchmarks/agentdojo.md "${check[@]}"

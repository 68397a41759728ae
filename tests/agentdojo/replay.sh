#!/usr/bin/env bash
# Replays the AgentDojo traces through the real `mandate serve` ($1) and fails unless every
# banking attack pair is contained and each suite's utility is what docs/benchmarks/
# agentdojo.md reports. AGENTDOJO_SUITES (space-separated) narrows the suites; default all.
set -euo pipefail
bin=${1:?usage: replay.sh path/to/mandate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
for s in ${AGENTDOJO_SUITES:-}; do args+=(--suite "$s"); done
node bench/agentdojo/replay.mjs --bin "$bin" "${args[@]}" --jobs 2 --out "$tmp/results.json"
node tests/agentdojo/check.mjs "$tmp/results.json" docs/benchmarks/agentdojo.md

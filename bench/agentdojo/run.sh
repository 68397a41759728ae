#!/usr/bin/env bash
# Regenerates docs/benchmarks/agentdojo.md in one command: builds build/mandate when it is
# missing, replays the AgentDojo traces through the real `mandate serve` (bench/agentdojo/
# replay.mjs) and renders the page (bench/agentdojo/report.mjs).
#
#   bench/agentdojo/run.sh [--suite NAME]... [--bin PATH] [--out FILE] [--results FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${MANDATE_BIN:-build/mandate}
out=docs/benchmarks/agentdojo.md
results=
suites=()
while (($#)); do
  case $1 in
    --suite) suites+=(--suite "${2:?--suite needs a name}"); shift 2 ;;
    --bin) bin=${2:?--bin needs a path}; shift 2 ;;
    --out) out=${2:?--out needs a file}; shift 2 ;;
    --results) results=${2:?--results needs a file}; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done

if [ ! -x "$bin" ]; then
  echo "run.sh: building $bin" >&2
  build_dir=$(dirname "$bin")
  [ -f "$build_dir/build.ninja" ] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" --target mandate -j "${JOBS:-2}"
fi

# The harness acts as the agent with `jose` from the pinned test peers (tests/node).
if [ ! -d tests/node/node_modules/jose ]; then
  echo "run.sh: installing the pinned test peers (npm ci in tests/node)" >&2
  (cd tests/node && npm ci --no-audit --no-fund >/dev/null)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=${results:-$tmp/results.json}
node bench/agentdojo/replay.mjs --bin "$bin" "${suites[@]}" --out "$results"
mkdir -p "$(dirname "$out")"
node bench/agentdojo/report.mjs "$results" >"$tmp/page.md"
mv "$tmp/page.md" "$out"
echo "run.sh: wrote $out" >&2

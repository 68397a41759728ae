#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 in the sanitizer build dir ($2, default build-san)
# and runs each for a bounded time (seconds as $1). A crash, leak or timeout fails the run and
# leaves the reproducer in <dir>/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
dir=${2:-build-san}
[ -f "$dir/build.ninja" ] || scripts/configure-sanitized.sh "$dir"
cmake --build "$dir" -j "${JOBS:-$(nproc)}" --target fuzz_targets
mkdir -p "$dir/artifacts"
passed=0 failed=0
for target in "$dir"/fuzz/*_fuzz; do
  name=$(basename "$target")
  corpus=$dir/corpus/$name
  mkdir -p "$corpus"
  seeds=()
  [ -d "fuzz/seeds/$name" ] && seeds=("fuzz/seeds/$name")
  if "$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -artifact_prefix="$dir/artifacts/" >"$dir/$name.log" 2>&1; then
    passed=$((passed + 1)); echo "fuzz: $name ok ($(grep -c . "$dir/$name.log") log lines)"
  else
    failed=$((failed + 1)); echo "fuzz: $name FAILED"; tail -40 "$dir/$name.log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 and runs each for a bounded time (seconds as $1).
# A crash, leak or timeout fails the run and leaves the reproducer in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMANDATE_FUZZ=ON -DMANDATE_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target fuzz_targets
mkdir -p build-fuzz/artifacts
passed=0 failed=0
for target in build-fuzz/fuzz/*_fuzz; do
  name=$(basename "$target")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  seeds=()
  [ -d "fuzz/seeds/$name" ] && seeds=("fuzz/seeds/$name")
  if "$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -artifact_prefix=build-fuzz/artifacts/ >"build-fuzz/$name.log" 2>&1; then
    passed=$((passed + 1)); echo "fuzz: $name ok ($(grep -c . "build-fuzz/$name.log") log lines)"
  else
    failed=$((failed + 1)); echo "fuzz: $name FAILED"; tail -40 "build-fuzz/$name.log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

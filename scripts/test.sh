#!/usr/bin/env bash
# Runs every test: the release build's unit and integration tests (real binary, real peers),
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and a bounded
# libFuzzer run of every fuzz target. Expects `make build` to have configured build/.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

echo "== release build: all tests"
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== sanitizer build (ASan + UBSan): unit tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMANDATE_SANITIZE=ON \
  -DMANDATE_WERROR=ON -DMANDATE_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit --output-on-failure -j "$jobs"

echo "== fuzz: bounded run of every target"
scripts/fuzz.sh "${FUZZ_SECONDS:-15}"

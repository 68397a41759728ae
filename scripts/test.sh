#!/usr/bin/env bash
# Runs every test: the release build's unit and integration tests (real binary, real peers),
# then one clang build with AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer coverage
# that serves twice: the unit tests again under the sanitizers, and a bounded libFuzzer run of
# every fuzz target. One sanitizer build instead of two keeps CI within its 30 minutes on 2 cores.
# Expects `make build` to have configured build/.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
started=$SECONDS
phase() { echo "== $1 (at $((SECONDS - started)) s)"; }

phase "release build: all tests"
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

phase "sanitizer build (clang: ASan + UBSan + fuzzer coverage)"
scripts/configure-sanitized.sh build-san
cmake --build build-san -j "$jobs" --target unit_tests fuzz_targets

phase "sanitizer build: unit tests"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-san -L unit --output-on-failure -j "$jobs"

phase "fuzz: bounded run of every target"
scripts/fuzz.sh "${FUZZ_SECONDS:-15}" build-san
phase "all tests passed"

#!/usr/bin/env bash
# Runs every test: the integration tests against the release build (real binary, real peers),
# then one clang build with AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer coverage
# that serves twice: every unit test under the sanitizers, and a bounded libFuzzer run of every
# fuzz target. Unit tests are compiled once (sanitized), not also at -O3: with one sanitizer
# build instead of two, that keeps CI within its 30 minutes on 2 cores.
# Expects build/ to be configured (`make test` does it).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
started=$SECONDS
phase() { echo "== $1 (at $((SECONDS - started)) s)"; }

phase "release build: integration tests"
cmake --build build -j "$jobs" --target integration_tests
ctest --test-dir build -L integration --output-on-failure -j "$jobs"

phase "sanitizer build (clang: ASan + UBSan + fuzzer coverage)"
scripts/configure-sanitized.sh build-san
cmake --build build-san -j "$jobs" --target unit_tests fuzz_targets

phase "sanitizer build: unit tests"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-san -L unit --output-on-failure -j "$jobs"

phase "fuzz: bounded run of every target"
scripts/fuzz.sh "${FUZZ_SECONDS:-15}" build-san
phase "all tests passed"

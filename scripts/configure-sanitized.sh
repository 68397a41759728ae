#!/usr/bin/env bash
# Configures a clang 14 build (dir as $1) with AddressSanitizer, UndefinedBehaviorSanitizer
# (no recovery: any UB fails) and libFuzzer coverage. Its unit tests run under the sanitizers
# and its fuzz targets link libFuzzer; -O1 keeps stack traces exact and the build quick.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B "${1:-build-san}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DMANDATE_SANITIZE=ON -DMANDATE_FUZZ=ON -DMANDATE_BENCH=OFF ${CMAKE_EXTRA_ARGS:-} >/dev/null

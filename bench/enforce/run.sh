#!/usr/bin/env bash
# Gateway overhead at 1k and 3k requests/s and at saturation, and revocation propagation to 10
# gateways, against the real authority (`mandate serve`). Needs an optimised build of `mandate`,
# `enforce_loadgen`, `enforce_revocation_probe` and `enforce_wake_probe`, and nginx.
# Usage: bench/enforce/run.sh [BUILD_DIR] [REVOCATIONS] [SECONDS]   (from the repository root)
set -euo pipefail
build=${1:-build-rel}
export NODE_PATH="$PWD/tests/node/node_modules"
node --expose-gc --single-threaded-gc bench/enforce/bench.js "$build/mandate" "$build/bench/enforce/enforce_loadgen" \
  "$build/bench/enforce/enforce_revocation_probe" "${2:-1000}" "${3:-5}"

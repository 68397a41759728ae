#!/usr/bin/env bash
# Gateway overhead at 1k and 3k requests/s and at saturation, and revocation propagation to 10
# gateways. Usage: bench/enforce/run.sh [BUILD_DIR] [REVOCATIONS]   (from the repository root)
set -euo pipefail
build=${1:-build}
export NODE_PATH="$PWD/tests/node/node_modules"
node bench/enforce/bench.js "$build/mandate" "$build/bench/enforce/enforce_loadgen" "${2:-1000}"

#!/usr/bin/env bash
# `make bench`: builds the benchmarks (Release, build-bench/) and runs each; every one prints
# its figures beside a peer measured in the same run. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMANDATE_BENCH=ON >/dev/null
cmake --build build-bench
echo "== cedar (vs cedar-wasm)";           build-bench/bench/cedar/cedar_bench
echo "== credentials (vs libsodium, openssl speed)"; build-bench/bench/credentials/credentials_bench 1
echo "== audit append";                     build-bench/bench/audit/audit_bench || true
echo "== http (vs nginx)";                  bench/http/run.sh build-bench
echo "== authority (in process; over HTTP vs nginx and the Ed25519 ceiling)"; bench/authority/run.sh build-bench
echo "== enforcement (gateway vs direct nginx; revocation propagation to 10 gateways)"; bench/enforce/run.sh build-bench 1000 5
echo "== agentdojo replay";                 bench/agentdojo/run.sh

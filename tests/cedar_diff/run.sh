#!/usr/bin/env bash
# CI batch of the differential authorization test: 1,000 random requests (about 6 s of CPU)
# with a fresh seed every run (date + $RANDOM; printed, so a failure can be replayed with
# CEDAR_DIFF_SEED).
# Override with CEDAR_DIFF_SEED / CEDAR_DIFF_REQUESTS. Usage: run.sh PATH_TO_cedar_diff_driver
set -euo pipefail
driver=${1:?usage: run.sh DRIVER}
seed=${CEDAR_DIFF_SEED:-$(( $(date -u +%Y%m%d) * 100000 + RANDOM ))}
requests=${CEDAR_DIFF_REQUESTS:-1000}
echo "cedar_diff: seed $seed (replay: CEDAR_DIFF_SEED=$seed)"
exec node "$(dirname "$0")/diff.js" --driver "$driver" --seed "$seed" --requests "$requests"

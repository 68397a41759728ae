#!/usr/bin/env bash
# CI batch of the differential validation test: 200 random schema + policy set cases with a
# fresh seed every run (date + $RANDOM; printed, so a failure can be replayed with
# CEDAR_VDIFF_SEED). Override with CEDAR_VDIFF_SEED / CEDAR_VDIFF_CASES.
# Usage: run_validate.sh PATH_TO_cedar_validate_driver
set -euo pipefail
driver=${1:?usage: run_validate.sh DRIVER}
seed=${CEDAR_VDIFF_SEED:-$(( $(date -u +%Y%m%d) * 100000 + RANDOM ))}
cases=${CEDAR_VDIFF_CASES:-200}
echo "cedar_validate_diff: seed $seed (replay: CEDAR_VDIFF_SEED=$seed)"
exec node "$(dirname "$0")/validate_diff.js" --driver "$driver" --seed "$seed" --cases "$cases"

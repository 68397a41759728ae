#!/usr/bin/env bash
# CI batch of the differential test: 3,000 random requests, seed from the date (override with
# CEDAR_DIFF_SEED / CEDAR_DIFF_REQUESTS). Usage: run.sh PATH_TO_cedar_diff_driver
set -euo pipefail
driver=${1:?usage: run.sh DRIVER}
seed=${CEDAR_DIFF_SEED:-$(date -u +%Y%m%d)}
requests=${CEDAR_DIFF_REQUESTS:-3000}
exec node "$(dirname "$0")/diff.js" --driver "$driver" --seed "$seed" --requests "$requests"

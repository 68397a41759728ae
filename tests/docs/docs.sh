#!/usr/bin/env bash
# The docs say what is true (see docs_test.js): the mandate JSON Schema accepts every example
# mandate, api.md names every route and error code, cli.md every subcommand, README's links
# and commands exist.
set -euo pipefail
bin=${1:?usage: docs.sh path/to/mandate}
command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null ||
  { echo "python3 with PyYAML is needed to read YAML examples (scripts/deps.sh installs python3-yaml)"; exit 1; }
export NODE_PATH="$PWD/tests/node/node_modules"
MANDATE_BIN="$bin" timeout 100 node tests/docs/docs_test.js

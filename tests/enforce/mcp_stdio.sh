#!/usr/bin/env bash
# MCP SDK client -> mandate mcp-proxy (stdio) -> @modelcontextprotocol/server-filesystem.
set -euo pipefail
bin=${1:?usage: mcp_stdio.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
timeout 120 node tests/enforce/mcp_stdio_test.js "$bin"

#!/usr/bin/env bash
# MCP SDK client -> mandate mcp-proxy (Streamable HTTP) -> @modelcontextprotocol/server-everything.
set -euo pipefail
bin=${1:?usage: mcp_http.sh path/to/mandate}
export NODE_PATH="$PWD/tests/node/node_modules"
timeout 120 node tests/enforce/mcp_http_test.js "$bin"

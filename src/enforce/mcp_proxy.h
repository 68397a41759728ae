// `mandate mcp-proxy`: governs the Model Context Protocol between an agent's MCP client and an
// unmodified MCP server. Every `tools/call` is decided by the authority (action = tool name,
// context = arguments); `tools/list` hides tools the task may never call; batches are refused;
// everything else passes through unchanged. See src/enforce/internal/mcp_governor.h for the
// exact answers, and docs/enforcement.md for set-ups.
//
// Transports:
//   stdio  `mandate mcp-proxy --authority URL --ep-token-file F --system S -- CMD ARGS...`
//          wraps the server command. The task token comes from `MANDATE_TASK_TOKEN`. The proxy
//          holds the agent's private key (`--agent-key FILE`, a private JWK, or
//          `MANDATE_AGENT_KEY`) and signs a fresh DPoP proof for each authority call, because a
//          stdio client has no HTTP request to prove.
//   http   `mandate mcp-proxy --authority URL --ep-token-file F --system S --listen ADDR
//          --upstream URL` fronts a Streamable HTTP server (MCP 2025-11-25 sessions and the
//          stateless 2026-07-28 revision alike). The task token comes from each request's
//          `Authorization: DPoP <token>` with its `DPoP` proof.
// Thread-safety: the Run functions block their calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/http/server.h"
#include "src/util/status.h"

namespace mandate::enforce {

struct McpProxyOptions {
  std::string authority;      // URL of `mandate serve`
  std::string ep_token_file;  // enforcement-point token
  std::string system;         // the MCP server's system name in mandates
  std::string resource;       // resource of every call (default: the system name)
  // Step credentials presented instead of a task token are verified locally (http transport):
  std::string audience;            // the system's `audience` in mandates (default: system)
  std::string issuer = "mandate";  // `iss` of step credentials
  int64_t revocation_grace_ms = 5000;
  // Write-ahead folder for the records of the calls it decides itself (gateway's audit_spool).
  std::string audit_spool;
  // stdio
  std::vector<std::string> command;  // server command and arguments
  std::string task_token;            // default: $MANDATE_TASK_TOKEN
  std::string agent_key_file;        // private JWK; default: $MANDATE_AGENT_KEY
  // http
  std::string listen;                   // e.g. 127.0.0.1:0
  std::string upstream_url;             // the MCP server's endpoint, e.g. http://127.0.0.1:3001/mcp
  std::optional<http::TlsOptions> tls;  // HTTPS for agents (mTLS with a client CA)
};

// Runs the stdio proxy until the server exits or stdin closes; returns the server's exit code
// (or the Status that prevented the start).
[[nodiscard]] Result<int> RunMcpStdioProxy(const McpProxyOptions& options,
                                           const std::atomic<bool>& stop);

// Runs the Streamable HTTP proxy until `stop`; returns why it could not start.
Status RunMcpHttpProxy(const McpProxyOptions& options, const std::atomic<bool>& stop);

}  // namespace mandate::enforce

// The MCP (JSON-RPC 2.0) logic of `mandate mcp-proxy`, free of any transport: one message from
// the client in, "forward it unchanged" or "answer it here" out.
//   - `tools/call`: the action is the tool's name, its `arguments` are the context (the
//     convention of Cedar's MCP schema generator). Allowed: forwarded unchanged. A tool the
//     mandate never allows: JSON-RPC error -32602 (unknown tool). Refused for its arguments,
//     order, budget or approval: a result with `isError: true` and the reason, so the model can
//     adjust. The authority unreachable: JSON-RPC error -32603 (fail closed).
//   - `tools/list`: forwarded; the caller filters the response with `FilterToolsList` so tools
//     the task may never call are hidden.
//   - batches (JSON arrays): rejected whole with -32600, one error per request id (batching was
//     removed from MCP in 2025-06-18; no call can ride inside one).
//   - unparseable JSON (or duplicate members): -32700, never forwarded, so the server can never
//     read a message differently from the proxy.
//   - every other message passes through unchanged.
// Thread-safety: stateless apart from the thread-safe DecisionClient; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/enforce/decision.h"
#include "src/enforce/revocation.h"

namespace mandate::enforce::internal {

// JSON-RPC error codes used by the proxy.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kInvalidParams = -32602;  // also "unknown tool" in MCP
inline constexpr int kInternalError = -32603;
inline constexpr int kHeaderMismatch = -32001;  // MCP 2026-07-28: HTTP headers disagree with body

// True for the authority's deny reasons that mean "no step of the mandate names this tool", which
// MCP reports as JSON-RPC -32602 (unknown tool) rather than as a refused call.
bool IsUnknownToolReason(std::string_view code);

struct McpClientOutcome {
  bool forward = false;  // true: send the original text to the server unchanged
  std::string reply;     // forward == false: the JSON-RPC answer to send back to the client
  // Set for `tools/list` requests: the serialized request id and the tool names to keep.
  std::optional<std::string> tools_list_id;
  std::vector<std::string> allowed_tools;
  std::string method;  // the request's method, "" for responses/notifications/batches
  std::string tool;    // for tools/call
  Decision decision;   // for tools/call
};

class DecisionAudit;

class McpGovernor {
 public:
  // `system`: the system name of the MCP server in mandates; `resource`: the resource every call
  // names (default: the system name). `audit` (may be null) receives the records of the calls
  // the governor refuses on its own (revocation stream lost, task in the local deny set), which
  // no authority decision records.
  McpGovernor(DecisionClient& client, const RevocationFeed* feed, std::string system,
              std::string resource = "", DecisionAudit* audit = nullptr);

  McpClientOutcome OnClientMessage(std::string_view text, const AgentCredentials& agent) const;

  // If `text` is the response to the tools/list request `list_id`, returns it with only
  // `allowed` tools kept; otherwise returns `text` unchanged.
  static std::string FilterToolsList(std::string_view text, std::string_view list_id,
                                     const std::vector<std::string>& allowed);

  // The serialized `id` of a JSON-RPC response (for matching), or nullopt.
  static std::optional<std::string> ResponseId(std::string_view text);

  // `{"jsonrpc":"2.0","id":<id_json>,"error":{"code":..,"message":..}}`.
  static std::string ErrorReply(std::string_view id_json, int code, std::string_view message);

 private:
  McpClientOutcome OnToolsCall(const std::string& id_json, const boost::json::object& params,
                               const AgentCredentials& agent) const;
  DecisionClient& client_;
  const RevocationFeed* feed_;
  DecisionAudit* audit_;
  std::string system_;
  std::string resource_;
};

}  // namespace mandate::enforce::internal

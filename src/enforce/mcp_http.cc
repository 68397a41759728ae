// The Streamable HTTP transport of `mandate mcp-proxy`: POSTed JSON-RPC messages go through the
// McpGovernor; allowed ones are forwarded to the server's endpoint with the src/http client, and
// tools/list answers (JSON or an SSE stream) are filtered on the way back. The standalone GET
// stream is declined with 405 (MCP allows it), so every server message the client sees answers
// a POST the proxy has checked.
#include <boost/json.hpp>
#include <iostream>
#include <thread>

#include "src/enforce/authority_client.h"
#include "src/enforce/internal/gateway_filter.h"
#include "src/enforce/internal/listener.h"
#include "src/enforce/internal/mcp_governor.h"
#include "src/enforce/internal/revocation_stream.h"
#include "src/enforce/internal/sse.h"
#include "src/enforce/mcp_proxy.h"
#include "src/http/client.h"
#include "src/json/json.h"

namespace mandate::enforce {
namespace {

using internal::McpGovernor;
using internal::Reply;

Reply JsonRpcError(int http_status, int code, std::string_view message) {
  return {http_status,
          {{"Content-Type", "application/json"}},
          McpGovernor::ErrorReply("null", code, message)};
}

std::string TaskTokenOf(const http::HeaderList& headers) {
  auto auth = http::FindHeader(headers, "authorization");
  if (!auth || auth->size() <= 5) return {};
  std::string scheme(auth->substr(0, 5));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "dpop ") return {};
  return std::string(auth->substr(5));
}

// MCP 2026-07-28 (SEP-2243): `Mcp-Method` / `Mcp-Name` must agree with the body, so nothing that
// routes on headers can be shown one call while the server runs another.
Status CheckStandardHeaders(const http::HeaderList& headers, std::string_view body) {
  auto method_header = http::FindHeader(headers, "mcp-method");
  auto name_header = http::FindHeader(headers, "mcp-name");
  if (!method_header && !name_header) return Status();
  auto doc = json::Parse(body);
  if (!doc || !doc->is_object()) return Status();  // the governor answers parse errors
  const boost::json::object& msg = doc->as_object();
  const boost::json::value* method = msg.if_contains("method");
  std::string body_method = method && method->is_string() ? std::string(method->as_string()) : "";
  if (method_header && *method_header != body_method) {
    return InvalidArgument("mcp.header_mismatch", "`Mcp-Method` does not match the body");
  }
  if (name_header) {
    const boost::json::value* params = msg.if_contains("params");
    std::string body_name;
    if (params && params->is_object()) {
      for (const char* key : {"name", "uri"}) {
        const boost::json::value* v = params->as_object().if_contains(key);
        if (v && v->is_string()) {
          body_name = std::string(v->as_string());
          break;
        }
      }
    }
    if (*name_header != body_name) {
      return InvalidArgument("mcp.header_mismatch", "`Mcp-Name` does not match the body");
    }
  }
  return Status();
}

std::string FilterSseStream(std::string_view stream, std::string_view list_id,
                            const std::vector<std::string>& allowed) {
  internal::SseParser parser(64 << 20);
  std::string out;
  Status status = parser.Feed(stream, [&](const internal::SseEvent& event) {
    if (event.type != "message") out += "event: " + event.type + "\n";
    if (!event.id.empty()) out += "id: " + event.id + "\n";
    std::string data = McpGovernor::FilterToolsList(event.data, list_id, allowed);
    size_t start = 0;
    while (true) {
      size_t nl = data.find('\n', start);
      out += "data: " + data.substr(start, nl == std::string::npos ? nl : nl - start) + "\n";
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    out += "\n";
  });
  (void)parser.Feed("\n\n", [](const internal::SseEvent&) {});
  if (!status.ok()) return {};
  return out;
}

struct Proxy {
  const McpProxyOptions& options;
  McpGovernor& governor;
  http::ClientPool& upstream;

  Reply Handle(internal::InboundRequest& request) const {
    if (request.method == "GET") {
      return {405, {{"Allow", "POST, DELETE"}}, ""};
    }
    if (request.method != "POST" && request.method != "DELETE") {
      return {405, {{"Allow", "POST, DELETE"}}, ""};
    }
    if (request.method == "POST") {
      Status headers_ok = CheckStandardHeaders(request.headers, request.body);
      if (!headers_ok.ok())
        return JsonRpcError(400, internal::kHeaderMismatch, headers_ok.message());
    }
    internal::McpClientOutcome outcome;
    if (request.method == "POST") {
      AgentCredentials agent;
      agent.task_token = TaskTokenOf(request.headers);
      if (agent.task_token.empty()) {
        Reply reply = JsonRpcError(401, internal::kInvalidRequest,
                                   "send the task token as `Authorization: DPoP <token>`");
        reply.headers.emplace_back("WWW-Authenticate", "DPoP algs=\"ES256 EdDSA\"");
        return reply;
      }
      if (auto proof = http::FindHeader(request.headers, "dpop")) agent.dpop_proof = *proof;
      agent.method = "POST";
      auto host = http::FindHeader(request.headers, "host");
      std::string path = request.target.substr(0, request.target.find('?'));
      agent.url = "http://" + std::string(host ? *host : "localhost") + path;
      outcome = governor.OnClientMessage(request.body, agent);
      if (!outcome.tool.empty()) {
        std::cerr << "mandate mcp-proxy: tools/call `" << outcome.tool
                  << "`: " << VerdictName(outcome.decision.verdict)
                  << (outcome.forward ? "" : " (" + outcome.decision.PrimaryCode() + ")") << "\n";
      }
      if (!outcome.forward) {
        return {200, {{"Content-Type", "application/json"}}, std::move(outcome.reply)};
      }
    }
    http::ClientRequest forward;
    forward.method = request.method;
    forward.url = options.upstream_url;
    for (auto& [name, value] : request.headers) {
      if (internal::GatewayFilter::IsAgentCredentialHeader(name) ||
          internal::IsHopByHopHeader(name) || http::EqualsIgnoreCase(name, "host")) {
        continue;
      }
      forward.headers.emplace_back(name, value);
    }
    forward.body = std::move(request.body);
    auto response = upstream.Send(forward);
    if (!response) {
      return JsonRpcError(502, internal::kInternalError, "the MCP server did not answer");
    }
    Reply reply{response->status, {}, std::move(response->body)};
    for (auto& [name, value] : response->headers) {
      if (!internal::IsHopByHopHeader(name)) reply.headers.emplace_back(name, std::move(value));
    }
    if (outcome.tools_list_id) {
      auto type = http::FindHeader(reply.headers, "content-type");  // values moved above
      if (type && type->find("text/event-stream") != std::string_view::npos) {
        reply.body = FilterSseStream(reply.body, *outcome.tools_list_id, outcome.allowed_tools);
      } else {
        reply.body =
            McpGovernor::FilterToolsList(reply.body, *outcome.tools_list_id, outcome.allowed_tools);
      }
    }
    return reply;
  }
};

}  // namespace

Status RunMcpHttpProxy(const McpProxyOptions& options, const std::atomic<bool>& stop) {
  if (options.upstream_url.rfind("http://", 0) != 0 &&
      options.upstream_url.rfind("https://", 0) != 0) {
    return InvalidArgument("mcp.usage", "--upstream must be the MCP server's http(s) endpoint");
  }
  auto ep_token = ReadEpTokenFile(options.ep_token_file);
  if (!ep_token) return ep_token.error();
  SystemClock clock;
  RevocationFeed feed(clock, options.revocation_grace_ms * 1000);
  std::atomic<bool> stop_feed{false};
  internal::RevocationStreamOptions stream_options{options.authority, *ep_token};
  std::thread feed_thread([&] { internal::RunRevocationStream(feed, stream_options, stop_feed); });
  HttpDecisionClient decisions(AuthorityOptions{options.authority, *ep_token, {}});
  McpGovernor governor(decisions, &feed, options.system, options.resource);
  http::ClientOptions client_options;
  client_options.timeout = std::chrono::milliseconds(120'000);  // long-running tools
  client_options.max_response_body = 64 << 20;
  http::ClientPool upstream(client_options);
  Proxy proxy{options, governor, upstream};
  internal::ListenerOptions listener{options.listen, 4 << 20, "mcp-proxy"};
  Status status = internal::RunListener(
      listener, stop, [&](internal::InboundRequest& request) { return proxy.Handle(request); });
  stop_feed = true;
  feed_thread.join();
  return status;
}

}  // namespace mandate::enforce

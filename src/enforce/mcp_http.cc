// The Streamable HTTP transport of `mandate mcp-proxy`: POSTed JSON-RPC messages go through the
// McpGovernor; allowed ones are forwarded to the server's endpoint with the src/http client, and
// tools/list answers (JSON or an SSE stream) are filtered on the way back. The standalone GET
// stream is declined with 405 (MCP allows it), so every server message the client sees answers
// a POST the proxy has checked.
#include <boost/json.hpp>
#include <iostream>

#include "src/enforce/authority_client.h"
#include "src/enforce/internal/decision_audit.h"
#include "src/enforce/internal/gateway_filter.h"
#include "src/enforce/internal/listener.h"
#include "src/enforce/internal/mcp_governor.h"
#include "src/enforce/internal/revocation_stream.h"
#include "src/enforce/internal/step_credentials.h"
#include "src/enforce/mcp_proxy.h"
#include "src/http/client.h"
#include "src/http/event_stream.h"
#include "src/http/proxy.h"
#include "src/json/json.h"

namespace mandate::enforce {
namespace {

using internal::McpGovernor;

http::Response JsonRpcError(int http_status, int code, std::string_view message) {
  return http::Response::Json(http_status, McpGovernor::ErrorReply("null", code, message));
}

http::Response MethodNotAllowed() {
  http::Response response{405, "", "", {{"Allow", "POST, DELETE"}}, false};
  return response;
}

std::string TaskTokenOf(const http::Request& request) {
  auto auth = request.Header("authorization");
  if (!auth || auth->size() <= 5) return {};
  std::string scheme(auth->substr(0, 5));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "dpop ") return {};
  return std::string(auth->substr(5));
}

// MCP 2026-07-28 (SEP-2243): `Mcp-Method` / `Mcp-Name` must agree with the body, so nothing that
// routes on headers can be shown one call while the server runs another.
Status CheckStandardHeaders(const http::Request& request) {
  auto method_header = request.Header("mcp-method");
  auto name_header = request.Header("mcp-name");
  std::string_view body = request.body();
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
  std::string out;
  Status status = http::ParseEventStream(stream, 64 << 20, [&](const http::SseEvent& event) {
    http::SseEvent filtered = event;
    filtered.data = McpGovernor::FilterToolsList(event.data, list_id, allowed);
    out += http::FormatEventStream(filtered);
  });
  if (!status.ok()) return {};  // an unreadable stream is not passed on unfiltered
  return out;
}

struct Proxy {
  const McpProxyOptions& options;
  McpGovernor& governor;
  http::ClientPool& upstream;
  const RevocationFeed& feed;
  const internal::DecisionAudit& audit;

  http::Response Handle(const http::Request& request) const {
    const std::string_view method = request.method();
    // Readiness for a load balancer; MCP itself sends no GET here (the proxy offers no stream).
    if ((method == "GET" || method == "HEAD") && request.path() == "/healthz") {
      return http::Response::Health(internal::EnforcementReady(&feed, &audit));
    }
    if (method != "POST" && method != "DELETE") return MethodNotAllowed();
    if (method == "POST") {
      Status headers_ok = CheckStandardHeaders(request);
      if (!headers_ok.ok())
        return JsonRpcError(400, internal::kHeaderMismatch, headers_ok.message());
    }
    internal::McpClientOutcome outcome;
    if (method == "POST") {
      AgentCredentials agent;
      agent.task_token = TaskTokenOf(request);
      if (agent.task_token.empty()) {
        http::Response reply = JsonRpcError(401, internal::kInvalidRequest,
                                            "send the task token as `Authorization: DPoP <token>`");
        reply.headers.emplace_back("WWW-Authenticate", "DPoP algs=\"ES256 EdDSA\"");
        return reply;
      }
      if (auto proof = request.Header("dpop")) agent.dpop_proof = *proof;
      agent.method = "POST";
      auto host = request.Header("host");
      agent.url = "http://" + std::string(host ? *host : "localhost") + std::string(request.path());
      outcome = governor.OnClientMessage(request.body(), agent);
      if (!outcome.tool.empty()) {
        std::cerr << "mandate mcp-proxy: tools/call `" << outcome.tool
                  << "`: " << VerdictName(outcome.decision.verdict)
                  << (outcome.forward ? "" : " (" + outcome.decision.PrimaryCode() + ")") << "\n";
      }
      if (!outcome.forward) return http::Response::Json(200, std::move(outcome.reply));
    }
    http::ClientRequest forward;
    forward.method = std::string(method);
    forward.url = options.upstream_url;
    const std::string_view connection = request.Header("connection").value_or("");
    for (const auto& [name, value] : request.Headers()) {
      if (internal::GatewayFilter::IsAgentCredentialHeader(name) ||
          http::IsHopByHopHeader(name, connection)) {
        continue;
      }
      forward.headers.emplace_back(name, value);
    }
    forward.body = std::string(request.body());
    auto response = upstream.Send(forward);
    if (!response) {
      return JsonRpcError(502, internal::kInternalError, "the MCP server did not answer");
    }
    http::Response reply = internal::MakeResponse(response->status, std::move(response->headers),
                                                  std::move(response->body));
    if (outcome.tools_list_id) {
      if (reply.content_type.find("text/event-stream") != std::string::npos) {
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
  auto subscription = internal::SubscribeRevocations(feed, {options.authority, *ep_token});
  HttpDecisionClient remote(AuthorityOptions{options.authority, *ep_token, {}});
  internal::AuthorityKeys keys(internal::JwksFetcher(options.authority), clock);
  const std::string audience = options.audience.empty() ? options.system : options.audience;
  internal::SealingKeys sealing(
      internal::SealingKeysFetcher(options.authority, *ep_token, {audience}, "mandate mcp-proxy"),
      clock);
  internal::StepCredentialClient decisions(
      remote, keys, &feed, options.issuer, {{options.system, audience}}, clock,
      internal::StepCredentialClient::kReplayCapacity, &sealing);
  // Calls decided here (held step credentials) go to the authority's audit trail in batches.
  internal::DecisionAudit audit(
      internal::HttpAuditSink(options.authority, *ep_token), clock,
      {.enforcement_point = "mcp-proxy", .spool_dir = options.audit_spool});
  internal::AuditedDecisionClient audited(decisions, audit);
  McpGovernor governor(audited, &feed, options.system, options.resource, &audit);
  http::ClientOptions client_options;
  client_options.timeout = std::chrono::milliseconds(120'000);  // long-running tools
  client_options.max_response_body = 64 << 20;
  http::ClientPool upstream(client_options);
  Proxy proxy{options, governor, upstream, feed, audit};
  internal::ListenerOptions listener{options.listen, 4 << 20, "mcp-proxy"};
  listener.tls = options.tls;
  return internal::RunListener(listener, stop,
                               [&](const http::Request& request) { return proxy.Handle(request); });
}

}  // namespace mandate::enforce

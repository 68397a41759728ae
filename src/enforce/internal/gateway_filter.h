// The per-request logic of `mandate gateway`, free of any socket: request in, either a request to
// forward upstream (agent credentials stripped, real credential injected) or a local reply
// (refusal with the reason) out. The transport in gateway_server.cc only moves bytes.
// Thread-safety: immutable after construction; OnRequest and ScrubResponse are safe from any
// thread (the DecisionClient and RevocationFeed are thread-safe).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/enforce/decision.h"
#include "src/enforce/gateway.h"
#include "src/enforce/internal/decision_audit.h"
#include "src/enforce/revocation.h"
#include "src/enforce/route_table.h"
#include "src/http/message.h"

namespace mandate::enforce::internal {

struct GatewayRequest {
  std::string method;
  std::string target;  // origin-form, as received
  http::HeaderList headers;
  std::string body;
  // The agent key (`cnf.jkt`) a DPoP proof proved earlier on this keep-alive connection (empty:
  // none). A step credential bound to that key may come without a proof.
  std::string bound_jkt;
};

struct GatewayOutcome {
  // Only from OnRequest(request, /*without_waiting=*/true): deciding needs the authority (or a
  // key fetch); call OnRequest(request) again from a thread that may block.
  bool must_wait = false;
  bool forward = false;
  // forward == true: the upstream request.
  std::string upstream_url;
  http::HeaderList upstream_headers;
  // forward == false: the reply to the agent.
  int status = 0;
  http::HeaderList reply_headers;
  std::string reply_body;
  // What was decided, for logs, metrics and the audit record (never holds secrets). The call
  // (system, action, resource, args) is set once the route matched.
  std::string system;
  std::string action;
  std::string resource;
  boost::json::object args;
  Decision decision;
};

// A system as the running gateway needs it: where to send, and the secret to inject.
struct SystemRuntime {
  SystemUpstream upstream;
  std::string secret;  // resolved at start; INVARIANT (secret-stays): never in replies or logs
};

class GatewayFilter {
 public:
  // `audit` (may be null: tests) gates every call on DecisionAudit::Ready (fail closed).
  GatewayFilter(RouteTable table, std::map<std::string, SystemRuntime> systems,
                std::string public_url, DecisionClient& client, const RevocationFeed* feed,
                const DecisionAudit* audit = nullptr);

  // `without_waiting`: for an event-loop thread; decides only what needs no network round trip
  // (see DecisionClient::TryAuthorizeWithoutWaiting), else answers `must_wait`.
  GatewayOutcome OnRequest(const GatewayRequest& request, bool without_waiting = false) const;

  // Ok while a call could be allowed: the revocation feed is synced (or within its grace) and
  // the audit of local decisions is not behind. Checked first by every call (503 otherwise) and
  // by the gateway's health path.
  Status Ready() const;

  // Replaces every appearance of the system's secret (raw, as bearer value, as basic-auth
  // base64) in an upstream response with `[redacted]` before the agent sees it.
  void ScrubResponse(std::string_view system, http::HeaderList& headers, std::string& body) const;

  // Header names the gateway never forwards from the agent (lowercase).
  static bool IsAgentCredentialHeader(std::string_view name);

 private:
  GatewayOutcome Refuse(int status, std::string code, std::string message,
                        const Decision* decision) const;
  GatewayOutcome Decide(const GatewayRequest& request, bool without_waiting,
                        AuthorizeRequest& ask) const;
  RouteTable table_;
  std::map<std::string, SystemRuntime> systems_;
  std::map<std::string, std::vector<std::string>> sensitive_;  // per system: strings to redact
  std::string public_url_;
  DecisionClient& client_;
  const RevocationFeed* feed_;  // may be null (tests); then no revocation readiness check
  const DecisionAudit* audit_;  // may be null (tests); then no audit readiness check
};

// `Basic base64(user:secret)`, `Bearer secret` or the raw secret: the injected header value.
std::string InjectedHeaderValue(const InjectedCredential& credential, const std::string& secret);

}  // namespace mandate::enforce::internal

// The transport of `mandate gateway`: the listener hands each request to the GatewayFilter,
// allowed ones are forwarded with the non-blocking UpstreamClient, and answers are scrubbed.
// What the authority did not decide is queued for its audit trail (DecisionAudit).
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <iostream>
#include <set>

#include "src/enforce/authority_client.h"
#include "src/enforce/gateway.h"
#include "src/enforce/internal/decision_audit.h"
#include "src/enforce/internal/gateway_filter.h"
#include "src/enforce/internal/listener.h"
#include "src/enforce/internal/revocation_stream.h"
#include "src/enforce/internal/step_credentials.h"
#include "src/enforce/internal/upstream.h"
#include "src/http/client.h"

namespace mandate::enforce {
namespace {

// One agent request through the gateway. Allowed calls with a held step credential never leave
// the server thread that read them: decided inline (cached keys, local deny set), forwarded with
// non-blocking I/O on that thread's io_context, answered there. Calls the authority must decide
// (task tokens) take one hop to the decision pool, whose blocking round trip must not stall the
// server thread, and come back for the forward.
class GatewayHandler {
 public:
  GatewayHandler(const internal::GatewayFilter& filter, internal::UpstreamClient& upstream,
                 boost::asio::thread_pool& decision_pool, internal::DecisionAudit& audit,
                 const GatewayConfig& config)
      : filter_(filter),
        upstream_(upstream),
        decision_pool_(decision_pool),
        audit_(audit),
        health_path_(config.health_path),  // the config outlives the listener
        bind_connections_(config.bind_connections) {}

  void operator()(const http::Request& inbound, http::Responder responder) const {
    if (!health_path_.empty() && inbound.path() == health_path_ &&
        (inbound.method() == "GET" || inbound.method() == "HEAD")) {
      return responder.Send(Health());
    }
    auto request = std::make_shared<internal::GatewayRequest>(
        internal::GatewayRequest{std::string(inbound.method()),
                                 std::string(inbound.target()),
                                 {},
                                 std::string(inbound.body()),
                                 ""});
    const auto headers = inbound.Headers();
    request->headers.reserve(headers.size());
    for (const auto& [name, value] : headers) request->headers.emplace_back(name, value);
    // The connection's slot holds the agent key it proved (see Bind); only this connection's
    // handlers touch it, one at a time.
    http::ConnectionInfo& connection = inbound.connection();
    if (bind_connections_ && connection.user_data) {
      request->bound_jkt = *std::static_pointer_cast<std::string>(connection.user_data);
    }
    boost::asio::io_context& ioc = inbound.io_context();
    internal::GatewayOutcome outcome = filter_.OnRequest(*request, /*without_waiting=*/true);
    if (bind_connections_) Bind(connection, outcome);
    if (!outcome.must_wait)
      return Continue(ioc, *request, std::move(outcome), std::move(responder));
    // A copy of the handler (references and views, no allocation): the server, which owns this one,
    // may be gone before the pool drains. The connection outlives the responder, which answers
    // after Bind: still one handler of this connection at a time.
    boost::asio::post(decision_pool_,
                      [h = *this, &ioc, &connection, request, r = std::move(responder)]() mutable {
                        internal::GatewayOutcome decided = h.filter_.OnRequest(*request);
                        if (h.bind_connections_) Bind(connection, decided);
                        h.Continue(ioc, *request, std::move(decided), std::move(r));
                      });
  }

 private:
  // A held step credential just verified WITH a proof: its key (`cnf.jkt`) is proven on this
  // keep-alive connection, so later calls on it with credentials bound to that key may come
  // without a proof (docs/identity.md's bound connection). Each credential is still verified
  // on its own: signature, deny set, expiry, scope, arguments, single use.
  static void Bind(http::ConnectionInfo& connection, const internal::GatewayOutcome& outcome) {
    if (!outcome.forward || outcome.decision.proven_jkt.empty()) return;
    if (connection.user_data && *std::static_pointer_cast<std::string>(connection.user_data) ==
                                    outcome.decision.proven_jkt) {
      return;  // already bound to that key: no allocation per call
    }
    connection.user_data = std::make_shared<std::string>(outcome.decision.proven_jkt);
  }

  // Ready when a call could be allowed now: the filter's own check before every call, so a load
  // balancer sees what an agent would get.
  http::Response Health() const { return http::Response::Health(filter_.Ready()); }

  // What the authority did not decide (and so did not record), the gateway records: queued for
  // the authority's audit trail, no I/O here.
  void RecordLocally(internal::GatewayOutcome& outcome) const {
    if (outcome.decision.recorded_by_authority) return;
    // A 4xx refusal was decided (deny); a 5xx one could not be (error: stream lost, audit
    // behind, authority unreachable).
    const std::string_view decided = outcome.forward         ? "allow"
                                     : outcome.status >= 500 ? "error"
                                                             : "deny";
    // The decision is not read after this: its strings move into the record.
    audit_.Record(internal::RecordOfDecision(std::move(outcome.decision), outcome.system,
                                             outcome.action, outcome.resource, decided,
                                             std::move(outcome.args)));
  }

  void Continue(boost::asio::io_context& ioc, internal::GatewayRequest& request,
                internal::GatewayOutcome outcome, http::Responder responder) const {
    if (!outcome.forward) {
      std::cerr << "mandate gateway: " << request.method << " "
                << request.target.substr(0, request.target.find('?')) << " -> " << outcome.status
                << " " << outcome.decision.PrimaryCode() << "\n";
      RecordLocally(outcome);
      return responder.Send(internal::MakeResponse(outcome.status, std::move(outcome.reply_headers),
                                                   std::move(outcome.reply_body)));
    }
    RecordLocally(outcome);
    http::ClientRequest forward;
    forward.method = request.method;
    forward.url = std::move(outcome.upstream_url);
    forward.headers = std::move(outcome.upstream_headers);
    forward.body = std::move(request.body);
    upstream_.Send(
        ioc, std::move(forward),
        [filter = &filter_, system = std::move(outcome.system),
         r = std::make_shared<http::Responder>(std::move(responder))](
            Result<http::ClientResponse> response) {
          if (!response) {
            // The reason only: client errors may quote the request, and the request
            // holds the secret.
            std::cerr << "mandate gateway: upstream of `" << system
                      << "` failed: " << response.error().reason() << "\n";
            return r->Send(http::Response::Error(
                502, "upstream.unavailable", "the upstream of `" + system + "` did not answer"));
          }
          filter->ScrubResponse(system, response->headers, response->body);
          r->Send(internal::MakeResponse(response->status, std::move(response->headers),
                                         std::move(response->body)));
        });
  }

  const internal::GatewayFilter& filter_;
  internal::UpstreamClient& upstream_;
  boost::asio::thread_pool& decision_pool_;
  internal::DecisionAudit& audit_;
  std::string_view health_path_;
  bool bind_connections_;
};

}  // namespace

Status RunGateway(const GatewayConfig& config, const std::atomic<bool>& stop,
                  const StoreSecretLookup& store) {
  auto ep_token = ReadEpTokenFile(config.ep_token_file);
  if (!ep_token) return ep_token.error();
  std::map<std::string, internal::SystemRuntime> systems;
  for (const auto& [name, upstream] : config.upstreams) {
    internal::SystemRuntime runtime;
    runtime.upstream = upstream;
    if (upstream.credential.kind != InjectedCredential::Kind::kNone) {
      auto secret = ResolveSecret(upstream.credential.secret, store);
      if (!secret) return secret.error().WithContext("system `" + name + "`");
      runtime.secret = std::move(*secret);
    }
    systems.emplace(name, std::move(runtime));
  }
  auto table = RouteTable::Build(config.systems);
  if (!table) return table.error();

  SystemClock clock;
  RevocationFeed feed(clock, config.revocation_grace_ms * 1000);
  auto subscription = internal::SubscribeRevocations(feed, {config.authority, *ep_token});

  HttpDecisionClient remote(AuthorityOptions{config.authority, *ep_token, {}});
  // Step credentials the agent already holds are verified here, without a round trip.
  internal::AuthorityKeys keys(internal::JwksFetcher(config.authority), clock);
  std::map<std::string, std::string> audiences;
  std::set<std::string> served;
  for (const auto& [name, upstream] : config.upstreams) {
    audiences[name] = upstream.audience;
    served.insert(upstream.audience);
  }
  // Fetched on the first sealed credential, then refreshed like the JWKS.
  internal::SealingKeys sealing(
      internal::SealingKeysFetcher(config.authority, *ep_token, {served.begin(), served.end()},
                                   "mandate gateway"),
      clock);
  internal::StepCredentialClient decisions(remote, keys, &feed, config.issuer, std::move(audiences),
                                           clock, internal::StepCredentialClient::kReplayCapacity,
                                           &sealing);
  // Before the filter, which gates every call on it; destroyed after the listener stopped, so
  // every answered call's record is queued (and then delivered, within the grace period).
  internal::DecisionAuditOptions audit_options;
  audit_options.grace_ms = config.audit_grace_ms;
  audit_options.flush_interval_ms = config.audit_flush_ms;
  audit_options.max_batch = static_cast<size_t>(config.audit_batch);
  audit_options.spool_dir = config.audit_spool;
  internal::DecisionAudit audit(internal::HttpAuditSink(config.authority, *ep_token), clock,
                                audit_options);
  internal::GatewayFilter filter(std::move(*table), std::move(systems), config.public_url,
                                 decisions, &feed, &audit);
  http::ClientOptions upstream_options;
  upstream_options.max_response_body = 64 << 20;
  internal::UpstreamClient upstream(upstream_options, {},
                                    std::chrono::microseconds(config.upstream_spin_us));

  internal::ListenerOptions listener{config.listen, config.max_body_bytes, "gateway"};
  listener.server_threads = config.server_threads;
  listener.tls = config.tls;
  // Authority round trips wait here, one per thread; the server threads never block.
  boost::asio::thread_pool decision_pool(static_cast<size_t>(config.decision_threads));
  Status status = internal::RunAsyncListener(
      listener, stop, GatewayHandler(filter, upstream, decision_pool, audit, config));
  decision_pool.join();
  return status;
}

}  // namespace mandate::enforce

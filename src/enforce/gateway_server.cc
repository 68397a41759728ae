// The transport of `mandate gateway`: the listener hands each request to the GatewayFilter,
// allowed ones are forwarded with the src/http client pool, and answers are scrubbed.
#include <iostream>

#include "src/enforce/authority_client.h"
#include "src/enforce/gateway.h"
#include "src/enforce/internal/gateway_filter.h"
#include "src/enforce/internal/listener.h"
#include "src/enforce/internal/revocation_stream.h"
#include "src/enforce/internal/step_credentials.h"
#include "src/http/client.h"

namespace mandate::enforce {
namespace {

http::Response Handle(const http::Request& inbound, const internal::GatewayFilter& filter,
                      http::ClientPool& upstream) {
  internal::GatewayRequest request{std::string(inbound.method()),
                                   std::string(inbound.target()),
                                   {},
                                   std::string(inbound.body())};
  for (const auto& [name, value] : inbound.Headers()) request.headers.emplace_back(name, value);
  internal::GatewayOutcome outcome = filter.OnRequest(request);
  if (!outcome.forward) {
    std::cerr << "mandate gateway: " << request.method << " "
              << request.target.substr(0, request.target.find('?')) << " -> " << outcome.status
              << " " << outcome.decision.PrimaryCode() << "\n";
    return internal::MakeResponse(outcome.status, outcome.reply_headers,
                                  std::move(outcome.reply_body));
  }
  http::ClientRequest forward;
  forward.method = request.method;
  forward.url = std::move(outcome.upstream_url);
  forward.headers = std::move(outcome.upstream_headers);
  forward.body = std::move(request.body);
  auto response = upstream.Send(forward);
  if (!response) {
    // The reason only: client errors may quote the request, and the request holds the secret.
    std::cerr << "mandate gateway: upstream of `" << outcome.system
              << "` failed: " << response.error().reason() << "\n";
    return http::Response::Error(502, "upstream.unavailable",
                                 "the upstream of `" + outcome.system + "` did not answer");
  }
  filter.ScrubResponse(outcome.system, response->headers, response->body);
  return internal::MakeResponse(response->status, response->headers, std::move(response->body));
}

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
  for (const auto& [name, upstream] : config.upstreams) audiences[name] = upstream.audience;
  internal::StepCredentialClient decisions(remote, keys, &feed, config.issuer, std::move(audiences),
                                           clock);
  internal::GatewayFilter filter(std::move(*table), std::move(systems), config.public_url,
                                 decisions, &feed);
  http::ClientOptions upstream_options;
  upstream_options.max_response_body = 64 << 20;
  http::ClientPool upstream(upstream_options);

  internal::ListenerOptions listener{config.listen, config.max_body_bytes, "gateway"};
  return internal::RunListener(listener, stop, [&](const http::Request& request) {
    return Handle(request, filter, upstream);
  });
}

}  // namespace mandate::enforce

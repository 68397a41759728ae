// The transport of `mandate gateway`: the listener hands each request to the GatewayFilter,
// allowed ones are forwarded with the src/http client pool, and answers are scrubbed.
#include <iostream>
#include <thread>

#include "src/enforce/authority_client.h"
#include "src/enforce/gateway.h"
#include "src/enforce/internal/gateway_filter.h"
#include "src/enforce/internal/listener.h"
#include "src/enforce/internal/revocation_stream.h"
#include "src/http/client.h"

namespace mandate::enforce {
namespace {

internal::Reply Handle(internal::InboundRequest& inbound, const internal::GatewayFilter& filter,
                       http::ClientPool& upstream) {
  internal::GatewayRequest request{std::move(inbound.method), std::move(inbound.target),
                                   std::move(inbound.headers), std::move(inbound.body)};
  internal::GatewayOutcome outcome = filter.OnRequest(request);
  if (!outcome.forward) {
    std::cerr << "mandate gateway: " << request.method << " "
              << request.target.substr(0, request.target.find('?')) << " -> " << outcome.status
              << " " << outcome.decision.PrimaryCode() << "\n";
    return {outcome.status, std::move(outcome.reply_headers), std::move(outcome.reply_body)};
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
    return {502,
            {{"Content-Type", "application/json"}},
            http::ErrorJson("upstream.unavailable",
                            "the upstream of `" + outcome.system + "` did not answer")};
  }
  internal::Reply reply{response->status, {}, std::move(response->body)};
  for (auto& [name, value] : response->headers) {
    if (!internal::IsHopByHopHeader(name)) reply.headers.emplace_back(name, std::move(value));
  }
  filter.ScrubResponse(outcome.system, reply.headers, reply.body);
  return reply;
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
  std::atomic<bool> stop_feed{false};
  internal::RevocationStreamOptions stream_options{config.authority, *ep_token};
  std::thread feed_thread([&] { internal::RunRevocationStream(feed, stream_options, stop_feed); });

  HttpDecisionClient decisions(AuthorityOptions{config.authority, *ep_token, {}});
  internal::GatewayFilter filter(std::move(*table), std::move(systems), config.public_url,
                                 decisions, &feed);
  http::ClientOptions upstream_options;
  upstream_options.max_response_body = 64 << 20;
  http::ClientPool upstream(upstream_options);

  internal::ListenerOptions listener{config.listen, config.max_body_bytes, "gateway"};
  Status status = internal::RunListener(listener, stop, [&](internal::InboundRequest& request) {
    return Handle(request, filter, upstream);
  });
  stop_feed = true;
  feed_thread.join();
  return status;
}

}  // namespace mandate::enforce

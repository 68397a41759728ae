#include "src/enforce/internal/revocation_stream.h"

#include <iostream>
#include <thread>

namespace mandate::enforce::internal {

std::unique_ptr<http::EventSubscription> SubscribeRevocations(
    RevocationFeed& feed, const RevocationStreamOptions& options) {
  std::string url = options.authority_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  http::SubscriptionOptions sub;
  sub.http.timeout = std::chrono::milliseconds(5'000);
  sub.headers = {{"Authorization", "Bearer " + options.ep_token}};
  sub.reconnect_delay = options.reconnect_delay;
  sub.max_reconnect_delay = options.max_reconnect_delay;
  sub.read_idle = options.idle_timeout;
  auto subscription = std::make_unique<http::EventSubscription>(
      url + "/v1/revocations/stream", sub,
      [&feed](const http::SseEvent& event) {
        Status applied = feed.OnEvent(event.event, event.id, event.data);
        if (!applied.ok()) std::cerr << "mandate: revocation event: " << applied.ToString() << "\n";
      },
      [&feed](bool connected, const Status& why) {
        if (connected) {
          feed.OnConnected();
          return;
        }
        feed.OnDisconnected();
        std::cerr << "mandate: revocation stream lost: " << why.reason() << "\n";
      });
  const int64_t last = feed.last_event_id();
  subscription->Start(last > 0 ? std::to_string(last) : "");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!feed.Ready().ok() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return subscription;
}

}  // namespace mandate::enforce::internal

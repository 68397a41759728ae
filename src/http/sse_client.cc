// EventSubscription: the client side of Server-Sent Events with reconnect and Last-Event-ID.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "src/http/client.h"
#include "src/http/internal/client_connection.h"
#include "src/http/internal/sse_parser.h"

namespace mandate::http {

struct EventSubscription::Impl {
  std::string url;
  SubscriptionOptions options;
  EventCallback on_event;
  StateCallback on_state;
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;                 // GUARDED_BY(mu)
  std::string last_id;                   // GUARDED_BY(mu)
  internal::Connection* live = nullptr;  // GUARDED_BY(mu)

  bool Stopping() {
    std::lock_guard lock(mu);
    return stopping;
  }

  // One connection's life; returns why it ended.
  Status RunOnce(bool* connected, int* retry_ms) {
    auto url_parts = internal::ParseUrl(url);
    if (!url_parts) return url_parts.error();
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (url_parts->endpoint.tls) {
      auto ctx = internal::MakeClientTlsContext(options.http);
      if (!ctx) return ctx.error();
      tls = *ctx;
    }
    auto deadline = std::chrono::steady_clock::now() + options.http.timeout;
    auto opened = internal::Connection::Open(url_parts->endpoint, options.http, tls, deadline);
    if (!opened) return opened.error();
    std::unique_ptr<internal::Connection> connection = std::move(*opened);
    ClientRequest request;
    request.url = url;
    request.headers = options.headers;
    request.headers.emplace_back("Accept", "text/event-stream");
    request.headers.emplace_back("Cache-Control", "no-store");
    {
      std::lock_guard lock(mu);
      if (stopping) return Status(StatusCode::kCancelled, "http.client.stopped", "stopped");
      if (!last_id.empty()) request.headers.emplace_back("Last-Event-ID", last_id);
      live = connection.get();
    }
    internal::SseParser parser(options.max_event_bytes);
    Status failure;
    auto on_head = [&](const ClientResponse& head) {
      auto type = head.Header("Content-Type");
      if (head.status != 200 || !type || type->find("text/event-stream") == std::string::npos) {
        failure = Status(StatusCode::kUnavailable, "http.client.protocol",
                         "event stream answered status " + std::to_string(head.status));
        return false;
      }
      *connected = true;
      if (on_state) on_state(true, Status());
      return true;
    };
    auto on_body = [&](std::string_view bytes) {
      Status status = parser.Feed(bytes, [&](const SseEvent& event) {
        {
          std::lock_guard lock(mu);
          last_id = event.id;
        }
        on_event(event);
      });
      if (!status.ok()) {
        failure = status;
        return false;
      }
      return !Stopping();
    };
    Status ended = connection->Stream(request, url_parts->target, deadline, options.read_idle,
                                      on_head, on_body);
    {
      std::lock_guard lock(mu);
      live = nullptr;
    }
    *retry_ms = parser.retry_ms();
    if (!failure.ok()) return failure;
    if (!ended.ok()) return ended;
    return Status(StatusCode::kUnavailable, "http.client.protocol", "event stream ended");
  }

  void Run() {
    auto delay = options.reconnect_delay;
    while (!Stopping()) {
      bool connected = false;
      int retry_ms = 0;
      Status why = RunOnce(&connected, &retry_ms);
      if (Stopping()) break;
      if (on_state) on_state(false, why);
      if (connected) delay = options.reconnect_delay;
      if (retry_ms > 0) delay = std::chrono::milliseconds(retry_ms);
      std::unique_lock lock(mu);
      wake.wait_for(lock, delay, [this] { return stopping; });
      delay = std::min(delay * 2, options.max_reconnect_delay);
    }
  }
};

EventSubscription::EventSubscription(std::string url, SubscriptionOptions options,
                                     EventCallback on_event, StateCallback on_state)
    : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->options = std::move(options);
  impl_->on_event = std::move(on_event);
  impl_->on_state = std::move(on_state);
}

EventSubscription::~EventSubscription() { Stop(); }

void EventSubscription::Start(std::string last_event_id) {
  std::lock_guard lock(impl_->mu);
  if (impl_->thread.joinable() || impl_->stopping) return;
  impl_->last_id = std::move(last_event_id);
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

void EventSubscription::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    if (impl_->live) impl_->live->Cancel();
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string EventSubscription::last_event_id() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_id;
}

}  // namespace mandate::http

// Synchronous HTTP/1.1 client over Boost.Beast: http and https (OpenSSL; the peer is verified
// by default), whole-exchange timeout, response size limits, and a keep-alive pool per upstream
// for proxies. Used for OIDC discovery and JWKS, the gateway's upstream calls and tests.
//
// Errors (Status reason): `http.client.bad_url`, `http.client.bad_header` (invalid argument);
// `http.client.connect` (DNS or TCP failure, unavailable); `http.client.tls` (handshake or
// certificate verification failed, unavailable); `http.client.timeout` (deadline exceeded);
// `http.client.too_large` (response over the limits, resource exhausted);
// `http.client.protocol` (malformed response or connection lost, unavailable).
// A response with any HTTP status is a success: callers check `status`.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "src/http/message.h"
#include "src/util/status.h"

namespace mandate::http {

struct ClientOptions {
  // Bounds the whole exchange: resolve, connect, TLS handshake, write and read.
  std::chrono::milliseconds timeout{10'000};
  size_t max_response_body = 8 << 20;     // 8 MiB
  size_t max_response_header = 64 << 10;  // 64 KiB
  // https: verify the server's chain and host name. Turn off only in tests.
  bool verify_peer = true;
  std::string ca_file;  // PEM bundle of trusted roots; empty = the system's default store
  // Optional client certificate for mTLS (PEM files).
  std::string client_cert_file;
  std::string client_key_file;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  HeaderList headers;
  std::string body;  // Content-Length is set from it for methods that carry a body
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
  std::optional<std::string_view> Header(std::string_view name) const {
    return FindHeader(headers, name);
  }
};

// One exchange on a fresh connection, closed afterwards. Thread-safe.
[[nodiscard]] Result<ClientResponse> Fetch(const ClientRequest& request,
                                           const ClientOptions& options = {});
[[nodiscard]] Result<ClientResponse> Get(std::string_view url, const ClientOptions& options = {});
[[nodiscard]] Result<ClientResponse> Post(std::string_view url, std::string body,
                                          std::string_view content_type,
                                          const ClientOptions& options = {});

struct PoolOptions {
  size_t max_idle_per_upstream = 32;
  // Idle connections older than this are closed instead of reused (keep it below the
  // upstream's own keep-alive timeout).
  std::chrono::milliseconds max_idle_time{30'000};
};

// Reuses keep-alive connections per upstream (scheme, host, port). A request that fails on a
// reused connection before any response byte arrived (the upstream closed it while idle) is
// retried once on a fresh connection.
// Thread-safe: Send may be called from many threads at once; each call holds its own connection.
class ClientPool {
 public:
  explicit ClientPool(ClientOptions options = {}, PoolOptions pool = {});
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  [[nodiscard]] Result<ClientResponse> Send(const ClientRequest& request);
  // Idle connections currently kept, over all upstreams.
  size_t IdleConnections() const;
  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SubscriptionOptions {
  ClientOptions http;  // `timeout` bounds connecting and reading the response head
  HeaderList headers;  // e.g. Authorization
  // Reconnect backoff: starts at `reconnect_delay` (or the server's `retry:`), doubles up to
  // `max_reconnect_delay`; reset after a successful connection.
  std::chrono::milliseconds reconnect_delay{250};
  std::chrono::milliseconds max_reconnect_delay{10'000};
  // A connection quiet for this long (no event, no heartbeat) is treated as lost.
  std::chrono::milliseconds read_idle{45'000};
  size_t max_event_bytes = 1 << 20;
};

// Subscribes to a Server-Sent Events stream on a background thread, reconnecting with
// `Last-Event-ID` so no event is missed across drops. `on_event` and `on_state` run on that
// thread, one at a time. `on_state(true, ok)` after each successful connect;
// `on_state(false, why)` whenever the stream is lost (callers use it to fail closed after a
// grace period). Thread-safety: Start/Stop/last_event_id from any thread.
class EventSubscription {
 public:
  using EventCallback = std::function<void(const SseEvent&)>;
  using StateCallback = std::function<void(bool connected, const Status& why)>;
  EventSubscription(std::string url, SubscriptionOptions options, EventCallback on_event,
                    StateCallback on_state = {});
  ~EventSubscription();  // Stop()
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  // Starts the thread; `last_event_id` resumes after an event seen before (may be empty).
  void Start(std::string last_event_id = "");
  // Closes the connection and joins the thread; idempotent.
  void Stop();
  std::string last_event_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mandate::http

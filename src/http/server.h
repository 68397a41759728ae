// Asynchronous HTTP/1.1 server over Boost.Beast/Asio: keep-alive, pipelining, limits answered
// with JSON errors, a router with path templates, synchronous and asynchronous handlers,
// Server-Sent Events, optional TLS and mTLS, graceful shutdown.
//
// Threading: `threads` workers, each with its own io_context and its own SO_REUSEPORT listener
// on the same port, so a connection lives on one thread from accept to close (no locks or thread
// hops per request). Handlers run on that worker thread: a synchronous handler must not block;
// one that must wait takes an AsyncHandler and answers later, from any thread, via Responder.
//
// Error bodies are `{"error":{"code":"...","message":"..."}}` with codes `http.bad_request`
// (400), `http.not_found` (404), `http.method_not_allowed` (405), `http.timeout` (408),
// `http.body_too_large` (413), `http.header_too_large` (431), `http.internal` (500),
// `http.too_many_connections` and `http.shutting_down` (503). docs/http.md lists the limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/http/message.h"
#include "src/util/status.h"

namespace boost::asio {
class io_context;
}

namespace mandate::http {

namespace internal {
struct RequestState;
class Exchange;
}  // namespace internal

// What a connection knows about its peer; lives as long as the connection.
struct ConnectionInfo {
  uint64_t id = 0;             // unique per server process, never reused
  std::string remote_address;  // "127.0.0.1" or "::1"
  uint16_t remote_port = 0;
  bool tls = false;
  // mTLS: the client's certificate chain as DER, leaf first (empty without a client cert).
  std::vector<std::string> peer_certificates;
  // Free slot for the application, e.g. the caller verified on this keep-alive connection.
  // Only touched by handlers of this connection, which never run concurrently.
  std::shared_ptr<void> user_data;
  // Set by a handler (non-zero): connections with the same affinity are served by one worker,
  // the connection moving there before its next request (plain TCP; a TLS connection stays),
  // so what their requests share (one task's state and lock) stays on one core. Each new
  // affinity gets the next worker in turn.
  uint64_t affinity = 0;
};

// A parsed request. Views point into connection buffers and stay valid until the response is
// sent. Thread-safety: read-only; an async handler may read it from another thread until it
// calls Responder::Send.
class Request {
 public:
  explicit Request(const internal::RequestState* state) : state_(state) {}
  std::string_view method() const;
  std::string_view target() const;  // raw request-target, e.g. "/v1/tasks/t1?x=1"
  std::string_view path() const;    // before '?', still percent-encoded
  std::string_view query() const;   // after '?', raw ("" when absent)
  // First value of a query parameter, percent-decoded (`+` as space); nullopt when absent or
  // malformed.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // A `{name}` of the matched route template, percent-decoded ("" when the route has none).
  std::string_view PathParam(std::string_view name) const;
  std::optional<std::string_view> Header(std::string_view name) const;
  // All headers in wire order (allocates; for proxies and logs).
  std::vector<std::pair<std::string_view, std::string_view>> Headers() const;
  std::string_view body() const;
  bool keep_alive() const;
  ConnectionInfo& connection() const;
  // The io_context of the worker thread serving this connection: an async handler may start its
  // own non-blocking I/O there (e.g. a proxy's upstream call) and answer without a thread hop.
  boost::asio::io_context& io_context() const;

 private:
  const internal::RequestState* state_;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // omitted when empty
  std::string body;
  HeaderList headers;  // extra headers; Content-Length and Connection are the server's
  bool close = false;  // close the connection after this response

  static Response Json(int status, std::string body) {
    return Response{status, "application/json", std::move(body), {}, false};
  }
  static Response Text(int status, std::string body) {
    return Response{status, "text/plain; charset=utf-8", std::move(body), {}, false};
  }
  static Response NoContent() { return Response{204, "", "", {}, false}; }
  // A JSON error body: {"error":{"code":code,"message":message}}.
  static Response Error(int status, std::string_view code, std::string_view message) {
    return Response{status, "application/json", ErrorJson(code, message), {}, false};
  }
  // A load balancer's health check: 200 while `ready` is ok, else 503 naming why (HealthJson).
  static Response Health(const Status& ready) {
    return Json(ready.ok() ? 200 : 503, HealthJson(ready));
  }
};

// A live text/event-stream response. Thread-safe: any thread may Send or Close.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues a frame; false once the stream is closed (client gone, slow client over the
  // buffer limit, server stopping, or Close()).
  virtual bool Send(const SseEvent& event) = 0;
  virtual void Close() = 0;
  virtual bool closed() const = 0;
  // Called once, on the connection's thread, when the stream closes for any reason.
  // Set it right after StartEvents; if already closed it runs immediately.
  virtual void OnClose(std::function<void()> callback) = 0;
};

// The answer channel of an AsyncHandler. Move-only; Send (or StartEvents) exactly once, from
// any thread. Dropping it unanswered sends 500 `http.internal` (never a silent hang).
class Responder {
 public:
  explicit Responder(std::shared_ptr<internal::Exchange> exchange);
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();
  void Send(Response response);
  // Answers 200 text/event-stream and keeps the connection for events; heartbeats (comment
  // frames) are sent by the server when the stream is quiet.
  std::shared_ptr<EventStream> StartEvents(HeaderList extra_headers = {});

 private:
  std::shared_ptr<internal::Exchange> exchange_;
};

using Handler = std::function<Response(const Request&)>;
using AsyncHandler = std::function<void(const Request&, Responder)>;

// Routes (method, path template) to handlers. Templates are literal segments and `{name}`
// segments; a final `{name...}` matches the rest of the path (may be empty). Literal segments
// win over parameters. Build it, then hand it to Server::Start; it is immutable afterwards.
// Thread-safety: building is single-threaded; matching is read-only.
class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Errors (`http.route_invalid`): malformed template, duplicate (method, template).
  [[nodiscard]] Status Add(std::string_view method, std::string_view path_template, Handler h);
  [[nodiscard]] Status AddAsync(std::string_view method, std::string_view path_template,
                                AsyncHandler h);
  // Handles requests no route matches (default: 404 / 405 JSON errors).
  void SetFallback(AsyncHandler h);

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

enum class ClientAuth { kNone, kOptional, kRequired };

struct TlsOptions {
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;   // PEM private key
  // mTLS: clients are verified against this CA bundle.
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNone;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0 = pick a free port; read it back with Server::port()
  int threads = 2;
  size_t max_header_bytes = 16 << 10;  // 431 above
  size_t max_body_bytes = 1 << 20;     // 413 above
  // Time to receive one whole request once its first byte arrived (slowloris bound); 408.
  std::chrono::milliseconds read_timeout{10'000};
  // Keep-alive: time a connection may sit between requests before it is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // Time to write one response (slow readers are dropped).
  std::chrono::milliseconds write_timeout{10'000};
  size_t max_connections = 10'000;  // 503 above
  // Event streams: heartbeat when quiet this long; close a client more than this behind.
  std::chrono::milliseconds sse_heartbeat{15'000};
  size_t sse_max_buffered_bytes = 1 << 20;
  std::optional<TlsOptions> tls;
};

// Thread-safety: port() and counters from any thread; Stop from any thread but a worker.
class Server {
 public:
  // Binds, listens and starts the worker threads. Errors: `http.listen` (bind/listen failed),
  // `http.tls_config` (certificate or key unreadable).
  [[nodiscard]] static Result<std::unique_ptr<Server>> Start(ServerOptions options, Router router);
  ~Server();  // Stop(0)

  uint16_t port() const;
  size_t open_connections() const;
  // Stops accepting, closes idle connections, lets in-flight requests answer (with
  // `Connection: close`) for up to `grace`, then closes everything and joins the workers.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5'000));

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs `task` on the calling server worker thread after the handlers that are ready now (the
// rest of this turn of its event loop): work that many requests share, such as one audit
// commit for every decision of the turn, is then done once. Returns false, and does nothing,
// when the caller is not a server worker.
bool DeferOnWorker(std::function<void()> task);

}  // namespace mandate::http

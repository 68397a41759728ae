// One client connection (plain TCP or TLS) driven synchronously on its own io_context.
// Thread-safety: not thread-safe, except Cancel(), which any thread may call.
#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "src/http/client.h"
#include "src/http/internal/url.h"
#include "src/util/status.h"

namespace boost::asio::ssl {
class context;
}

namespace mandate::http::internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// The client's Status for a failed socket operation `what` ("resolve", "connect", "write",
// "read", ...) on `endpoint`: `http.client.timeout`, `http.client.too_large`,
// `http.client.connect` (resolving or connecting) or `http.client.protocol`. Shared by the
// blocking client and the gateway's non-blocking one.
Status ClientErrorStatus(const boost::system::error_code& ec, std::string_view what,
                         std::string_view endpoint);

// TLS settings built once from ClientOptions (trust store, client certificate).
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const ClientOptions& options);

class Connection {
 public:
  // Resolves, connects and (for https) handshakes, all before `deadline`.
  [[nodiscard]] static Result<std::unique_ptr<Connection>> Open(
      const Endpoint& endpoint, const ClientOptions& options,
      std::shared_ptr<boost::asio::ssl::context> tls, SteadyTime deadline);
  ~Connection();

  // Writes the request and reads the whole response before `deadline`.
  // `failed_before_response` is set when the error came before any response byte.
  [[nodiscard]] Result<ClientResponse> RoundTrip(const ClientRequest& request,
                                                 std::string_view target, SteadyTime deadline,
                                                 bool* failed_before_response);

  // Writes the request, reads the head before `deadline` and hands it to `on_head` (return false
  // to stop), then hands body pieces to `on_body` as they arrive (each read bounded by
  // `read_idle`) until the body ends, a callback returns false or Cancel() is called.
  [[nodiscard]] Status Stream(const ClientRequest& request, std::string_view target,
                              SteadyTime deadline, std::chrono::milliseconds read_idle,
                              const std::function<bool(const ClientResponse&)>& on_head,
                              const std::function<bool(std::string_view)>& on_body);

  // Closes the socket from any thread, ending a blocked Stream().
  void Cancel();

  // True when the last response allowed keep-alive and the connection is still usable.
  bool reusable() const { return reusable_; }
  SteadyTime idle_since() const { return idle_since_; }

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  bool reusable_ = false;
  SteadyTime idle_since_{};
};

}  // namespace mandate::http::internal

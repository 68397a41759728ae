// The gateway's upstream calls without a thread of their own: each call runs as non-blocking I/O
// on the io_context of the server worker that received the agent's request, and its keep-alive
// connections are kept per (worker, upstream), so an allowed call is read, decided, forwarded
// and answered on one thread with no hand-off (each hop between threads costs a wake-up, which
// on a loaded 2-core machine is what makes the tail).
//
// Same contract as http::ClientPool::Send: http and https (peer verified unless turned off),
// the whole exchange bounded by `timeout`, response limits, a request that failed on a reused
// connection before any response byte is retried once on a fresh one, errors with the
// `http.client.*` reasons of src/http/client.h.
// Thread-safety: Send may be called from any thread; everything else happens on `ioc`.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "src/http/client.h"
#include "src/util/status.h"

namespace mandate::enforce::internal {

class UpstreamClient {
 public:
  using Done = std::function<void(Result<http::ClientResponse>)>;
  // `spin`: after a request is written, watch its connection for up to this long before
  // going to sleep on the reactor for the answer (0: sleep at once). A fast upstream's answer
  // then needs no wake-up of the thread, at the cost of the CPU spent watching.
  explicit UpstreamClient(http::ClientOptions options, http::PoolOptions pool = {},
                          std::chrono::microseconds spin = std::chrono::microseconds(0));
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends `request` on `ioc` and calls `done` there exactly once (not at all if `ioc` is
  // destroyed first). Idle connections live in `ioc` itself and close with it.
  void Send(boost::asio::io_context& ioc, http::ClientRequest request, Done done);

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace mandate::enforce::internal

// Connection sessions and what they share with the server. Internal to src/http.
// Thread-safety: a session and its worker's registry are touched only on the worker's thread,
// except where noted (Exchange and event streams post to that thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "src/http/internal/router.h"
#include "src/http/server.h"

namespace mandate::http::internal {

using Millis = int64_t;  // steady-clock milliseconds
inline Millis NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Worker;

// Shared by every worker; immutable after Start except the atomics and the affinity homes.
struct ServerShared {
  ServerOptions options;
  Router router;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null without TLS
  std::atomic<size_t> open_connections{0};
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<bool> stopping{false};
  std::vector<std::weak_ptr<Worker>> workers;  // set before the workers run

  // The worker that serves connections of `affinity` (ConnectionInfo::affinity): the next in
  // turn for an affinity not seen before. Null once the server is gone.
  std::shared_ptr<Worker> HomeOf(uint64_t affinity);

 private:
  static constexpr size_t kMaxAffinities = 1 << 16;  // then forgotten: only a placement hint
  std::mutex affinity_mu_;
  std::unordered_map<uint64_t, size_t> homes_;  // GUARDED_BY(affinity_mu_)
  size_t next_home_ = 0;                        // GUARDED_BY(affinity_mu_)
};

class SessionBase;

// One worker thread: its io_context, listener and the sessions it owns.
// Held by shared_ptr from every session, so a Responder answering after Stop() posts to a
// live (stopped) io_context instead of a destroyed one.
struct Worker {
  explicit Worker(std::shared_ptr<ServerShared> owner)
      : shared_owner(std::move(owner)), shared(*shared_owner), acceptor(ioc), sweep(ioc) {}
  std::shared_ptr<ServerShared> shared_owner;
  ServerShared& shared;
  boost::asio::io_context ioc{1};
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer sweep;  // enforces deadlines and heartbeats
  std::unordered_map<uint64_t, std::shared_ptr<SessionBase>> sessions;
};

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Called by the worker's sweep timer with the current time.
  virtual void Tick(Millis now) = 0;
  // Server stopping: close when idle, finish the request in flight otherwise.
  virtual void BeginStop() = 0;
  virtual void ForceClose() = 0;

  // From any thread (they post to the worker): the answer of async request `seq`.
  virtual void PostResponse(uint64_t seq, Response response) = 0;
  virtual void PostStartEvents(uint64_t seq, HeaderList headers,
                               std::shared_ptr<EventStream> stream) = 0;
  virtual void PostEvent(std::string frame) = 0;
  virtual void PostCloseEvents() = 0;
};

// Creates the session for an accepted socket (TLS when shared.tls is set).
std::shared_ptr<SessionBase> MakeSession(std::shared_ptr<Worker> worker,
                                         boost::asio::ip::tcp::socket socket, bool over_capacity);

}  // namespace mandate::http::internal

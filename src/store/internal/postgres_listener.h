// A LISTEN/NOTIFY loop on its own connection: on every notification on `channel` (and after a
// reconnect) it fetches the events after the last one delivered and publishes them in order.
// Thread-safety: Start/Stop from one owner thread; the loop runs on its own thread.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "src/store/internal/revocation_fanout.h"

namespace mandate::store::internal {

class PostgresListener {
 public:
  // Fetches up to a page of events with id > after_id.
  using Fetch = std::function<Result<std::vector<RevocationEvent>>(int64_t after_id)>;

  PostgresListener(std::string conninfo, std::string channel, Fetch fetch,
                   std::shared_ptr<RevocationFanout> fanout);
  ~PostgresListener();  // stops the loop

  // Connects and LISTENs, then reads `latest()` (the last committed id) and starts delivering
  // events after it; in that order, so nothing committed in between is missed.
  Status Start(const std::function<Result<int64_t>()>& latest);

 private:
  Status Connect();
  void Loop();
  void CatchUp();

  const std::string conninfo_, channel_;
  const Fetch fetch_;
  const std::shared_ptr<RevocationFanout> fanout_;
  PGconn* conn_ = nullptr;  // owned by the loop thread once started
  int64_t last_id_ = 0;     // owned by the loop thread once started
  bool retry_ = false;      // owned by the loop thread: the last fetch failed
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mandate::store::internal

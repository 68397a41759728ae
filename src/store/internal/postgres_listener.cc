#include "src/store/internal/postgres_listener.h"

#include <poll.h>

#include <chrono>

namespace mandate::store::internal {

PostgresListener::PostgresListener(std::string conninfo, std::string channel, Fetch fetch,
                                   std::shared_ptr<RevocationFanout> fanout)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      fetch_(std::move(fetch)),
      fanout_(std::move(fanout)) {}

PostgresListener::~PostgresListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  PQfinish(conn_);
}

Status PostgresListener::Connect() {
  PQfinish(conn_);
  conn_ = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    return {StatusCode::kUnavailable, "store.unavailable",
            std::string("revocation listener: ") + PQerrorMessage(conn_)};
  }
  char* quoted = PQescapeIdentifier(conn_, channel_.c_str(), channel_.size());
  std::string sql = std::string("LISTEN ") + (quoted ? quoted : "");
  PQfreemem(quoted);
  PGresult* res = PQexec(conn_, sql.c_str());
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) {
    return {StatusCode::kUnavailable, "store.unavailable",
            std::string("revocation listener: listen: ") + PQerrorMessage(conn_)};
  }
  return {};
}

Status PostgresListener::Start(const std::function<Result<int64_t>()>& latest) {
  if (Status s = Connect(); !s.ok()) return s;
  auto last = latest();
  if (!last) return last.error();
  last_id_ = *last;
  thread_ = std::thread([this] { Loop(); });
  return {};
}

void PostgresListener::CatchUp() {
  for (;;) {
    auto events = fetch_(last_id_);
    retry_ = !events;  // a failed fetch is retried on the next poll timeout
    if (!events || events->empty()) return;
    for (const RevocationEvent& event : *events) {
      fanout_->Publish(event);
      last_id_ = event.id;
    }
  }
}

void PostgresListener::Loop() {
  using namespace std::chrono_literals;
  while (!stop_) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::this_thread::sleep_for(200ms);
      if (Connect().ok()) CatchUp();  // events committed while disconnected
      continue;
    }
    pollfd fd{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
    if (poll(&fd, 1, 100) <= 0) {
      if (retry_) CatchUp();
      continue;
    }
    if (PQconsumeInput(conn_) == 0) continue;  // connection lost: reconnect above
    bool notified = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      notified = true;
      PQfreemem(n);
    }
    if (notified) CatchUp();
  }
}

}  // namespace mandate::store::internal

// DurableResponder: answers a decision only once its audit record is committed, without
// blocking an HTTP worker. Handlers hand over (ticket, response); one waiter thread waits for
// the lowest ticket waiting and then sends every response whose record the commits so far
// cover (one wake per group commit, not per record). If the audit log failed, the decision is
// not acknowledged: the caller gets 503 `audit.unavailable` (fail closed).
// Thread-safety: Submit from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "src/audit/audit.h"
#include "src/http/server.h"

namespace mandate::server {

class DurableResponder {
 public:
  explicit DurableResponder(audit::AuditLog& log);
  ~DurableResponder();  // answers what is queued, then stops
  void Submit(uint64_t ticket, http::Responder responder, http::Response response);

 private:
  struct Pending {
    uint64_t ticket;
    http::Responder responder;
    http::Response response;
  };
  void Run();
  audit::AuditLog& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;       // GUARDED_BY(mu_)
  std::thread waiter_;
};

}  // namespace mandate::server

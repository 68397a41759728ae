// DurableResponder: answers a decision only once its audit record is committed, without
// blocking an HTTP worker and without a thread of its own. Handlers hand over (ticket,
// response) and then commit what is queued on their own thread (AuditLog::CommitQueued, unless
// another commit runs); the log's commit listener sends every response its commits cover, on
// the committing thread. If the audit log failed, the decision is not acknowledged: the caller
// gets 503 `audit.unavailable` (fail closed).
// Thread-safety: Submit from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "src/audit/audit.h"
#include "src/http/server.h"
#include "src/util/adaptive_mutex.h"

namespace mandate::server {

class DurableResponder {
 public:
  // Becomes `log`'s commit listener. REQUIRES: before the log's first Append.
  explicit DurableResponder(audit::AuditLog& log);
  ~DurableResponder();  // commits and answers what is queued
  void Submit(uint64_t ticket, http::Responder responder, http::Response response);

 private:
  struct Pending {
    uint64_t ticket;
    http::Responder responder;
    http::Response response;
  };
  void OnCommit(int64_t durable, const Status& failure);
  static void Refuse(http::Responder& responder, std::string_view why);

  audit::AuditLog& log_;
  AdaptiveMutex mu_;
  std::vector<Pending> waiting_;  // GUARDED_BY(mu_)
  uint64_t durable_ = 0;          // GUARDED_BY(mu_): as the listener last heard
  Status failure_;                // GUARDED_BY(mu_)
};

}  // namespace mandate::server

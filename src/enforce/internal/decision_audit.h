// The audit records of the decisions an enforcement point takes itself (a held step credential
// checked locally, the gateway's own refusals), delivered to the authority's hash-chained audit
// trail without a round trip in any call's latency:
//   Record   (on the request's thread) appends the record to an in-memory queue: a lock and a
//            move, no I/O, no wake-up unless a full batch is waiting.
//   sender   (one thread) every `flush_interval` POSTs the oldest records, in order, as one batch
//            to `POST /v1/ep/audit` (docs/api.md); the authority answers 200 only once every
//            record of the batch is durable. A failed batch stays at the front and is sent again
//            (with the same sequence numbers: the authority skips what it already appended).
//   spool    (optional, `spool_dir`) each record is also written to a file before its call is
//            answered (src/enforce/internal/audit_spool.h): a process killed outright loses
//            none, the next one started on the folder delivers them first.
//   Ready    fails closed: when the oldest undelivered record is older than `grace`, or
//            `capacity` records wait, the enforcement point refuses every call with 503
//            `audit.unavailable` until the authority has them (like the revocation stream's
//            grace period). A record is never dropped while the process runs; a refusal that
//            finds the queue full is counted and the count delivered as a record of its own.
// Why the authority's chain rather than one per gateway: docs/enforcement.md, "Audit".
// Thread-safety: Record, Ready and the counters are safe from any thread.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "src/enforce/decision.h"
#include "src/enforce/internal/audit_spool.h"
#include "src/enforce/revocation.h"
#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::enforce::internal {

// One decision, as the enforcement point saw it. `args` are the call's arguments (the authority
// records their digest, computed as for its own decisions); digested on the sender thread.
struct LocalDecisionRecord {
  int64_t time_micros = 0;  // 0: Record stamps it
  std::string agent;        // the credential's `sub` (empty when nothing was verified)
  std::string task, step, system, action, resource;
  std::string decision;    // allow, deny, error
  std::string reason;      // `code: message` of a refusal
  std::string credential;  // the step credential's `jti`
  std::string proof;       // dpop, bound_connection, or empty
  boost::json::object args;
  // The record as a batch carries it, once serialised: with a spool, Record writes it to the
  // spool and the batch reuses it (one arguments digest per record, not two).
  std::string json;
};

// The record of `decision` on a call to `system`'s `action` on `resource`, whose outcome was
// `outcome` (allow, deny or error): a refusal's reason is its primary code and message.
LocalDecisionRecord RecordOfDecision(const Decision& decision, std::string_view system,
                                     std::string_view action, std::string_view resource,
                                     std::string_view outcome, boost::json::object args);
// The same, taking the decision's strings instead of copying them.
LocalDecisionRecord RecordOfDecision(Decision&& decision, std::string_view system,
                                     std::string_view action, std::string_view resource,
                                     std::string_view outcome, boost::json::object args);

struct DecisionAuditOptions {
  std::string enforcement_point = "gateway";  // names the sender in every record
  int64_t flush_interval_ms = 50;
  int64_t grace_ms = 5000;  // oldest undelivered record older than this: refuse calls
  size_t capacity = 100'000;
  size_t max_batch = 1000;     // records per POST (well under the authority's 1 MiB body limit)
  std::string spool_dir = "";  // write-ahead folder for the records ("": none)
};

// Delivers one batch (the request body); ok only when the authority made every record durable.
using AuditSink = std::function<Status(const std::string& body)>;
// `POST <authority>/v1/ep/audit` with `Authorization: Bearer <ep_token>`, 10 s timeout.
AuditSink HttpAuditSink(std::string authority_url, std::string ep_token);

class DecisionAudit {
 public:
  DecisionAudit(AuditSink sink, const Clock& clock, DecisionAuditOptions options = {});
  // Keeps delivering for up to `grace_ms`, then prints what is still undelivered to stderr as
  // the batch body it would have sent (so an operator can replay it), and stops.
  ~DecisionAudit();
  DecisionAudit(const DecisionAudit&) = delete;
  DecisionAudit& operator=(const DecisionAudit&) = delete;

  // Ok, or 503-worthy `audit.unavailable` (see above), or the spool's `audit.spool` once it
  // cannot be written or read. Cheap: three atomic loads and the clock.
  Status Ready() const;
  // Queues `record`. Allowed calls are always queued (Ready gated them); a refusal is queued
  // while fewer than `capacity` records wait, else only counted.
  void Record(LocalDecisionRecord record);
  // Wakes the sender and waits until everything queued before the call is delivered or
  // `timeout_ms` passes. For tests and shutdown.
  bool Flush(int64_t timeout_ms);

  int64_t delivered() const { return delivered_.load(); }
  size_t pending() const { return pending_.load(); }
  int64_t failed_batches() const { return failed_batches_.load(); }

  // The request body of a batch: {"enforcement_point", "instance", "first_sequence",
  // "records": [...]} with the first `count` records, stopping early (at least one) once the
  // body passes `max_bytes`; `*included` says how many it holds.
  static std::string BatchBody(std::string_view enforcement_point, std::string_view instance,
                               int64_t first_sequence,
                               const std::deque<LocalDecisionRecord>& records, size_t count,
                               size_t* included, size_t max_bytes = 512 << 10);
  const std::string& instance() const { return instance_; }

 private:
  struct Queued {
    int64_t sequence;
    LocalDecisionRecord record;
  };
  void Run();
  void PublishOldestLocked();                    // REQUIRES: mu_ held
  void SpoolFailedLocked(const Status& status);  // REQUIRES: mu_ held
  // Writes `record` (serialised if it is not yet) to the spool as the next sequence, when
  // there is one. REQUIRES: mu_ held, `record` about to be queued.
  void SpoolLocked(LocalDecisionRecord& record);
  // Delivers what earlier processes left in the spool folder (REQUIRES: lock held).
  void DeliverSpooled(std::unique_lock<std::mutex>& lock);

  const AuditSink sink_;
  const Clock& clock_;
  const DecisionAuditOptions options_;
  const std::string instance_;  // random per process: sequences restart with it

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the sender: a full batch waits, a flush, or stop
  std::condition_variable delivered_cv_;
  std::deque<LocalDecisionRecord> queue_;  // GUARDED_BY(mu_), oldest first, not yet sent
  int64_t queue_first_sequence_ = 1;       // GUARDED_BY(mu_), sequence of queue_.front()
  int64_t in_flight_since_ = 0;            // GUARDED_BY(mu_), oldest time being sent, 0: none
  size_t in_flight_count_ = 0;             // GUARDED_BY(mu_)
  int64_t overflowed_ = 0;                 // GUARDED_BY(mu_), refusals not itemised
  bool flush_requested_ = false;           // GUARDED_BY(mu_)
  bool stopping_ = false;                  // GUARDED_BY(mu_)
  AuditSpool spool_;                       // GUARDED_BY(mu_)
  Status spool_failure_;                   // GUARDED_BY(mu_)
  std::atomic<bool> spool_failed_{false};

  std::atomic<int64_t> oldest_undelivered_{0};  // micros, 0: nothing waits
  std::atomic<size_t> pending_{0};
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> failed_batches_{0};
  std::thread sender_;
};

// Ok while an enforcement point may allow a call, checked in the order its calls are: the
// revocation feed synced (or within its grace), then its own decisions' audit not behind. Either
// may be null (not used). What its health path answers with.
Status EnforcementReady(const RevocationFeed* feed, const DecisionAudit* audit);

// A DecisionClient decorator for enforcement points whose only local decisions are the wrapped
// client's (the HTTP MCP proxy over a StepCredentialClient): refuses with kError
// `audit.unavailable` while `audit` is not Ready, and records every decision the authority did
// not record itself. (The gateway records in its handler instead: it also refuses on its own.)
class AuditedDecisionClient final : public DecisionClient {
 public:
  AuditedDecisionClient(DecisionClient& inner, DecisionAudit& audit)
      : inner_(inner), audit_(audit) {}
  Decision Authorize(const AuthorizeRequest& request) override;
  std::optional<Decision> TryAuthorizeWithoutWaiting(const AuthorizeRequest& request) override;
  Result<std::vector<std::string>> AllowedActions(const AgentCredentials& agent,
                                                  std::string_view system) override {
    return inner_.AllowedActions(agent, system);
  }

 private:
  Decision Recorded(const AuthorizeRequest& request, Decision decision);
  DecisionClient& inner_;
  DecisionAudit& audit_;
};

}  // namespace mandate::enforce::internal

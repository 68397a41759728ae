#include "src/enforce/internal/decision_audit.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>

#include "src/audit/audit.h"
#include "src/http/client.h"
#include "src/json/writer.h"
#include "src/util/hex.h"

namespace mandate::enforce::internal {
namespace {

std::string RandomInstance() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Uniqueness, not secrecy, is what matters: fall back to the clock and address.
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    return "i" + std::to_string(now) + std::to_string(reinterpret_cast<uintptr_t>(bytes));
  }
  std::string instance;
  AppendHex(bytes, sizeof bytes, instance);
  return instance;
}

// {"enforcement_point":..,"instance":..,"first_sequence":..,"records":[ (a batch's start).
void AppendBatchHead(std::string& out, std::string_view enforcement_point,
                     std::string_view instance, int64_t first_sequence) {
  out += '{';
  json::AppendMember(out, "enforcement_point", enforcement_point);
  json::AppendMember(out, "instance", instance);
  json::AppendMember(out, "first_sequence", first_sequence);
  json::AppendKey(out, "records");
  out += '[';
}

// One record as a batch (and the spool) carries it.
void AppendRecordJson(std::string& out, const LocalDecisionRecord& r) {
  if (!r.json.empty()) {
    out += r.json;
    return;
  }
  out += '{';
  json::AppendMember(out, "time_micros", r.time_micros);
  json::AppendMember(out, "agent", r.agent);
  json::AppendMember(out, "task", r.task);
  json::AppendMember(out, "step", r.step);
  json::AppendMember(out, "system", r.system);
  json::AppendMember(out, "action", r.action);
  json::AppendMember(out, "resource", r.resource);
  json::AppendMember(out, "decision", r.decision);
  json::AppendMember(out, "reason", r.reason);
  json::AppendMember(out, "credential", r.credential);
  json::AppendMember(out, "proof", r.proof);
  json::AppendMember(out, "args_digest", audit::ArgumentsDigest(r.args));
  out += '}';
}

}  // namespace

namespace {

// `D` is `const Decision&` (copied from) or `Decision` (moved from).
template <typename D>
LocalDecisionRecord MakeRecord(D&& decision, std::string_view system, std::string_view action,
                               std::string_view resource, std::string_view outcome,
                               boost::json::object args) {
  LocalDecisionRecord record;
  if (outcome != "allow") record.reason = decision.PrimaryCode() + ": " + decision.PrimaryMessage();
  record.agent = std::forward<D>(decision).agent;
  record.task = std::forward<D>(decision).task_id;
  record.step = std::forward<D>(decision).step;
  record.system = system;
  record.action = action;
  record.resource = resource;
  record.decision = outcome;
  record.credential = std::forward<D>(decision).credential_id;
  record.proof = std::forward<D>(decision).proof;
  record.args = std::move(args);
  return record;
}

}  // namespace

LocalDecisionRecord RecordOfDecision(const Decision& decision, std::string_view system,
                                     std::string_view action, std::string_view resource,
                                     std::string_view outcome, boost::json::object args) {
  return MakeRecord(decision, system, action, resource, outcome, std::move(args));
}

LocalDecisionRecord RecordOfDecision(Decision&& decision, std::string_view system,
                                     std::string_view action, std::string_view resource,
                                     std::string_view outcome, boost::json::object args) {
  return MakeRecord(std::move(decision), system, action, resource, outcome, std::move(args));
}

AuditSink HttpAuditSink(std::string authority_url, std::string ep_token) {
  while (!authority_url.empty() && authority_url.back() == '/') authority_url.pop_back();
  http::ClientOptions options;
  options.timeout = std::chrono::milliseconds(10'000);
  options.max_response_body = 64 << 10;
  // One warm keep-alive connection: the sender is one thread.
  auto pool = std::make_shared<http::ClientPool>(options);
  return [pool, url = authority_url + "/v1/ep/audit",
          auth = "Bearer " + ep_token](const std::string& body) -> Status {
    http::ClientRequest request{
        "POST", url, {{"Authorization", auth}, {"Content-Type", "application/json"}}, body};
    auto response = pool->Send(request);
    if (!response) return response.error();
    if (response->status == 200) return Status();
    // The error code only: the body is the authority's, not ours to repeat in logs at length.
    std::string_view text = response->body;
    return Status(StatusCode::kUnavailable, "audit.unavailable",
                  "the authority answered http " + std::to_string(response->status) + ": " +
                      std::string(text.substr(0, 200)));
  };
}

DecisionAudit::DecisionAudit(AuditSink sink, const Clock& clock, DecisionAuditOptions options)
    : sink_(std::move(sink)),
      clock_(clock),
      options_(std::move(options)),
      instance_(RandomInstance()),
      sender_([this] { Run(); }) {
  if (options_.spool_dir.empty()) return;
  std::lock_guard lock(mu_);
  if (Status s = spool_.Open(options_.spool_dir, instance_); !s.ok()) SpoolFailedLocked(s);
}

DecisionAudit::~DecisionAudit() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  sender_.join();
}

Status DecisionAudit::Ready() const {
  if (spool_failed_.load(std::memory_order_relaxed)) {
    std::lock_guard lock(mu_);
    return spool_failure_;
  }
  const int64_t oldest = oldest_undelivered_.load(std::memory_order_relaxed);
  if (oldest != 0 && clock_.NowMicros() - oldest > options_.grace_ms * 1000) {
    return Status(StatusCode::kUnavailable, "audit.unavailable",
                  "decisions older than " + std::to_string(options_.grace_ms) +
                      " ms have not reached the authority's audit trail yet");
  }
  if (pending_.load(std::memory_order_relaxed) >= options_.capacity) {
    return Status(StatusCode::kUnavailable, "audit.unavailable",
                  "the audit queue is full: the authority is not taking records");
  }
  return Status();
}

void DecisionAudit::Record(LocalDecisionRecord record) {
  // Stamped and, for the spool, serialised before the lock, in parallel with other calls: the
  // stamps of calls on different threads may then be a few microseconds out of sequence order.
  if (record.time_micros == 0) record.time_micros = clock_.NowMicros();
  if (!options_.spool_dir.empty()) AppendRecordJson(record.json, record);
  std::lock_guard lock(mu_);
  if (record.decision != "allow" && queue_.size() >= options_.capacity) {
    ++overflowed_;
    return;
  }
  SpoolLocked(record);
  queue_.push_back(std::move(record));
  PublishOldestLocked();
  // The first record wakes an idle sender (which then waits out the flush interval), a full
  // batch wakes it early; never a wake-up per call: that is what a busy machine's tail is made of.
  if (queue_.size() == 1 || queue_.size() == options_.max_batch) wake_.notify_one();
}

bool DecisionAudit::Flush(int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  const int64_t target = queue_first_sequence_ + static_cast<int64_t>(queue_.size()) - 1;
  flush_requested_ = true;
  wake_.notify_one();
  return delivered_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return queue_first_sequence_ > target && in_flight_since_ == 0 && overflowed_ == 0;
  });
}

void DecisionAudit::SpoolFailedLocked(const Status& status) {
  if (!spool_failure_.ok()) return;
  spool_failure_ = status;
  spool_failed_.store(true, std::memory_order_relaxed);
  std::cerr << "mandate " << options_.enforcement_point
            << ": refusing every call, the audit spool failed: " << status.ToString() << "\n";
}

void DecisionAudit::SpoolLocked(LocalDecisionRecord& record) {
  if (!spool_.enabled()) return;
  if (record.json.empty()) AppendRecordJson(record.json, record);
  const int64_t sequence = queue_first_sequence_ + static_cast<int64_t>(queue_.size());
  if (Status s = spool_.Append(sequence, record.json); !s.ok()) SpoolFailedLocked(s);
}

void DecisionAudit::DeliverSpooled(std::unique_lock<std::mutex>& lock) {
  if (options_.spool_dir.empty()) return;
  lock.unlock();
  auto runs = AuditSpool::Recover(options_.spool_dir, instance_);
  lock.lock();
  if (!runs) return SpoolFailedLocked(runs.error());
  size_t delivered = 0;
  for (const AuditSpool::Run& run : *runs) {
    for (size_t at = 0; at < run.records.size();) {
      const size_t n = std::min(options_.max_batch, run.records.size() - at);
      std::string body;
      AppendBatchHead(body, options_.enforcement_point, run.instance,
                      run.first_sequence + static_cast<int64_t>(at));
      for (size_t i = at; i < at + n; ++i) body.append(i > at ? "," : "").append(run.records[i]);
      body += "]}";
      for (int64_t backoff_ms = 50;; backoff_ms = std::min<int64_t>(1000, backoff_ms * 2)) {
        lock.unlock();
        const Status sent = sink_(body);
        lock.lock();
        if (sent.ok()) break;
        ++failed_batches_;
        if (backoff_ms == 50) {
          std::cerr << "mandate " << options_.enforcement_point
                    << ": spooled audit records cannot reach the authority yet (" << sent.ToString()
                    << "); retrying\n";
        }
        // Stopping: the files stay for the next process.
        if (wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [&] { return stopping_; }))
          return;
      }
      at += n;
      delivered += n;
    }
  }
  for (const AuditSpool::Run& run : *runs) AuditSpool::Forget(options_.spool_dir, run.instance);
  if (delivered > 0) {
    std::cerr << "mandate " << options_.enforcement_point << ": delivered " << delivered
              << " audit records an earlier process left in " << options_.spool_dir << "\n";
  }
}

void DecisionAudit::PublishOldestLocked() {
  int64_t oldest = in_flight_since_;
  if (oldest == 0 && !queue_.empty()) oldest = queue_.front().time_micros;
  oldest_undelivered_.store(oldest, std::memory_order_relaxed);
  pending_.store(queue_.size() + in_flight_count_, std::memory_order_relaxed);
}

std::string DecisionAudit::BatchBody(std::string_view enforcement_point, std::string_view instance,
                                     int64_t first_sequence,
                                     const std::deque<LocalDecisionRecord>& records, size_t count,
                                     size_t* included, size_t max_bytes) {
  std::string out;
  // A record takes about 500 bytes: one allocation rather than a doubling series of copies.
  out.reserve(256 + std::min(count, records.size()) * 640);
  AppendBatchHead(out, enforcement_point, instance, first_sequence);
  size_t i = 0;
  for (; i < count && i < records.size() && (i == 0 || out.size() < max_bytes); ++i) {
    if (i > 0) out += ',';
    AppendRecordJson(out, records[i]);
  }
  out += "]}";
  if (included != nullptr) *included = i;
  return out;
}

void DecisionAudit::Run() {
  std::unique_lock lock(mu_);
  int64_t backoff_ms = 0;  // > 0 after a failed batch: wait that long, whatever arrives
  int64_t stop_deadline = 0;
  bool failing = false;
  DeliverSpooled(lock);  // before this process's own records, which follow them in time
  while (true) {
    // Nothing queued: sleep until the first record (an idle enforcement point never wakes).
    wake_.wait(lock,
               [&] { return stopping_ || flush_requested_ || !queue_.empty() || overflowed_ > 0; });
    const auto wait =
        std::chrono::milliseconds(backoff_ms > 0 ? backoff_ms : options_.flush_interval_ms);
    wake_.wait_for(lock, wait, [&] {
      return backoff_ms == 0 &&
             (stopping_ || flush_requested_ || queue_.size() >= options_.max_batch);
    });
    if (stopping_ && stop_deadline == 0)
      stop_deadline = clock_.NowMicros() + options_.grace_ms * 1000;
    if (overflowed_ > 0 && queue_.size() < options_.capacity) {
      LocalDecisionRecord summary;
      summary.time_micros = clock_.NowMicros();
      summary.decision = "deny";
      summary.reason = "audit.overflow: " + std::to_string(overflowed_) +
                       " refusals were answered while the audit queue was full (not itemised)";
      SpoolLocked(summary);
      queue_.push_back(std::move(summary));
      overflowed_ = 0;
      PublishOldestLocked();
    }
    if (queue_.empty()) {
      flush_requested_ = false;
      delivered_cv_.notify_all();
      if (stopping_) {
        spool_.Remove();  // every record delivered
        break;
      }
      continue;
    }
    if (stopping_ && clock_.NowMicros() >= stop_deadline) {
      std::cerr << "mandate " << options_.enforcement_point << ": " << queue_.size()
                << " audit records could not be delivered; they follow as the batch to replay\n"
                << BatchBody(options_.enforcement_point, instance_, queue_first_sequence_, queue_,
                             queue_.size(), nullptr, SIZE_MAX)
                << std::endl;
      break;
    }
    const size_t taken = std::min(options_.max_batch, queue_.size());
    const int64_t first = queue_first_sequence_;
    std::deque<LocalDecisionRecord> batch(std::make_move_iterator(queue_.begin()),
                                          std::make_move_iterator(queue_.begin() + taken));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    queue_first_sequence_ += static_cast<int64_t>(taken);
    in_flight_since_ = batch.front().time_micros;
    in_flight_count_ = taken;
    PublishOldestLocked();
    lock.unlock();
    // Serialised (and the arguments digested) here, off every call's path. `sent_count` may be
    // less than `taken` when the body reached its size bound.
    size_t sent_count = 0;
    const std::string body =
        BatchBody(options_.enforcement_point, instance_, first, batch, taken, &sent_count);
    const Status sent = sink_(body);
    lock.lock();
    in_flight_since_ = 0;
    in_flight_count_ = 0;
    // What was not delivered goes back to the front with its sequence numbers: the authority
    // skips what it already has, should an answer have been lost.
    const size_t keep_from = sent.ok() ? sent_count : 0;
    queue_.insert(queue_.begin(),
                  std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(keep_from)),
                  std::make_move_iterator(batch.end()));
    queue_first_sequence_ = first + static_cast<int64_t>(keep_from);
    if (sent.ok()) {
      delivered_.fetch_add(static_cast<int64_t>(sent_count));
      if (Status s = spool_.Delivered(first + static_cast<int64_t>(sent_count) - 1); !s.ok()) {
        SpoolFailedLocked(s);
      }
      backoff_ms = 0;
      if (failing) {
        std::cerr << "mandate " << options_.enforcement_point
                  << ": audit records reach the authority again\n";
      }
      failing = false;
    } else {
      ++failed_batches_;
      backoff_ms = std::min<int64_t>(1000, std::max<int64_t>(50, backoff_ms * 2));
      if (!failing) {
        std::cerr << "mandate " << options_.enforcement_point
                  << ": audit records cannot reach the authority (" << sent.reason() << ": "
                  << sent.message() << "); retrying, calls are refused after " << options_.grace_ms
                  << " ms\n";
      }
      failing = true;
    }
    PublishOldestLocked();
    delivered_cv_.notify_all();
  }
  PublishOldestLocked();
}

Status EnforcementReady(const RevocationFeed* feed, const DecisionAudit* audit) {
  if (feed != nullptr) MANDATE_RETURN_IF_ERROR(feed->Ready());
  // A decision the audit trail cannot take is not enforced as one (fail closed).
  if (audit != nullptr) MANDATE_RETURN_IF_ERROR(audit->Ready());
  return Status();
}

Decision AuditedDecisionClient::Recorded(const AuthorizeRequest& request, Decision decision) {
  if (decision.recorded_by_authority) return decision;
  const std::string_view outcome = decision.verdict == Verdict::kAllow   ? "allow"
                                   : decision.verdict == Verdict::kError ? "error"
                                                                         : "deny";
  audit_.Record(RecordOfDecision(decision, request.system, request.action, request.resource,
                                 outcome, request.args));
  return decision;
}

Decision AuditedDecisionClient::Authorize(const AuthorizeRequest& request) {
  if (Status ready = audit_.Ready(); !ready.ok()) {
    return Recorded(request, ErrorDecision(std::string(ready.reason()), ready.message()));
  }
  return Recorded(request, inner_.Authorize(request));
}

std::optional<Decision> AuditedDecisionClient::TryAuthorizeWithoutWaiting(
    const AuthorizeRequest& request) {
  if (Status ready = audit_.Ready(); !ready.ok()) {
    return Recorded(request, ErrorDecision(std::string(ready.reason()), ready.message()));
  }
  std::optional<Decision> decision = inner_.TryAuthorizeWithoutWaiting(request);
  if (!decision) return std::nullopt;
  return Recorded(request, std::move(*decision));
}

}  // namespace mandate::enforce::internal

// The group-committing writer behind AuditLog.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <span>
#include <thread>

#include "src/audit/audit.h"
#include "src/audit/internal/record_codec.h"

namespace mandate::audit {
namespace {

// A queued record: its canonical body without chain and sequence (built by the appender).
struct Pending {
  Ticket sequence;
  std::string tail;
};

class GroupCommitLog final : public AuditLog {
 public:
  GroupCommitLog(store::Store& store, const Clock& clock, AuditOptions options,
                 store::AuditHead head)
      : store_(store),
        clock_(clock),
        options_(std::move(options)),
        body_prefix_(internal::BodyPrefix(options_.chain)),
        assigned_(head.sequence),
        durable_(head.sequence),
        last_hash_(head.sequence == 0 ? std::string(internal::kGenesisHash) : head.hash) {
    queue_.reserve(options_.max_batch);
    writer_ = std::thread([this] { WriterLoop(); });
  }

  ~GroupCommitLog() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_cv_.notify_one();
    writer_.join();
  }

  using AuditLog::Append;
  Result<Ticket> Append(const RecordView& view) override {
    RecordView record = view;
    if (record.time_micros == 0) record.time_micros = clock_.NowMicros();
    // Serialised here, outside the lock and in parallel with other appenders: the writer thread
    // is the one serial stage of every acknowledged decision, so it only joins and hashes.
    std::string tail = internal::CanonicalTail(record);
    std::unique_lock lock(mu_);
    if (queue_.size() >= options_.max_pending) {
      space_cv_.wait(lock, [&] { return queue_.size() < options_.max_pending || !failure_.ok(); });
    }
    if (!failure_.ok()) return Err(failure_);
    Ticket ticket = ++assigned_;
    queue_.push_back({ticket, std::move(tail)});
    // Only an idle writer needs the syscall, and only once: the appenders that follow before
    // it runs find it already woken. A lingering writer waits for `wake_at_` records.
    const bool wake = writer_idle_ && queue_.size() >= wake_at_;
    if (wake) writer_idle_ = false;
    lock.unlock();
    if (wake) work_cv_.notify_one();
    return ticket;
  }

  Status WaitDurable(Ticket ticket) override {
    std::unique_lock lock(mu_);
    durable_cv_.wait(lock, [&] { return durable_ >= ticket || !failure_.ok(); });
    return durable_ >= ticket ? Status() : failure_;
  }

  Status Flush() override {
    Ticket last;
    {
      std::lock_guard lock(mu_);
      last = assigned_;
    }
    return WaitDurable(last);
  }

  int64_t durable_sequence() const override {
    std::lock_guard lock(mu_);
    return durable_;
  }

 private:
  void WriterLoop() {
    std::vector<Pending> batch;
    batch.reserve(options_.max_batch);
    std::vector<store::AuditRow> rows;
    std::unique_lock lock(mu_);
    for (;;) {
      writer_idle_ = true;
      work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything is committed
      Linger(lock);
      writer_idle_ = false;
      batch.swap(queue_);  // O(1): take everything queued
      lock.unlock();
      space_cv_.notify_all();
      // One transaction per max_batch records; each becomes durable as soon as it commits.
      last_batch_ = batch.size();
      for (size_t begin = 0; begin < batch.size(); begin += options_.max_batch) {
        size_t end = std::min(batch.size(), begin + options_.max_batch);
        const auto started = std::chrono::steady_clock::now();
        Status status = Commit(std::span(batch).subspan(begin, end - begin), rows);
        last_commit_ = std::chrono::steady_clock::now() - started;
        lock.lock();
        if (!status.ok()) {
          failure_ = status.WithContext("audit chain `" + options_.chain + "`");
          queue_.clear();  // never acknowledged: their WaitDurable reports the failure
          durable_cv_.notify_all();
          space_cv_.notify_all();
          writer_idle_ = true;
          work_cv_.wait(lock, [&] { return stopping_; });
          return;
        }
        durable_ = batch[end - 1].sequence;
        durable_cv_.notify_all();
        lock.unlock();
      }
      batch.clear();
      // A burst (a million tasks started at once) must not pin its buffer for good.
      if (batch.capacity() > 4 * options_.max_batch) {
        batch = {};
        batch.reserve(options_.max_batch);
      }
      lock.lock();
    }
  }

  // Group-commit linger (AuditOptions::max_linger_micros). REQUIRES: lock held, queue not empty.
  void Linger(std::unique_lock<std::mutex>& lock) {
    const size_t want = std::min(last_batch_, options_.max_batch);
    if (want <= 1 || queue_.size() >= want || options_.max_linger_micros <= 0) return;
    const auto linger = std::min<std::chrono::steady_clock::duration>(
        last_commit_, std::chrono::microseconds(options_.max_linger_micros));
    wake_at_ = want;
    writer_idle_ = true;  // an Append that brings the queue to `want` wakes it
    work_cv_.wait_for(lock, linger, [&] { return queue_.size() >= want || stopping_; });
    wake_at_ = 1;
  }

  // Serialises, chains and stores one batch in one transaction. Runs without the lock.
  Status Commit(std::span<const Pending> batch, std::vector<store::AuditRow>& rows) {
    rows.clear();
    std::string prev = last_hash_;
    for (const Pending& p : batch) {
      std::string body;
      internal::AppendBody(body_prefix_, p.sequence, p.tail, body);
      std::string hash = internal::ChainHash(prev, body);
      rows.push_back({p.sequence, std::move(prev), hash, std::move(body)});
      prev = std::move(hash);
    }
    Status s = store_.AppendAudit(options_.chain, rows);
    if (s.ok()) last_hash_ = std::move(prev);
    return s;
  }

  store::Store& store_;
  const Clock& clock_;
  const AuditOptions options_;
  const std::string body_prefix_;  // `{"chain":<chain>,"sequence":`

  mutable std::mutex mu_;
  std::condition_variable work_cv_, durable_cv_, space_cv_;
  std::vector<Pending> queue_;  // GUARDED_BY(mu_), in sequence order
  Ticket assigned_;             // GUARDED_BY(mu_): the last sequence handed out
  Ticket durable_;              // GUARDED_BY(mu_): the last sequence committed
  Status failure_;              // GUARDED_BY(mu_): set once; the log is then closed
  bool writer_idle_ = false;    // GUARDED_BY(mu_)
  size_t wake_at_ = 1;          // GUARDED_BY(mu_): queue length at which Append wakes the writer
  size_t last_batch_ = 0;       // writer thread only
  std::chrono::steady_clock::duration last_commit_{};  // writer thread only
  bool stopping_ = false;                              // GUARDED_BY(mu_)
  std::string last_hash_;                              // writer thread only
  std::thread writer_;
};

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store& store, const Clock& clock,
                                                 AuditOptions options) {
  if (options.max_batch == 0 || options.max_pending == 0) {
    return Err(InvalidArgument("audit.options", "max_batch and max_pending must be positive"));
  }
  auto head = store.GetAuditHead(options.chain);
  if (!head) return Err(head.error());
  if (head->sequence > 0) {
    auto last = store.ReadAudit(options.chain, head->sequence, 1);
    if (!last) return Err(last.error());
    if (last->empty() || last->front().sequence != head->sequence ||
        last->front().hash != head->hash) {
      return Err(StatusCode::kFailedPrecondition, "audit.truncated",
                 "audit chain `" + options.chain + "`: the record at the anchored head " +
                     std::to_string(head->sequence) +
                     " is missing or altered; run `mandate audit verify`");
    }
  }
  return std::make_unique<GroupCommitLog>(store, clock, std::move(options), *head);
}

}  // namespace mandate::audit

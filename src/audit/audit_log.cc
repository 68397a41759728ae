// The group-committing writer behind AuditLog.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
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

// Commits run on the callers' threads (see audit.h): whoever finds no commit running takes the
// commit role (`committing_`), commits everything queued, and keeps it while more arrives
// (up to kRounds batches, then hands over to the background thread, so one caller does not
// commit for everyone forever). One committer at a time keeps batches in sequence order.
class GroupCommitLog final : public AuditLog {
 public:
  static constexpr int kRounds = 4;

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
    background_ = std::thread([this] { BackgroundLoop(); });
  }

  ~GroupCommitLog() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    background_cv_.notify_one();
    background_.join();
  }

  using AuditLog::Append;
  Result<Ticket> Append(const RecordView& view) override {
    RecordView record = view;
    if (record.time_micros == 0) record.time_micros = clock_.NowMicros();
    // Serialised here, outside the lock and in parallel with other appenders: the commit is
    // the one serial stage of every acknowledged decision, so it only joins and hashes.
    std::string tail = internal::CanonicalTail(record);
    std::unique_lock lock(mu_);
    while (queue_.size() >= options_.max_pending && failure_.ok()) {
      if (!committing_) {
        CommitLoop(lock, kRounds);  // make room ourselves
      } else {
        ++space_waiters_;
        space_cv_.wait(lock);
        --space_waiters_;
      }
    }
    if (!failure_.ok()) return Err(failure_);
    Ticket ticket = ++assigned_;
    if (queue_.empty()) queued_since_ = std::chrono::steady_clock::now();
    queue_.push_back({ticket, std::move(tail)});
    // An idle background thread (no records for a while) sleeps until the first record.
    const bool wake = background_asleep_;
    background_asleep_ = false;
    lock.unlock();
    if (wake) background_cv_.notify_one();
    return ticket;
  }

  Status WaitDurable(Ticket ticket) override {
    std::unique_lock lock(mu_);
    if (ticket > assigned_) {  // nothing would ever commit it
      return InvalidArgument("audit.unknown_ticket",
                             "record " + std::to_string(ticket) + " was never appended");
    }
    while (durable_ < ticket && failure_.ok()) {
      if (!committing_) {
        CommitLoop(lock, kRounds);
      } else {
        ++durable_waiters_;
        durable_cv_.wait(lock);
        --durable_waiters_;
      }
    }
    // Ticket 0 is no record: what a failed Append leaves, so it reports the log's failure.
    return durable_ >= ticket && (ticket > 0 || failure_.ok()) ? Status() : failure_;
  }

  Status Flush() override {
    Ticket last;
    {
      std::lock_guard lock(mu_);
      last = assigned_;
    }
    return WaitDurable(last);
  }

  void CommitQueued() override {
    std::unique_lock lock(mu_);
    if (!committing_ && !queue_.empty() && failure_.ok()) CommitLoop(lock, kRounds);
  }

  void SetCommitListener(CommitListener listener) override {
    std::lock_guard listening(listener_mu_);  // waits for a call in progress
    listener_ = std::move(listener);
  }

  int64_t durable_sequence() const override {
    std::lock_guard lock(mu_);
    return durable_;
  }

  Status failure() const override {
    std::lock_guard lock(mu_);
    return failure_;
  }

 private:
  // Commits what is queued, batch after batch, for at most `rounds` batches; then hands what
  // is left to the background thread. REQUIRES: lock held, !committing_.
  void CommitLoop(std::unique_lock<std::mutex>& lock, int rounds) {
    committing_ = true;
    handed_over_ = false;
    for (int round = 0; round < rounds && !queue_.empty() && failure_.ok(); ++round) {
      batch_.swap(queue_);  // O(1): take everything queued
      if (space_waiters_ > 0) space_cv_.notify_all();
      lock.unlock();
      Ticket durable = 0;
      Status status;
      for (size_t begin = 0; begin < batch_.size() && status.ok(); begin += options_.max_batch) {
        const size_t end = std::min(batch_.size(), begin + options_.max_batch);
        status = Commit(std::span(batch_).subspan(begin, end - begin));
        if (status.ok()) durable = batch_[end - 1].sequence;
      }
      if (!status.ok()) status = Closed(status);
      batch_.clear();
      // A burst (a million tasks started at once) must not pin its buffer for good.
      if (batch_.capacity() > 4 * options_.max_batch) {
        batch_ = {};
        batch_.reserve(options_.max_batch);
      }
      if (rows_.size() > 256) rows_.resize(256);  // nor its rows
      lock.lock();
      if (!status.ok()) {
        failure_ = status;
        queue_.clear();  // never acknowledged: their WaitDurable reports the failure
        space_cv_.notify_all();
      }
      if (durable > durable_) durable_ = durable;
      // The listener runs before the role is released, so its calls stay in commit order.
      const Ticket published = durable_;
      lock.unlock();
      {
        std::lock_guard listening(listener_mu_);
        if (listener_) listener_(published, status);
      }
      lock.lock();
      if (durable_waiters_ > 0) durable_cv_.notify_all();
    }
    committing_ = false;
    if (durable_waiters_ > 0) durable_cv_.notify_all();  // one of them may take the role
    if (!queue_.empty() && failure_.ok()) {
      handed_over_ = true;
      background_cv_.notify_one();
    }
  }

  // Commits what no caller commits (records nobody waits for, a committer's hand-over) within
  // background_commit_micros; sleeps while no records come. It leaves younger records to their
  // callers, who commit them within microseconds: taking them would answer those callers from
  // this thread (a thread hop per answer) and wake it for every batch.
  void BackgroundLoop() {
    const auto period =
        std::chrono::microseconds(std::max<int64_t>(options_.background_commit_micros, 1));
    int idle_periods = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      if (background_asleep_) {
        background_cv_.wait(lock, [&] { return !background_asleep_ || stopping_; });
      } else {
        background_cv_.wait_for(lock, period);
      }
      if (stopping_) {
        // Everything appended is committed before the log goes.
        while (failure_.ok() && (!queue_.empty() || committing_)) {
          if (committing_) {
            ++durable_waiters_;
            durable_cv_.wait(lock);
            --durable_waiters_;
          } else {
            CommitLoop(lock, std::numeric_limits<int>::max());
          }
        }
        return;
      }
      if (!queue_.empty() && !committing_ && failure_.ok()) {
        idle_periods = 0;
        const auto waited = std::chrono::steady_clock::now() - queued_since_;
        // A young record waits one more period at most (waking for its remainder would wake
        // this thread far more often under load, where callers commit every record anyway).
        if (handed_over_ || waited >= period) CommitLoop(lock, kRounds);
      } else if (queue_.empty() && ++idle_periods >= 100) {
        background_asleep_ = true;  // the next Append wakes it
        idle_periods = 0;
      }
    }
  }

  // What every caller hears once a commit failed, whichever store refused it: the trail is
  // unavailable (HTTP 503), with the store's own code and message for the operator.
  Status Closed(const Status& store_error) const {
    return Status(StatusCode::kUnavailable, "audit.unavailable",
                  "audit chain `" + options_.chain + "` cannot be written (" +
                      std::string(store_error.reason()) + ": " + store_error.message() +
                      "); nothing is acknowledged until the server restarts with a writable store");
  }

  // Chains and stores one batch in one store write. Runs without the lock, as the committer.
  // The rows keep their strings' buffers from one commit to the next (no allocation per record).
  Status Commit(std::span<const Pending> batch) {
    if (rows_.size() < batch.size()) rows_.resize(batch.size());
    const std::string* prev = &last_hash_;
    for (size_t i = 0; i < batch.size(); ++i) {
      store::AuditRow& row = rows_[i];
      row.sequence = batch[i].sequence;
      row.body.clear();
      internal::AppendBody(body_prefix_, batch[i].sequence, batch[i].tail, row.body);
      row.prev_hash.assign(*prev);
      internal::ChainHash(*prev, row.body, row.hash);
      prev = &row.hash;
    }
    Status s = store_.AppendAudit(options_.chain, std::span(rows_).first(batch.size()));
    if (s.ok() && !batch.empty()) last_hash_.assign(*prev);
    return s;
  }

  store::Store& store_;
  const Clock& clock_;
  const AuditOptions options_;
  const std::string body_prefix_;  // `{"chain":<chain>,"sequence":`
  std::mutex listener_mu_;
  CommitListener listener_;  // GUARDED_BY(listener_mu_)

  mutable std::mutex mu_;
  std::condition_variable durable_cv_, space_cv_, background_cv_;
  std::vector<Pending> queue_;      // GUARDED_BY(mu_), in sequence order
  Ticket assigned_;                 // GUARDED_BY(mu_): the last sequence handed out
  Ticket durable_;                  // GUARDED_BY(mu_): the last sequence committed
  Status failure_;                  // GUARDED_BY(mu_): set once; the log is then closed
  bool committing_ = false;         // GUARDED_BY(mu_): a thread holds the commit role
  int durable_waiters_ = 0;         // GUARDED_BY(mu_)
  int space_waiters_ = 0;           // GUARDED_BY(mu_)
  bool background_asleep_ = false;  // GUARDED_BY(mu_)
  bool handed_over_ = false;        // GUARDED_BY(mu_): a committer left records to the thread
  // GUARDED_BY(mu_): when the oldest queued record was queued (a scheduling hint only).
  std::chrono::steady_clock::time_point queued_since_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  // The committer's own (one committer at a time, so no lock):
  std::vector<Pending> batch_;
  std::vector<store::AuditRow> rows_;
  std::string last_hash_;
  std::thread background_;
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

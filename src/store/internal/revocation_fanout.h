// Delivers committed revocation events to in-process subscribers, in id order, exactly once
// per subscriber. Both backends feed it: SQLite after each commit, PostgreSQL from its
// LISTEN/NOTIFY thread.
// Thread-safety: thread-safe. Publish may be called from any thread; callbacks run on the
// thread that drains (a publisher), one at a time, never under a store lock.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "src/store/store.h"

namespace mandate::store::internal {

class RevocationFanout : public std::enable_shared_from_this<RevocationFanout> {
 public:
  // Queues `event`; events with an id not above the last queued one are ignored (dedupe).
  // Call in commit order (SQLite: under its connection lock).
  void Enqueue(const RevocationEvent& event);
  // Delivers queued events unless another thread is already delivering. Call with no lock held.
  void Deliver();
  void Publish(const RevocationEvent& event) {
    Enqueue(event);
    Deliver();
  }
  std::unique_ptr<RevocationSubscription> Subscribe(RevocationCallback callback);
  bool has_subscribers();

 private:
  void Unsubscribe(uint64_t id);

  std::mutex queue_mu_;
  std::deque<RevocationEvent> queue_;  // GUARDED_BY(queue_mu_)
  int64_t last_queued_id_ = 0;         // GUARDED_BY(queue_mu_)
  bool draining_ = false;              // GUARDED_BY(queue_mu_)

  std::mutex subscribers_mu_;  // held while a callback runs, so unsubscribe waits for it
  std::map<uint64_t, RevocationCallback> subscribers_;  // GUARDED_BY(subscribers_mu_)
  uint64_t next_subscriber_ = 1;                        // GUARDED_BY(subscribers_mu_)
};

}  // namespace mandate::store::internal

// DeadlineQueue: which live tasks are due to expire, so a deadline or an idle timeout revokes a
// task by itself even when no further call comes.
//
// Entries are hints: a task's idle deadline moves with every call, so the queue keeps the
// earliest time each task might expire and the caller re-checks the task when it pops, pushing
// it again with the new time if it was extended. That keeps a call's cost at O(1) (no queue
// update on the hot path) and expiry at O(log n).
// Thread-safety: all methods are safe from any thread (one mutex; not on the decision path).
#pragma once

#include <cstdint>
#include <mutex>
#include <queue>
#include <vector>

namespace mandate::authority {

class DeadlineQueue {
 public:
  // Remembers that `task` may expire at `at_micros`.
  void Push(uint64_t task, int64_t at_micros);
  // Removes and returns every task whose time is <= now, earliest first.
  std::vector<uint64_t> PopDue(int64_t now_micros);
  // The earliest time in the queue, or INT64_MAX when empty.
  int64_t Earliest() const;
  size_t size() const;

 private:
  struct Entry {
    int64_t at;
    uint64_t task;
    bool operator>(const Entry& other) const { return at > other.at; }
  };
  mutable std::mutex mu_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;  // GUARDED_BY(mu_)
};

}  // namespace mandate::authority

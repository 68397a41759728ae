#include "src/authority/internal/deadline_queue.h"

#include <limits>

namespace mandate::authority {

void DeadlineQueue::Push(uint64_t task, int64_t at_micros) {
  std::lock_guard lock(mu_);
  heap_.push({at_micros, task});
}

std::vector<uint64_t> DeadlineQueue::PopDue(int64_t now_micros) {
  std::vector<uint64_t> due;
  std::lock_guard lock(mu_);
  while (!heap_.empty() && heap_.top().at <= now_micros) {
    due.push_back(heap_.top().task);
    heap_.pop();
  }
  return due;
}

int64_t DeadlineQueue::Earliest() const {
  std::lock_guard lock(mu_);
  return heap_.empty() ? std::numeric_limits<int64_t>::max() : heap_.top().at;
}

size_t DeadlineQueue::size() const {
  std::lock_guard lock(mu_);
  return heap_.size();
}

}  // namespace mandate::authority

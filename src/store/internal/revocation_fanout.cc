#include "src/store/internal/revocation_fanout.h"

namespace mandate::store::internal {
namespace {

class FanoutSubscription final : public RevocationSubscription {
 public:
  FanoutSubscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  ~FanoutSubscription() override { cancel_(); }

 private:
  std::function<void()> cancel_;
};

}  // namespace

void RevocationFanout::Enqueue(const RevocationEvent& event) {
  std::lock_guard lock(queue_mu_);
  if (event.id <= last_queued_id_) return;
  last_queued_id_ = event.id;
  queue_.push_back(event);
}

void RevocationFanout::Deliver() {
  std::unique_lock lock(queue_mu_);
  if (draining_) return;  // the draining thread will deliver what was queued
  draining_ = true;
  while (!queue_.empty()) {
    RevocationEvent event = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    {
      std::lock_guard subscribers(subscribers_mu_);
      for (auto& [id, callback] : subscribers_) callback(event);
    }
    lock.lock();
  }
  draining_ = false;
}

std::unique_ptr<RevocationSubscription> RevocationFanout::Subscribe(RevocationCallback callback) {
  uint64_t id;
  {
    std::lock_guard lock(subscribers_mu_);
    id = next_subscriber_++;
    subscribers_.emplace(id, std::move(callback));
  }
  std::weak_ptr<RevocationFanout> weak = weak_from_this();
  return std::make_unique<FanoutSubscription>([weak, id] {
    if (auto self = weak.lock()) self->Unsubscribe(id);
  });
}

void RevocationFanout::Unsubscribe(uint64_t id) {
  std::lock_guard lock(subscribers_mu_);
  subscribers_.erase(id);
}

bool RevocationFanout::has_subscribers() {
  std::lock_guard lock(subscribers_mu_);
  return !subscribers_.empty();
}

}  // namespace mandate::store::internal

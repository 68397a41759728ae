// Webhook notifications (governance `webhooks`): pending and decided approvals and revocations
// are POSTed as JSON to each subscribed URL, retried with bounded exponential backoff
// (backoff_ms, doubling, capped at 30 s, at most max_attempts) when the receiver fails or
// answers non-2xx. Delivery is at least once; `id` lets receivers de-duplicate.
//
// Thread-safety: Publish may be called from any thread; one sender thread delivers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "src/server/governance.h"

namespace mandate::server {

class WebhookNotifier {
 public:
  explicit WebhookNotifier(std::vector<Webhook> hooks);
  ~WebhookNotifier();  // stops; undelivered notifications are dropped (and counted)

  // Queues `payload` (a JSON object text) for every hook subscribed to `event`.
  void Publish(const std::string& event, const std::string& payload);

 private:
  struct Delivery {
    size_t hook = 0;
    std::string body;
    int attempt = 0;
    int64_t due_ms = 0;  // steady-clock milliseconds
  };
  void Run();

  const std::vector<Webhook> hooks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Delivery> queue_;  // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;        // GUARDED_BY(mu_)
  bool stopping_ = false;       // GUARDED_BY(mu_)
  std::thread sender_;
};

}  // namespace mandate::server

#include "src/server/webhooks.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "src/http/client.h"

namespace mandate::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kMaxBackoffMs = 30'000;
constexpr size_t kMaxQueued = 10'000;  // a dead receiver cannot grow memory without bound

}  // namespace

WebhookNotifier::WebhookNotifier(std::vector<Webhook> hooks) : hooks_(std::move(hooks)) {
  if (!hooks_.empty()) sender_ = std::thread([this] { Run(); });
}

WebhookNotifier::~WebhookNotifier() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void WebhookNotifier::Publish(const std::string& event, const std::string& payload) {
  if (hooks_.empty()) return;
  std::lock_guard lock(mu_);
  const std::string id = std::to_string(next_id_++);
  for (size_t i = 0; i < hooks_.size(); ++i) {
    const auto& events = hooks_[i].events;
    if (std::find(events.begin(), events.end(), event) == events.end()) continue;
    if (queue_.size() >= kMaxQueued) {
      std::cerr << "mandate serve: webhook queue full, dropping `" << event << "`\n";
      continue;
    }
    queue_.push_back({i, "{\"id\":" + id + ",\"event\":\"" + event + "\",\"data\":" + payload + "}",
                      0, NowMs()});
  }
  cv_.notify_all();
}

void WebhookNotifier::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // The delivery due first; others wait behind it only while it is not due.
    auto next = std::min_element(queue_.begin(), queue_.end(),
                                 [](const auto& a, const auto& b) { return a.due_ms < b.due_ms; });
    const int64_t wait = next->due_ms - NowMs();
    if (wait > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait));
      continue;
    }
    Delivery d = std::move(*next);
    queue_.erase(next);
    lock.unlock();
    const Webhook& hook = hooks_[d.hook];
    http::ClientOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    auto r = http::Post(hook.url, d.body, "application/json", options);
    const bool delivered = r && r->status >= 200 && r->status < 300;
    lock.lock();
    if (delivered) continue;
    if (++d.attempt >= hook.max_attempts) {
      std::cerr << "mandate serve: webhook " << hook.url << " failed " << d.attempt
                << " times, dropping a notification\n";
      continue;
    }
    const int64_t backoff = std::min(kMaxBackoffMs, hook.backoff_ms << std::min(d.attempt - 1, 20));
    d.due_ms = NowMs() + backoff;
    queue_.push_back(std::move(d));
  }
}

}  // namespace mandate::server

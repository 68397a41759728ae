#include "src/server/durable_responder.h"

#include <algorithm>

namespace mandate::server {

DurableResponder::DurableResponder(audit::AuditLog& log) : log_(log), waiter_([this] { Run(); }) {}

DurableResponder::~DurableResponder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  waiter_.join();
}

void DurableResponder::Submit(uint64_t ticket, http::Responder responder, http::Response response) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({ticket, std::move(responder), std::move(response)});
  }
  cv_.notify_one();
}

void DurableResponder::Run() {
  std::vector<Pending> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
    }
    uint64_t highest = 0;
    for (const Pending& p : batch) highest = std::max(highest, p.ticket);
    // A ticket of 0 means the append itself failed: WaitDurable(0) reports the log's state.
    const bool any_failed_append =
        std::any_of(batch.begin(), batch.end(), [](const Pending& p) { return p.ticket == 0; });
    Status durable = log_.WaitDurable(static_cast<audit::Ticket>(highest));
    for (Pending& p : batch) {
      if (durable.ok() && !(p.ticket == 0 && any_failed_append)) {
        p.responder.Send(std::move(p.response));
      } else {
        p.responder.Send(http::Response::Error(
            503, "audit.unavailable",
            "the decision could not be recorded durably, so it is not given: " +
                (durable.ok() ? std::string("the audit append failed") : durable.message())));
      }
    }
    batch.clear();
  }
}

}  // namespace mandate::server

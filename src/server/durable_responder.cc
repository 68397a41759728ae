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
  std::vector<Pending> incoming, waiting;
  auto refuse = [](Pending& p, std::string_view why) {
    p.responder.Send(http::Response::Error(
        503, "audit.unavailable",
        "the decision could not be recorded durably, so it is not given: " + std::string(why)));
  };
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (waiting.empty()) cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && waiting.empty() && stopping_) return;
      incoming.swap(queue_);
    }
    for (Pending& p : incoming) {
      // A ticket of 0 means the append itself failed: never acknowledged.
      if (p.ticket == 0) {
        refuse(p, "the audit append failed");
      } else {
        waiting.push_back(std::move(p));
      }
    }
    incoming.clear();
    if (waiting.empty()) continue;
    // Wait for the LOWEST ticket only, then answer everything the commits so far cover: each
    // group commit releases its own records at once instead of waiting for a later batch that
    // holds the highest ticket queued.
    uint64_t lowest = waiting.front().ticket;
    for (const Pending& p : waiting) lowest = std::min(lowest, p.ticket);
    Status durable = log_.WaitDurable(static_cast<audit::Ticket>(lowest));
    if (!durable.ok()) {
      for (Pending& p : waiting) refuse(p, durable.message());
      waiting.clear();
      continue;
    }
    const auto committed = static_cast<uint64_t>(log_.durable_sequence());
    size_t kept = 0;
    for (Pending& p : waiting) {
      if (p.ticket <= committed) {
        p.responder.Send(std::move(p.response));
      } else {
        if (&waiting[kept] != &p) waiting[kept] = std::move(p);
        ++kept;
      }
    }
    waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(kept), waiting.end());
  }
}

}  // namespace mandate::server

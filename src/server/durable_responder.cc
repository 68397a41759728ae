#include "src/server/durable_responder.h"

#include <algorithm>
#include <iostream>

namespace mandate::server {

DurableResponder::DurableResponder(audit::AuditLog& log)
    : log_(log), durable_(static_cast<uint64_t>(log.durable_sequence())) {
  log_.SetCommitListener(
      [this](int64_t durable, const Status& failure) { OnCommit(durable, failure); });
}

DurableResponder::~DurableResponder() {
  (void)log_.Flush();  // answers every queued response through the listener
  log_.SetCommitListener(nullptr);
}

void DurableResponder::Refuse(http::Responder& responder, std::string_view why) {
  responder.Send(http::Response::Error(
      503, "audit.unavailable",
      "the decision could not be recorded durably, so it is not given: " + std::string(why)));
}

void DurableResponder::Submit(uint64_t ticket, http::Responder responder, http::Response response) {
  // A ticket of 0 means the append itself failed: never acknowledged.
  if (ticket == 0) return Refuse(responder, "the audit append failed");
  bool queued = true;
  {
    std::unique_lock lock(mu_);
    if (!failure_.ok()) {
      const std::string why = failure_.message();
      lock.unlock();
      return Refuse(responder, why);
    }
    queued = ticket > durable_;
    if (queued) waiting_.push_back({ticket, std::move(responder), std::move(response)});
  }
  if (!queued) return responder.Send(std::move(response));  // a commit covered it already
  // Commits on this thread, once the worker has handled every request ready now (one commit
  // for all their decisions), unless another commit runs; either way OnCommit answers it.
  thread_local std::vector<DurableResponder*> deferred;  // responders with a commit posted
  if (std::find(deferred.begin(), deferred.end(), this) != deferred.end()) return;
  deferred.push_back(this);
  auto commit = [this] {
    std::erase(deferred, this);
    log_.CommitQueued();
  };
  if (!http::DeferOnWorker(commit)) commit();
}

void DurableResponder::OnCommit(int64_t durable, const Status& failure) {
  std::vector<Pending> ready;
  {
    std::lock_guard lock(mu_);
    durable_ = std::max(durable_, static_cast<uint64_t>(durable));
    if (!failure.ok() && failure_.ok()) {
      failure_ = failure;
      // Once, for the operator: from now on everything that must be recorded is refused.
      std::cerr << "mandate serve: " << failure.ToString() << "\n";
    }
    size_t kept = 0;
    for (Pending& p : waiting_) {
      if (p.ticket <= durable_ || !failure_.ok()) {
        ready.push_back(std::move(p));
      } else {
        if (&waiting_[kept] != &p) waiting_[kept] = std::move(p);
        ++kept;
      }
    }
    waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(kept), waiting_.end());
  }
  for (Pending& p : ready) {
    if (p.ticket <= static_cast<uint64_t>(durable)) {
      p.responder.Send(std::move(p.response));
    } else {
      Refuse(p.responder, failure.message());
    }
  }
}

}  // namespace mandate::server

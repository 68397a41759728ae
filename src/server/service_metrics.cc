#include "src/server/service_metrics.h"

#include <string>

namespace mandate::server {
namespace {

// Index 0 is `none`, the last is `other`; the rest are the checks of docs/api.md.
constexpr std::array<std::string_view, 10> kFamilyNames = {
    "none",   "authentication", "revocation", "deadline", "chain",
    "budget", "guard",          "policy",     "approval", "other"};

size_t FamilyIndex(std::string_view family) {
  for (size_t i = 0; i < kFamilyNames.size(); ++i) {
    if (kFamilyNames[i] == family) return i;
  }
  return kFamilyNames.size() - 1;
}

class MeteredAuditLog final : public audit::AuditLog {
 public:
  MeteredAuditLog(audit::AuditLog& inner, http::Counter& appended,
                  std::atomic<int64_t>& last_ticket)
      : inner_(inner), appended_(appended), last_ticket_(last_ticket) {}

  using audit::AuditLog::Append;
  Result<audit::Ticket> Append(const audit::RecordView& record) override {
    auto ticket = inner_.Append(record);
    if (ticket) {
      appended_.Increment();
      int64_t seen = last_ticket_.load(std::memory_order_relaxed);
      while (*ticket > seen && !last_ticket_.compare_exchange_weak(seen, *ticket)) {
      }
    }
    return ticket;
  }
  Status WaitDurable(audit::Ticket ticket) override { return inner_.WaitDurable(ticket); }
  Status Flush() override { return inner_.Flush(); }
  int64_t durable_sequence() const override { return inner_.durable_sequence(); }
  Status failure() const override { return inner_.failure(); }
  void CommitQueued() override { inner_.CommitQueued(); }
  void SetCommitListener(audit::CommitListener listener) override {
    inner_.SetCommitListener(std::move(listener));
  }

 private:
  audit::AuditLog& inner_;
  http::Counter& appended_;
  std::atomic<int64_t>& last_ticket_;
};

}  // namespace

ServiceMetrics::ServiceMetrics() {
  // The series every healthy server produces exist from the first scrape (at 0).
  DecisionCounter(static_cast<size_t>(authority::Outcome::kAllow), 0);
  for (size_t f = 1; f + 1 < kFamilies; ++f) {
    if (kFamilyNames[f] != "approval")
      DecisionCounter(static_cast<size_t>(authority::Outcome::kDeny), f);
  }
  DecisionCounter(static_cast<size_t>(authority::Outcome::kPending), FamilyIndex("approval"));
  latency_ = &registry_.AddHistogram("mandate_decision_seconds",
                                     "Time to decide one tool call, audit enqueue included.",
                                     http::LatencyBuckets());
  for (std::string_view scope : {"credential", "task", "agent", "mandate", "owner", "all"})
    CountRevocationSeries(scope);
  audit_appended_ = &registry_.AddCounter("mandate_audit_records_appended_total",
                                          "Audit records appended (decisions, lifecycle, "
                                          "revocations).");
}

http::Counter& ServiceMetrics::DecisionCounter(size_t outcome, size_t family) {
  auto& slot = decisions_[outcome * kFamilies + family];
  http::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter != nullptr) return *counter;
  // First use of this pair: the registry returns the same series to racing threads.
  counter = &registry_.AddCounter(
      "mandate_decisions_total", "Decisions by outcome and by the family of the deciding check.",
      {{"outcome", std::string(authority::OutcomeName(static_cast<authority::Outcome>(outcome)))},
       {"reason", std::string(kFamilyNames[family])}});
  slot.store(counter, std::memory_order_release);
  return *counter;
}

std::string_view ServiceMetrics::ReasonFamily(const authority::Decision& decision) {
  if (decision.reasons.empty()) return kFamilyNames[0];
  return kFamilyNames[FamilyIndex(decision.reasons.front().check)];
}

void ServiceMetrics::CountDecision(const authority::Decision& decision, double seconds) {
  const size_t outcome = std::min<size_t>(static_cast<size_t>(decision.outcome), kOutcomes - 1);
  const size_t family = FamilyIndex(ReasonFamily(decision));
  DecisionCounter(outcome, family).Increment();
  if (decision.shadow) {
    auto& slot = shadow_[family];
    http::Counter* counter = slot.load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &registry_.AddCounter("mandate_shadow_deviations_total",
                                      "Deviations that shadow mode let through.",
                                      {{"reason", std::string(kFamilyNames[family])}});
      slot.store(counter, std::memory_order_release);
    }
    counter->Increment();
  }
  latency_->Observe(seconds);
}

void ServiceMetrics::CountRevocation(std::string_view scope) {
  CountRevocationSeries(scope).Increment();
}

http::Counter& ServiceMetrics::CountRevocationSeries(std::string_view scope) {
  return registry_.AddCounter("mandate_revocations_total", "Revocations by scope.",
                              {{"scope", std::string(scope)}});
}

void ServiceMetrics::WatchAuthority(const authority::Authority& authority) {
  registry_.AddGaugeCallback("mandate_live_tasks", "Active tasks held by the authority.", {},
                             [&authority] { return static_cast<double>(authority.LiveTasks()); });
}

void ServiceMetrics::WatchAudit(const audit::AuditLog& audit) {
  registry_.AddGaugeCallback("mandate_audit_queue_depth",
                             "Audit records appended but not yet committed.", {}, [this, &audit] {
                               const int64_t depth =
                                   audit_last_ticket_.load(std::memory_order_relaxed) -
                                   audit.durable_sequence();
                               return static_cast<double>(depth > 0 ? depth : 0);
                             });
  registry_.AddGaugeCallback("mandate_audit_durable_sequence",
                             "The last committed sequence of the audit chain.", {},
                             [&audit] { return static_cast<double>(audit.durable_sequence()); });
  registry_.AddGaugeCallback(
      "mandate_audit_writable",
      "1 while the audit chain takes records; 0 once the store refused a commit (every "
      "decision is then refused until a restart).",
      {}, [&audit] { return audit.failure().ok() ? 1.0 : 0.0; });
}

std::unique_ptr<audit::AuditLog> ServiceMetrics::Metered(audit::AuditLog& inner) {
  return std::make_unique<MeteredAuditLog>(inner, *audit_appended_, audit_last_ticket_);
}

}  // namespace mandate::server

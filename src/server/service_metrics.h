// What the authority service exposes at GET /metrics (Prometheus text format 0.0.4), and the
// decorator that counts audit appends. One list per component (docs/operations.md, "Metrics"):
//   mandate_decisions_total{outcome,reason}  outcome: allow | deny | pending | error; reason: the
//                                            deciding check's family (`none` for a plain allow;
//                                            a shadow-mode allow keeps the deviation's family)
//   mandate_shadow_deviations_total{reason}  deviations let through by shadow mode
//   mandate_decision_seconds                 histogram: the in-process decision, audit enqueue
//                                            included (not the wait for durability)
//   mandate_live_tasks                       tasks held in memory as active
//   mandate_revocations_total{scope}         revocations by scope (task, agent, mandate, ...),
//                                            automatic ones (deviation, deadline, completion) too
//   mandate_audit_records_appended_total     records handed to the audit log
//   mandate_audit_queue_depth                appended but not yet committed
//   mandate_audit_durable_sequence           the last committed sequence of the audit chain
//   mandate_audit_writable                   1, or 0 once the audit chain failed (503s)
//
// Thread-safety: every method may be called from any thread; the decision path is lock-free
// (a counter picked from a fixed table, a histogram observation).
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string_view>

#include "src/audit/audit.h"
#include "src/authority/authority.h"
#include "src/http/metrics.h"

namespace mandate::server {

class ServiceMetrics {
 public:
  ServiceMetrics();
  http::MetricsRegistry& registry() { return registry_; }

  // Counts one decision of the pipeline and how long it took.
  void CountDecision(const authority::Decision& decision, double seconds);
  void CountRevocation(std::string_view scope);
  // Gauges read at scrape time. `authority` and `audit` must outlive the registry's renders.
  void WatchAuthority(const authority::Authority& authority);
  void WatchAudit(const audit::AuditLog& audit);

  // The reason family of a decision: its first reason's check, or `none`. Unknown checks are
  // `other`, so a new check never creates an unbounded label value.
  static std::string_view ReasonFamily(const authority::Decision& decision);

  // Decorator: the audit log the authority appends to, counting appends and remembering the
  // highest ticket handed out (queue depth = that ticket - the durable sequence).
  std::unique_ptr<audit::AuditLog> Metered(audit::AuditLog& inner);

 private:
  static constexpr size_t kOutcomes = 4;   // authority::Outcome values
  static constexpr size_t kFamilies = 10;  // kFamilyNames
  http::Counter& DecisionCounter(size_t outcome, size_t family);
  http::Counter& CountRevocationSeries(std::string_view scope);

  http::MetricsRegistry registry_;
  std::array<std::atomic<http::Counter*>, kOutcomes * kFamilies> decisions_{};
  std::array<std::atomic<http::Counter*>, kFamilies> shadow_{};
  http::Histogram* latency_ = nullptr;
  http::Counter* audit_appended_ = nullptr;
  std::atomic<int64_t> audit_last_ticket_{0};
};

}  // namespace mandate::server

// Human approval (docs/delegation.md, "Approvals"): the book of approvals and the authority's
// approval API. The decision path calls ApprovalBook::Gate for calls that need a human.
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>

#include "src/authority/internal/approval_book.h"
#include "src/authority/internal/impl.h"
#include "src/json/json.h"

namespace mandate::authority {

using State = store::ApprovalState;

void ApprovalBook::ExpireLocked(ApprovalEntry& e, int64_t now_us) {
  if ((e.record.state == State::kPending || (e.record.state == State::kApproved && !e.used)) &&
      now_us >= e.record.expires_micros) {
    e.record.state = State::kExpired;
  }
}

ApprovalBook::GateResult ApprovalBook::Gate(const ApprovalEntry& fresh, std::string_view presented,
                                            int64_t now_us) {
  std::lock_guard lock(mu_);
  const store::ApprovalRecord& call = fresh.record;
  if (!presented.empty()) {
    auto it = entries_.find(std::string(presented));
    if (it == entries_.end() || it->second.record.task_id != call.task_id ||
        it->second.record.call_digest != call.call_digest || it->second.used) {
      return {Gate::kMismatch, std::string(presented), std::nullopt};
    }
    ApprovalEntry& e = it->second;
    ExpireLocked(e, now_us);
    switch (e.record.state) {
      case State::kApproved:
        e.used = true;
        return {Gate::kApproved, e.record.id, std::nullopt};
      case State::kPending:
        return {Gate::kWaiting, e.record.id, std::nullopt};
      case State::kDenied:
        return {Gate::kDenied, e.record.id, std::nullopt};
      case State::kExpired:
        e.used = true;  // reported once; the next try asks again
        return {Gate::kExpired, e.record.id, std::nullopt};
    }
  }
  for (auto& [id, e] : entries_) {
    if (e.used || e.record.task_id != call.task_id || e.record.call_digest != call.call_digest) {
      continue;
    }
    ExpireLocked(e, now_us);
    e.used = e.record.state != State::kPending;
    switch (e.record.state) {
      case State::kApproved:
        return {Gate::kApproved, id, std::nullopt};
      case State::kPending:
        return {Gate::kWaiting, id, std::nullopt};
      case State::kDenied:
        return {Gate::kDenied, id, std::nullopt};
      case State::kExpired:
        return {Gate::kExpired, id, std::nullopt};
    }
  }
  entries_.emplace(call.id, fresh);
  return {Gate::kCreated, call.id, fresh};
}

Result<ApprovalEntry> ApprovalBook::Decide(std::string_view id, bool approve, std::string_view by,
                                           std::string_view note, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) {
    return Err(NotFound("approval.unknown", "no approval `" + std::string(id) + "`"));
  }
  ApprovalEntry& e = it->second;
  ExpireLocked(e, now_us);
  if (e.record.state == State::kExpired) {
    return Err(StatusCode::kFailedPrecondition, "approval.expired",
               "approval `" + std::string(id) + "` expired");
  }
  if (e.record.state != State::kPending) {
    return Err(StatusCode::kFailedPrecondition, "approval.decided",
               "approval `" + std::string(id) + "` was already " +
                   std::string(store::ApprovalStateName(e.record.state)));
  }
  e.record.state = approve ? State::kApproved : State::kDenied;
  e.record.decided_by = std::string(by);
  e.note = std::string(note);
  return e;
}

std::optional<ApprovalEntry> ApprovalBook::Get(std::string_view id, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(id));
  if (it == entries_.end()) return std::nullopt;
  ExpireLocked(it->second, now_us);
  return it->second;
}

std::vector<ApprovalEntry> ApprovalBook::List(std::string_view state, int64_t now_us) {
  std::vector<ApprovalEntry> out;
  std::lock_guard lock(mu_);
  for (auto& [id, e] : entries_) {
    ExpireLocked(e, now_us);
    if (state.empty() || store::ApprovalStateName(e.record.state) == state) out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const ApprovalEntry& a, const ApprovalEntry& b) {
    return std::tie(a.record.created_micros, a.record.id) <
           std::tie(b.record.created_micros, b.record.id);
  });
  return out;
}

namespace {

ApprovalView ToView(const ApprovalEntry& e) {
  return {.id = e.record.id,
          .task_id = e.record.task_id,
          .state = std::string(store::ApprovalStateName(e.record.state)),
          .call_digest = e.record.call_digest,
          .decided_by = e.record.decided_by,
          .created_at = e.record.created_micros / 1'000'000,
          .expires_at = e.record.expires_micros / 1'000'000,
          .agent = e.agent,
          .mandate = e.mandate,
          .owner = e.owner,
          .step = e.step,
          .system = e.system,
          .action = e.action,
          .resource = e.resource,
          .rule = e.rule,
          .used = e.used};
}

}  // namespace

std::string NewApprovalId() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof(bytes));
  char hex[25];
  sodium_bin2hex(hex, sizeof(hex), bytes, sizeof(bytes));
  return "a_" + std::string(hex);
}

bool Authority::Impl::IsEscalation(const CompiledMandate& cm, const Decision& deny) const {
  if (deny.reasons.empty() || deny.reasons[0].code != "policy.forbid") return false;
  const cedar::Policy* policy = cm.cedar->policies.FindPolicy(deny.reasons[0].rule);
  if (policy == nullptr) return false;
  return std::any_of(policy->annotations.begin(), policy->annotations.end(),
                     [](const auto& a) { return a.first == "escalate"; });
}

Decision Authority::Impl::GateApproval(const LiveTask& task, const CompiledMandate& cm,
                                       const std::string& task_id, const Step& step,
                                       const ToolCall& call, const std::string& escalation,
                                       int64_t now_us,
                                       std::optional<store::ApprovalRecord>* created) {
  // The digest binds an approval to one exact call: any other system, action, resource or
  // argument value is another call.
  boost::json::object canonical{
      {"system", call.system}, {"action", call.action}, {"resource", call.resource}};
  canonical["args"] = call.args ? *call.args : boost::json::object();
  ApprovalEntry fresh;
  fresh.record = {.id = NewApprovalId(),
                  .task_id = task_id,
                  .call_digest = audit::ArgumentsDigest(boost::json::serialize(canonical)),
                  .state = State::kPending,
                  .decided_by = "",
                  .created_micros = now_us,
                  .expires_micros = now_us + options.approval_ttl_seconds * 1'000'000};
  fresh.agent = task.agent;
  fresh.mandate = cm.mandate->name;
  fresh.owner = cm.mandate->owner;
  fresh.step = step.id;
  fresh.system = std::string(call.system);
  fresh.action = std::string(call.action);
  fresh.resource = std::string(call.resource);
  fresh.rule = escalation.empty() ? "step." + step.id : escalation;
  const ApprovalBook::GateResult gate = approvals.Gate(fresh, call.approval_id, now_us);
  Decision d;
  d.step = step.id;
  d.approval_id = gate.id;
  auto reason = [&](std::string code, std::string message) {
    d.reasons.push_back({"approval", std::move(code), std::move(message), fresh.rule});
  };
  switch (gate.gate) {
    case ApprovalBook::Gate::kApproved:
      d.outcome = Outcome::kAllow;
      return d;
    case ApprovalBook::Gate::kCreated:
      *created = gate.created->record;
      d.approval_created = true;
      [[fallthrough]];
    case ApprovalBook::Gate::kWaiting:
      d.outcome = Outcome::kPending;
      reason(escalation.empty() ? "approval.required" : "approval.escalated",
             escalation.empty() ? "step `" + step.id + "` needs a human's approval"
                                : "policy `" + escalation + "` asks a human to decide this call");
      return d;
    case ApprovalBook::Gate::kExpired:
      d.outcome = Outcome::kDeny;
      reason("approval.expired", "approval `" + gate.id + "` expired before it was used");
      return d;
    case ApprovalBook::Gate::kDenied:
      d.outcome = Outcome::kDeny;
      reason("approval.denied", "a human refused this call (approval `" + gate.id + "`)");
      return d;
    case ApprovalBook::Gate::kMismatch:
      d.outcome = Outcome::kDeny;
      reason("approval.call_mismatch",
             "approval `" + gate.id + "` is not an unused approval of this exact call");
      return d;
  }
  d.outcome = Outcome::kDeny;
  return d;
}

std::vector<ApprovalView> Authority::ListApprovals(std::string_view state) {
  std::vector<ApprovalView> out;
  for (const auto& e : impl_->approvals.List(state, impl_->clock.NowMicros())) {
    out.push_back(ToView(e));
  }
  return out;
}

Result<ApprovalView> Authority::GetApproval(std::string_view id) {
  auto e = impl_->approvals.Get(id, impl_->clock.NowMicros());
  if (!e) return Err(NotFound("approval.unknown", "no approval `" + std::string(id) + "`"));
  return ToView(*e);
}

Result<ApprovalView> Authority::DecideApproval(std::string_view id, bool approve,
                                               std::string_view by, std::string_view note) {
  Impl& impl = *impl_;
  auto e = impl.approvals.Decide(id, approve, by, note, impl.clock.NowMicros());
  if (!e) return Err(e.error());
  MANDATE_RETURN_IF_ERROR(impl.deps.store->PutApproval(e->record));
  audit::Record r;
  r.kind = audit::RecordKind::kLifecycle;
  r.agent = e->agent;
  r.principal = std::string(by);
  r.task = e->record.task_id;
  r.step = e->step;
  r.system = e->system;
  r.action = e->action;
  r.resource = e->resource;
  r.decision = approve ? "approval.approved" : "approval.denied";
  if (!note.empty()) r.reasons.emplace_back(note);
  r.detail = json::Serialize(
      boost::json::object{{"approval_id", e->record.id}, {"call_digest", e->record.call_digest}});
  auto ticket = impl.deps.audit->Append(std::move(r));
  if (!ticket) return Err(ticket.error());
  MANDATE_RETURN_IF_ERROR(impl.deps.audit->WaitDurable(static_cast<uint64_t>(*ticket)));
  return ToView(*e);
}

}  // namespace mandate::authority

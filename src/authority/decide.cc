// Authority::Authorize: the decision pipeline for one tool call.
#include "src/authority/internal/audit_records.h"
#include "src/authority/internal/cedar_request.h"
#include "src/authority/internal/impl.h"
#include "src/json/json.h"

namespace mandate::authority {
Decision Authority::Authorize(std::string_view task_token, const Proof& proof,
                              const ToolCall& call) {
  Impl& impl = *impl_;
  // What the connection holds starts loading (at a million live tasks its token bytes, claims
  // and task are cache misses) while the arguments are hashed, which needs none of it.
  const Impl::BoundConnection held = impl.Held(proof);
  const CallDigests digests = DigestArguments(call.args, call.mint_credential);
  const std::string& args_digest = digests.hex;
  auto caller = impl.Authenticate(task_token, proof, held);
  if (!caller) {
    const bool revoked = caller.error().reason().rfind("revocation.", 0) == 0;
    Decision d = DenyDecision(revoked ? "revocation" : "authentication",
                              std::string(caller.error().reason()), caller.error().message());
    AuditCallRecord record{
        .task_id = "", .agent = "", .principal = "", .call = call, .args_digest = args_digest};
    d.audit_ticket = AppendDecision(impl, record, d);
    return d;
  }
  const auto& claims = caller->claims;
  const std::string& task_id = claims->task_id;
  const uint64_t key = caller->task;
  const int64_t now = impl.clock.NowMicros();
  bool revoke_after = false;
  std::string escalation;                             // the `@escalate` policy that held the call
  std::optional<store::ApprovalRecord> new_approval;  // persisted after the task's lock
  Decision decision = impl.tasks.WithTask(key, [&](LiveTask* task) -> Decision {
    AuditCallRecord record{
        .task_id = task_id,
        .agent = claims->agent,
        .principal = task ? std::string_view(task->principal) : std::string_view(),
        .call = call,
        .args_digest = args_digest};
    auto finish = [&](Decision d) {
      d.task_id = task_id;
      d.audit_ticket = AppendDecision(impl, record, d);
      if (record.progress != nullptr) task->progress_seq = static_cast<int64_t>(d.audit_ticket);
      return d;
    };
    if (task == nullptr || task->state != store::TaskState::kActive) {
      return finish(
          DenyDecision("revocation", "revocation.task", "task `" + task_id + "` is not active"));
    }
    const CompiledMandate& cm = impl.mandates[task->mandate];
    const Mandate& m = *cm.mandate;
    record.mandate = &m;
    if (auto hit = impl.revocations.CoversTask(task->agent, m.name, m.owner, task->created_us)) {
      return finish(DenyDecision("revocation", "revocation.scope",
                                 "revoked by revocation " + std::to_string(hit->event_id)));
    }
    if (now >= task->deadline_us) {
      revoke_after = true;
      return finish(DenyDecision("deadline", "deadline.passed", "the task's deadline has passed"));
    }
    if (m.limits.idle_timeout_seconds &&
        now - task->last_call_us >= *m.limits.idle_timeout_seconds * 1'000'000) {
      revoke_after = true;
      return finish(
          DenyDecision("deadline", "deadline.idle", "the task was idle past its timeout"));
    }
    const ChainCall chain_call{call.system, call.action, call.resource};
    MemoisedInputs& inputs = TaskInputsOf(cm, *task);
    const ChainMatch match = cm.chain.Match(task->progress, chain_call, inputs.unpacked);
    Decision d;
    if (!match.allowed()) {
      d = ChainDenial(cm, match, task->progress, chain_call);
    } else {
      for (uint8_t i = 0; i < match.count; ++i) {
        const CandidateStep& c = match.candidates[i];
        if (c.verdict != ChainVerdict::kAllowed) break;
        const Step& step = m.steps[c.step];
        auto args = CedarArgs(step, call.args);
        Decision attempt;
        if (auto denied = GrantDenial(cm, *task, c, call)) {
          attempt = std::move(*denied);
        } else if (!args) {
          attempt =
              DenyDecision("guard", std::string(args.error().reason()),
                           "step `" + step.id + "`: " + args.error().message(), "step." + step.id);
        } else {
          attempt = CedarVerdict(
              cm,
              cm.authorizer->Authorize(CedarRequestFor(cm, *task, c.step, call, std::move(*args),
                                                       TaskInputsValue(cm, inputs), now),
                                       cm.entities),
              c.step);
        }
        if (attempt.outcome == Outcome::kDeny && impl.IsEscalation(cm, attempt)) {
          escalation = attempt.reasons[0].rule;  // a human may allow what this forbid stops
          attempt = Decision();
          attempt.outcome = Outcome::kAllow;
        }
        if (attempt.outcome == Outcome::kAllow) {
          d = std::move(attempt);
          d.step = step.id;
          record.step = &step;
          break;
        }
        if (i == 0) d = std::move(attempt);  // the most preferred step's reason explains a deny
      }
    }
    if (d.outcome == Outcome::kAllow && !task->principal.empty()) {
      d = impl.CheckUserEntitled(*task, *record.step, call, std::move(d), now);
    }
    if (d.outcome == Outcome::kAllow && (record.step->approval_required || !escalation.empty())) {
      // A human must approve this exact call first; until an approval bound to its digest is
      // given, the call is held (never let through) and the task's progress does not move.
      Decision held =
          impl.GateApproval(*task, cm, task_id, *record.step, call, escalation, now, &new_approval);
      if (held.outcome != Outcome::kAllow) return finish(std::move(held));
    }
    if (d.outcome == Outcome::kAllow) {
      const CandidateStep* chosen = nullptr;
      for (uint8_t i = 0; i < match.count; ++i) {
        if (m.steps[match.candidates[i].step].id == d.step) chosen = &match.candidates[i];
      }
      task->progress = chosen->after;
      record.progress = &task->progress;
      task->last_call_us = now;
      impl.MarkChanged(key, *task);
      const Step& step = *record.step;
      if (call.mint_credential) {
        credential::CredentialClaims step_claims;
        step_claims.agent = task->agent;
        step_claims.audience = m.systems[m.SystemIndex(step.system)].audience;
        step_claims.action = std::string(call.action);
        step_claims.resource = std::string(call.resource);
        step_claims.task_id = task_id;
        step_claims.step = step.id;
        step_claims.jkt = task->jkt;
        step_claims.actor_chain = task->actors;
        // It admits this one call: once, and with the arguments decided here (docs/design/
        // held-credentials.md), so an enforcement point deciding locally cannot be handed
        // another call's budget, order or arguments.
        step_claims.single_use = true;
        step_claims.args = digests.claim;
        const int64_t ttl =
            step.credential_ttl_seconds.value_or(m.limits.step_credential_ttl_seconds);
        auto minted = impl.issuer->MintStepCredential(std::move(step_claims), ttl);
        if (!minted) {
          return finish(
              DenyDecision("authentication", std::string(minted.error().reason()),
                           "could not mint the step credential: " + minted.error().message()));
        }
        d.credential = std::move(*minted);
        d.credential_expires_at = now / 1'000'000 + ttl;
      }
      return finish(std::move(d));
    }
    // A deviation: shadow mode records it and lets the call through; otherwise the mandate's
    // on_deviation decides whether the task survives it.
    if (m.mode == Mode::kShadow) {
      d.shadow = true;
      d.outcome = Outcome::kAllow;
      return finish(std::move(d));
    }
    if (m.on_deviation == OnDeviation::kRevoke) {
      revoke_after = true;
      d.task_revoked = true;
    }
    return finish(std::move(d));
  });
  if (new_approval) (void)impl.deps.store->PutApproval(*new_approval);
  if (revoke_after) {
    std::lock_guard lock(impl.revoke_mu);
    const bool expired = decision.reasons.size() && decision.reasons[0].check == "deadline";
    auto revoked = impl.RevokeLocked(
        {.scope = store::RevocationScope::kTask,
         .value = task_id,
         .reason = decision.reasons.empty() ? "deviation" : decision.reasons[0].code,
         .actor = "authority"},
        expired ? store::TaskState::kExpired : store::TaskState::kRevoked);
    decision.task_revoked = revoked.has_value();
  }
  return decision;
}

}  // namespace mandate::authority

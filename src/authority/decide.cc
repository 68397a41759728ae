// Authority::Authorize: the decision pipeline for one tool call.
#include "src/authority/internal/audit_records.h"
#include "src/authority/internal/impl.h"
#include "src/json/json.h"

namespace mandate::authority {
namespace {

Decision Deny(std::string check, std::string code, std::string message, std::string rule = "") {
  Decision d;
  d.outcome = Outcome::kDeny;
  d.reasons.push_back({std::move(check), std::move(code), std::move(message), std::move(rule)});
  return d;
}

// The call's declared arguments as the Cedar record guards read (`context.args`). Arguments the
// step does not declare are not visible to guards; a declared one of the wrong type is refused.
Result<cedar::Value> ArgsValue(const Step& step, const boost::json::object* args) {
  cedar::Record fields;
  if (args == nullptr) return cedar::Value::RecordOf({});
  for (const TypedField& field : step.args) {
    const boost::json::value* v = args->if_contains(field.name);
    if (v == nullptr || v->is_null()) continue;
    auto bad = [&] {
      return Err(StatusCode::kInvalidArgument, "call.invalid_argument",
                 "argument `" + field.name + "` must be " + std::string(ValueTypeName(field.type)));
    };
    switch (field.type) {
      case ValueType::kString:
        if (!v->is_string()) return bad();
        fields.emplace_back(field.name, cedar::Value::String(std::string(v->as_string())));
        break;
      case ValueType::kLong:
        if (!v->is_int64()) return bad();
        fields.emplace_back(field.name, cedar::Value::Long(v->as_int64()));
        break;
      case ValueType::kBool:
        if (!v->is_bool()) return bad();
        fields.emplace_back(field.name, cedar::Value::Bool(v->as_bool()));
        break;
      case ValueType::kStringSet:
      case ValueType::kLongSet: {
        if (!v->is_array()) return bad();
        std::vector<cedar::Value> elements;
        for (const auto& e : v->as_array()) {
          if (field.type == ValueType::kStringSet && e.is_string()) {
            elements.push_back(cedar::Value::String(std::string(e.as_string())));
          } else if (field.type == ValueType::kLongSet && e.is_int64()) {
            elements.push_back(cedar::Value::Long(e.as_int64()));
          } else {
            return bad();
          }
        }
        fields.emplace_back(field.name, cedar::Value::SetOf(std::move(elements)));
        break;
      }
    }
  }
  return cedar::Value::RecordOf(std::move(fields));
}

cedar::Value StringSet(const std::vector<std::string>& names) {
  std::vector<cedar::Value> values;
  values.reserve(names.size());
  for (const auto& n : names) values.push_back(cedar::Value::String(n));
  return cedar::Value::SetOf(std::move(values));
}

// The Cedar request for "this call as step `step`", shaped as src/mandate/cedar_gen.h says.
cedar::Request BuildRequest(const CompiledMandate& cm, const LiveTask& task, int step,
                            const ToolCall& call, cedar::Value args, int64_t now_us) {
  const Mandate& m = *cm.mandate;
  const Step& s = m.steps[step];
  cedar::Record counts;
  counts.reserve(m.steps.size());
  for (size_t i = 0; i < m.steps.size(); ++i) {
    counts.emplace_back(m.steps[i].id, cedar::Value::Long(task.progress.counts[i]));
  }
  const int last = task.progress.last_step;
  cedar::Value state =
      cedar::RecordBuilder()
          .Add("steps_done", StringSet(cm.chain.StepNames(task.progress.steps_done)))
          .Add("last_step", cedar::Value::String(last >= 0 ? m.steps[last].id : ""))
          .Add("calls", cedar::Value::Long(task.progress.calls))
          .Add("labels_read", StringSet(cm.chain.LabelNames(task.progress.labels_read)))
          .Add("count", cedar::Value::RecordOf(std::move(counts)))
          .Build();
  cedar::Value call_value = cedar::RecordBuilder()
                                .Add("system", cedar::Value::String(std::string(call.system)))
                                .Add("action", cedar::Value::String(std::string(call.action)))
                                .Add("resource", cedar::Value::String(std::string(call.resource)))
                                .Build();
  cedar::Value step_value = cedar::RecordBuilder()
                                .Add("id", cedar::Value::String(s.id))
                                .Add("reads", StringSet(s.reads))
                                .Add("writes", StringSet(s.writes))
                                .Build();
  cedar::Request request;
  request.principal = cedar::EntityUid(std::string(kCedarAgentType), task.agent);
  request.action = cedar::EntityUid(std::string(kCedarActionType), s.id);
  request.resource = cedar::EntityUid(std::string(kCedarSystemType), std::string(call.system));
  request.context = cedar::RecordBuilder()
                        .Add("args", std::move(args))
                        .Add("inputs", task.inputs_value)
                        .Add("task", std::move(state))
                        .Add("call", std::move(call_value))
                        .Add("step", std::move(step_value))
                        .Add("now", cedar::Value::Long(now_us / 1'000'000))
                        .Build();
  return request;
}

// Cedar's answer for one candidate step, with the fail-closed rule: Cedar skips an erroring
// policy, the authority denies when a forbid or the step's own guard errored.
Decision Evaluate(const CompiledMandate& cm, const cedar::Request& request, int step) {
  cedar::Response r = cm.authorizer->Authorize(request, cm.entities);
  const std::string guard_id = "step." + cm.mandate->steps[step].id;
  for (const cedar::PolicyError& e : r.errors) {
    const bool is_guard = e.policy_id == guard_id;
    return Deny(is_guard ? "guard" : "policy", is_guard ? "guard.error" : "policy.error",
                (is_guard ? "guard of step `" + cm.mandate->steps[step].id + "`"
                          : "policy `" + e.policy_id + "`") +
                    " could not be evaluated (fail closed): " + e.message,
                e.policy_id);
  }
  if (r.decision == cedar::Decision::kAllow) {
    Decision d;
    d.outcome = Outcome::kAllow;
    return d;
  }
  if (r.reasons.empty()) {
    return Deny(
        "guard", "guard.unsatisfied",
        "the guard of step `" + cm.mandate->steps[step].id + "` does not hold for this call",
        guard_id);
  }
  const std::string& id = r.reasons.front();
  if (id.rfind("order.", 0) == 0) {
    return Deny("chain", "chain.branch_condition",
                "the branch condition `" + id + "` does not hold for this call", id);
  }
  return Deny("policy", "policy.forbid", "forbidden by policy `" + id + "`", id);
}

std::string ArgsDigest(const boost::json::object* args) {
  return audit::ArgumentsDigest(args ? json::Serialize(*args) : "{}");
}

}  // namespace

Decision Authority::Authorize(std::string_view task_token, const Proof& proof,
                              const ToolCall& call) {
  Impl& impl = *impl_;
  auto claims = impl.Authenticate(task_token, proof);
  if (!claims) {
    const bool revoked = claims.error().reason().rfind("revocation.", 0) == 0;
    Decision d = Deny(revoked ? "revocation" : "authentication",
                      std::string(claims.error().reason()), claims.error().message());
    AuditCallRecord record{.task_id = "",
                           .agent = "",
                           .principal = "",
                           .call = call,
                           .args_digest = ArgsDigest(call.args)};
    d.audit_ticket = AppendDecision(impl, record, d);
    return d;
  }
  const std::string& task_id = (*claims)->task_id;
  uint64_t key = 0;
  ParseTaskId(task_id, &key);
  const int64_t now = impl.clock.NowMicros();
  bool revoke_after = false;
  std::string escalation;                             // the `@escalate` policy that held the call
  std::optional<store::ApprovalRecord> new_approval;  // persisted after the task's lock
  Decision decision = impl.tasks.WithTask(key, [&](LiveTask* task) -> Decision {
    AuditCallRecord record{.task_id = task_id,
                           .agent = (*claims)->agent,
                           .principal = task ? task->principal : std::string(),
                           .call = call,
                           .args_digest = ArgsDigest(call.args)};
    auto finish = [&](Decision d) {
      d.task_id = task_id;
      d.audit_ticket = AppendDecision(impl, record, d);
      if (record.progress != nullptr) task->progress_seq = static_cast<int64_t>(d.audit_ticket);
      return d;
    };
    if (task == nullptr || task->state != store::TaskState::kActive) {
      return finish(Deny("revocation", "revocation.task", "task `" + task_id + "` is not active"));
    }
    const CompiledMandate& cm = impl.mandates[task->mandate];
    const Mandate& m = *cm.mandate;
    record.mandate = &m;
    if (auto hit = impl.revocations.CoversTask(task->agent, m.name, m.owner, task->created_us)) {
      return finish(Deny("revocation", "revocation.scope",
                         "revoked by revocation " + std::to_string(hit->event_id)));
    }
    if (now >= task->deadline_us) {
      revoke_after = true;
      return finish(Deny("deadline", "deadline.passed", "the task's deadline has passed"));
    }
    if (m.limits.idle_timeout_seconds &&
        now - task->last_call_us >= *m.limits.idle_timeout_seconds * 1'000'000) {
      revoke_after = true;
      return finish(Deny("deadline", "deadline.idle", "the task was idle past its timeout"));
    }
    const ChainCall chain_call{call.system, call.action, call.resource};
    const ChainMatch match = cm.chain.Match(task->progress, chain_call, task->inputs);
    Decision d;
    if (!match.allowed()) {
      const std::string code(match.reason());
      const bool budget = code == "chain.budget_exhausted";
      d = Deny(budget ? "budget" : "chain", code,
               cm.chain.Describe(match, task->progress, chain_call),
               match.count ? m.steps[match.candidates[0].step].id : "");
    } else {
      for (uint8_t i = 0; i < match.count; ++i) {
        const CandidateStep& c = match.candidates[i];
        if (c.verdict != ChainVerdict::kAllowed) break;
        const Step& step = m.steps[c.step];
        auto args = ArgsValue(step, call.args);
        Decision attempt;
        Status granted = task->grant ? CheckCallWithinGrant(*task->grant, cm.chain, c.step,
                                                            call.action, call.resource, c.after)
                                     : Status();
        if (!granted.ok()) {
          attempt = Deny("delegation", std::string(granted.reason()), granted.message());
        } else if (!args) {
          attempt = Deny("guard", std::string(args.error().reason()),
                         "step `" + step.id + "`: " + args.error().message(), "step." + step.id);
        } else {
          attempt =
              Evaluate(cm, BuildRequest(cm, *task, c.step, call, std::move(*args), now), c.step);
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
      task->dirty = true;
      const Step& step = *record.step;
      credential::CredentialClaims step_claims;
      step_claims.agent = task->agent;
      step_claims.audience = m.systems[m.SystemIndex(step.system)].audience;
      step_claims.action = std::string(call.action);
      step_claims.resource = std::string(call.resource);
      step_claims.task_id = task_id;
      step_claims.step = step.id;
      step_claims.jkt = task->jkt;
      step_claims.actor_chain = task->actors;
      if (call.mint_credential) {
        const int64_t ttl =
            step.credential_ttl_seconds.value_or(m.limits.step_credential_ttl_seconds);
        auto minted = impl.issuer->MintStepCredential(std::move(step_claims), ttl);
        if (!minted) {
          return finish(Deny("authentication", std::string(minted.error().reason()),
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

// Explain: the decision pipeline of decide.cc, walked stage by stage on a copy of the task,
// reporting each stage instead of acting on it. Nothing here writes: no progress, no audit
// record, no revocation, no credential.
#include "src/authority/explain.h"

#include <algorithm>

#include "src/authority/internal/cedar_request.h"
#include "src/authority/internal/impl.h"
#include "src/authority/internal/persist.h"

namespace mandate::authority {
namespace {

void Note(Explanation& e, std::string stage, std::string result, std::string detail,
          std::string rule = "") {
  e.steps.push_back({std::move(stage), std::move(result), std::move(detail), std::move(rule)});
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Each Cedar policy that bears on step `step`, evaluated alone: the step's guard, the branch
// conditions leading to it and the mandate's own policies.
void ExplainPolicies(const CompiledMandate& cm, const cedar::Request& request, int step,
                     Explanation& e) {
  const std::string& id = cm.mandate->steps[step].id;
  for (const cedar::Policy& p : cm.cedar->policies.policies()) {
    const bool guard = p.id == "step." + id;
    const bool order = p.id.rfind("order.", 0) == 0 && EndsWith(p.id, "." + id);
    if (!guard && !order && p.id.rfind("policy.", 0) != 0) continue;
    cedar::PolicySet alone;
    const Status added = alone.Add(p);
    Result<std::shared_ptr<const cedar::Authorizer>> authorizer = Err(added);
    if (added.ok()) authorizer = cedar::Authorizer::Build(alone);
    if (!authorizer) {
      Note(e,
           guard   ? "guard"
           : order ? "order"
                   : "policy",
           "error", "could not evaluate `" + p.id + "` alone: " + authorizer.error().message(),
           p.id);
      continue;
    }
    const cedar::Response r = (*authorizer)->Authorize(request, cm.entities);
    const bool permit = p.effect == cedar::Effect::kPermit;
    std::string result, detail;
    if (!r.errors.empty()) {
      result = "error";
      detail = r.errors.front().message + " (an error denies: fail closed)";
    } else if (std::find(r.reasons.begin(), r.reasons.end(), p.id) != r.reasons.end()) {
      result = "satisfied";
      detail = permit ? "permits the call" : "forbids the call";
    } else {
      result = "not_satisfied";
      detail = permit ? "does not permit the call" : "does not forbid the call";
    }
    const std::string what = guard   ? "guard of step `" + id + "`"
                             : order ? "branch condition into step `" + id + "`"
                                     : std::string(permit ? "permit" : "forbid") + " policy";
    Note(e, guard ? "guard" : order ? "order" : "policy", result, what + ": " + detail, p.id);
  }
}

void ExplainBudget(const Mandate& m, const TaskProgress& progress, int step, Explanation& e,
                   bool exhausted) {
  std::string detail = "task: " + std::to_string(progress.calls) + " call(s) allowed so far";
  if (m.limits.max_calls) detail += " of " + std::to_string(*m.limits.max_calls);
  if (step >= 0) {
    const Step& s = m.steps[step];
    detail += "; step `" + s.id + "`: " + std::to_string(progress.counts[step]) + " call(s)";
    if (s.max_calls) detail += " of " + std::to_string(*s.max_calls);
  }
  Note(e, "budget", exhausted ? "fail" : "pass", detail, step >= 0 ? m.steps[step].id : "");
}

// Chain, Cedar, budget, approval and the decision: the stages after the task's own checks.
void ExplainFromChain(const CompiledMandate& cm, const LiveTask& task, const ToolCall& call,
                      int64_t now_us, Explanation& e) {
  const Mandate& m = *cm.mandate;
  const ChainCall chain_call{call.system, call.action, call.resource};
  const TaskInputs inputs = task.inputs.Unpack();
  const cedar::Value inputs_value = InputsValue(m, inputs);
  const ChainMatch match = cm.chain.Match(task.progress, chain_call, inputs);
  for (uint8_t i = 0; i < match.count; ++i) {
    const CandidateStep& c = match.candidates[i];
    const bool ok = c.verdict == ChainVerdict::kAllowed;
    Note(e, "candidate", ok ? "pass" : "fail",
         "step `" + m.steps[c.step].id + "`: " +
             (ok ? std::string("the order allows it now")
                 : "not now (" + std::string(ChainReason(c.verdict)) + ")"),
         m.steps[c.step].id);
  }
  Decision d;
  int budget_step = match.count ? match.candidates[0].step : -1;
  if (!match.allowed()) {
    d = ChainDenial(cm, match, task.progress, chain_call);
    const bool budget = d.reasons[0].check == "budget";
    Note(e, "chain", "fail", d.reasons[0].message + " (" + d.reasons[0].code + ")",
         d.reasons[0].rule);
    ExplainBudget(m, task.progress, budget_step, e, budget);
  } else {
    Note(e, "chain", "pass",
         std::to_string(match.count) +
             " candidate step(s); the first the order allows and whose guards and policies "
             "permit it is taken");
    for (uint8_t i = 0; i < match.count; ++i) {
      const CandidateStep& c = match.candidates[i];
      if (c.verdict != ChainVerdict::kAllowed) break;
      const Step& step = m.steps[c.step];
      auto args = CedarArgs(step, call.args);
      Decision attempt;
      if (auto denied = GrantDenial(cm, task, c, call)) {
        attempt = std::move(*denied);
        Note(e, "delegation", "fail",
             attempt.reasons[0].message + " (" + attempt.reasons[0].code + ")", step.id);
      } else if (!args) {
        attempt =
            DenyDecision("guard", std::string(args.error().reason()),
                         "step `" + step.id + "`: " + args.error().message(), "step." + step.id);
        Note(e, "guard", "error", attempt.reasons[0].message, attempt.reasons[0].rule);
      } else {
        const cedar::Request request =
            CedarRequestFor(cm, task, c.step, call, std::move(*args), inputs_value, now_us);
        ExplainPolicies(cm, request, c.step, e);
        attempt = CedarVerdict(cm, cm.authorizer->Authorize(request, cm.entities), c.step);
      }
      const bool taken = attempt.outcome == Outcome::kAllow;
      Note(e, "candidate", taken ? "pass" : "fail",
           "step `" + step.id + "`: " +
               (taken ? std::string("Cedar allows the call as this step")
                      : attempt.reasons[0].message + " (" + attempt.reasons[0].code + ")"),
           step.id);
      if (taken) {
        d = std::move(attempt);
        d.step = step.id;
        budget_step = c.step;
        break;
      }
      if (i == 0) d = std::move(attempt);  // the most preferred step's reason explains a deny
    }
    ExplainBudget(m, task.progress, budget_step, e, false);
  }
  if (d.outcome == Outcome::kAllow && m.steps[budget_step].approval_required) {
    d.outcome = Outcome::kPending;
    d.reasons.push_back({"approval", "approval.required",
                         "step `" + d.step + "` needs a human's approval", "step." + d.step});
    Note(e, "approval", "fail", d.reasons.back().message, d.reasons.back().rule);
  } else if (d.outcome == Outcome::kAllow) {
    Note(e, "approval", "pass", "step `" + d.step + "` needs no approval", d.step);
  }
  e.outcome = d.outcome;
  e.step = d.step;
  e.reasons = d.reasons;
  if (d.outcome == Outcome::kDeny && m.mode == Mode::kShadow) {
    e.outcome = Outcome::kAllow;
    e.shadow = true;
  } else if (d.outcome == Outcome::kDeny && m.on_deviation == OnDeviation::kRevoke) {
    e.would_revoke = true;
  }
}

void Conclude(Explanation& e) {
  std::string detail = std::string(OutcomeName(e.outcome));
  if (!e.step.empty()) detail += " as step `" + e.step + "`";
  if (!e.reasons.empty()) detail += ": " + e.reasons[0].message + " (" + e.reasons[0].code + ")";
  if (e.shadow) detail += "; shadow mode lets the deviation through and records it";
  if (e.would_revoke) detail += "; the deviation would revoke the task";
  Note(e, "decision", std::string(OutcomeName(e.outcome)), detail,
       e.reasons.empty() ? e.step : e.reasons[0].rule);
}

Explanation Denied(Explanation e, std::string check, std::string code, std::string message,
                   bool revokes) {
  e.outcome = Outcome::kDeny;
  e.reasons.push_back({std::move(check), std::move(code), std::move(message), ""});
  e.would_revoke = revokes;
  Conclude(e);
  return e;
}

}  // namespace

boost::json::object ExplanationJson(const Explanation& e) {
  boost::json::array steps;
  for (const ExplainStep& s : e.steps) {
    boost::json::object o{{"stage", s.stage}, {"result", s.result}, {"detail", s.detail}};
    if (!s.rule.empty()) o["rule"] = s.rule;
    steps.push_back(std::move(o));
  }
  boost::json::array reasons;
  for (const Reason& r : e.reasons) {
    boost::json::object o{{"check", r.check}, {"code", r.code}, {"message", r.message}};
    if (!r.rule.empty()) o["rule"] = r.rule;
    reasons.push_back(std::move(o));
  }
  boost::json::object out{
      {"decision", OutcomeName(e.outcome)},
      {"step", e.step.empty() ? boost::json::value(nullptr) : boost::json::value(e.step)},
      {"reasons", std::move(reasons)},
      {"stages", std::move(steps)}};
  if (e.would_revoke) out["task_revoked"] = true;
  if (e.shadow) out["shadow"] = true;
  return out;
}

Result<Explanation> ExplainOffline(const OfflineExplainRequest& request) {
  if (!request.mandate) return Err(InvalidArgument("explain.no_mandate", "no mandate given"));
  auto compiled = CompileMandate(request.mandate);
  if (!compiled) return Err(compiled.error());
  const CompiledMandate& cm = *compiled;
  const Mandate& m = *cm.mandate;
  auto inputs = BindTaskInputs(m, request.inputs);
  if (!inputs) return Err(inputs.error());
  LiveTask task;
  task.agent = request.agent;
  task.inputs = std::move(*inputs);
  for (const std::string& id : request.steps_done) {
    const int step = m.StepIndex(id);
    if (step < 0) {
      return Err(InvalidArgument("explain.invalid_progress",
                                 "progress: mandate `" + m.name + "` has no step `" + id + "`"));
    }
    TaskProgress after;
    const ChainVerdict verdict = cm.chain.Check(task.progress, step, &after);
    if (verdict != ChainVerdict::kAllowed) {
      return Err(InvalidArgument("explain.invalid_progress",
                                 "progress: step `" + id + "` is not allowed where it stands (" +
                                     std::string(ChainReason(verdict)) + ")"));
    }
    task.progress = after;
  }
  Explanation e;
  Note(e, "authenticate", "skip", "offline: no task token or proof of possession to verify");
  Note(e, "task", "pass",
       "an active task of mandate `" + m.name + "` version `" + m.version + "` after " +
           std::to_string(request.steps_done.size()) + " call(s)");
  Note(e, "revocation", "skip", "offline: no revocations to consult");
  Note(e, "deadline", "skip", "offline: no task clock");
  ExplainFromChain(cm, task, request.call, request.now_seconds * 1'000'000, e);
  Conclude(e);
  return e;
}

Result<Explanation> Authority::Explain(std::string_view task_id, const ToolCall& call) {
  Impl& impl = *impl_;
  uint64_t key = 0;
  if (!ParseTaskId(task_id, &key)) {
    return Err(NotFound("task.unknown", "no task `" + std::string(task_id) + "`"));
  }
  // A copy of the task, taken under its lock: the explanation then runs without holding it.
  std::optional<LiveTask> copy;
  impl.tasks.WithTask(key, [&](LiveTask* task) {
    if (task != nullptr) copy = *task;
  });
  Explanation e;
  Note(e, "authenticate", "skip",
       "asked by the operator: a real call also verifies the agent's task token and proof");
  if (!copy || copy->state != store::TaskState::kActive) {
    auto view = GetTask(task_id);  // ended tasks leave memory but stay in the store
    if (!view) return Err(view.error());
    Note(e, "task", "fail", "task `" + std::string(task_id) + "` is " + view->state);
    return Denied(std::move(e), "revocation", "revocation.task",
                  "task `" + std::string(task_id) + "` is not active", false);
  }
  const CompiledMandate& cm = impl.mandates[copy->mandate];
  const Mandate& m = *cm.mandate;
  Note(e, "task", "pass",
       "active task of mandate `" + m.name + "` version `" + m.version + "`, agent `" +
           copy->agent.str() + "`, " + std::to_string(copy->progress.calls) + " call(s) so far");
  if (auto hit = impl.revocations.CoversTask(copy->agent, m.name, m.owner, copy->created_us)) {
    Note(e, "revocation", "fail", "revocation " + std::to_string(hit->event_id) + " covers it");
    return Denied(std::move(e), "revocation", "revocation.scope",
                  "revoked by revocation " + std::to_string(hit->event_id), false);
  }
  Note(e, "revocation", "pass", "no revocation covers the task, its agent, mandate or owner");
  const int64_t now = impl.clock.NowMicros();
  if (now >= copy->deadline_us) {
    Note(e, "deadline", "fail", "the deadline has passed");
    return Denied(std::move(e), "deadline", "deadline.passed", "the task's deadline has passed",
                  true);
  }
  if (m.limits.idle_timeout_seconds &&
      now - copy->last_call_us >= *m.limits.idle_timeout_seconds * 1'000'000) {
    Note(e, "deadline", "fail", "idle past the timeout");
    return Denied(std::move(e), "deadline", "deadline.idle", "the task was idle past its timeout",
                  true);
  }
  Note(e, "deadline", "pass",
       std::to_string((copy->deadline_us - now) / 1'000'000) + " s left before the deadline");
  ExplainFromChain(cm, *copy, call, now, e);
  Conclude(e);
  return e;
}

}  // namespace mandate::authority

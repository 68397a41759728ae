// Delegation (docs/delegation.md): a task hands some of its steps to another agent as a child
// task. Each handoff is decided by the mandates' planning rules, attenuation against what the
// parent holds now, and Cedar (delegator, delegatee, what is handed over); it is audited
// whether it is granted or refused. The delegatee then starts the child with its own
// credential and key (ClaimDelegatedTask).
#include <boost/json.hpp>

#include "src/authority/internal/audit_records.h"
#include "src/authority/internal/cedar_request.h"
#include "src/authority/internal/impl.h"
#include "src/authority/internal/persist.h"
#include "src/json/json.h"

namespace mandate::authority {
namespace {

constexpr int kMaxDelegationDepth = 8;

bool AgentMatches(const AgentMatcher& a, std::string_view agent) {
  if (!a.spiffe_id.empty()) return agent == a.spiffe_id;
  if (!a.spiffe_prefix.empty()) {
    return agent.size() > a.spiffe_prefix.size() && agent.starts_with(a.spiffe_prefix);
  }
  if (!a.oidc_issuer.empty()) return agent == a.oidc_issuer + "#" + a.oidc_subject;
  return false;
}

bool AnyMatches(const std::vector<AgentMatcher>& matchers, std::string_view agent) {
  for (const AgentMatcher& a : matchers) {
    if (AgentMatches(a, agent)) return true;
  }
  return false;
}

// The parent's input values, as JSON, for the inputs of the same name and type the child's
// mandate declares (a child usually works on the same folder, payee or topic).
boost::json::object InheritedInputs(const Mandate& parent, const TaskInputs& values,
                                    const Mandate& child) {
  boost::json::object out;
  for (const TypedField& f : child.inputs) {
    for (size_t i = 0; i < parent.inputs.size() && i < values.values.size(); ++i) {
      const TypedField& p = parent.inputs[i];
      if (p.name != f.name || p.type != f.type || values.values[i].empty()) continue;
      auto scalar = [&](const std::string& v) -> boost::json::value {
        if (f.type == ValueType::kLong || f.type == ValueType::kLongSet) {
          return static_cast<int64_t>(std::strtoll(v.c_str(), nullptr, 10));
        }
        if (f.type == ValueType::kBool) return v == "true";
        return boost::json::string(v);
      };
      if (f.type == ValueType::kStringSet || f.type == ValueType::kLongSet) {
        boost::json::array set;
        for (const auto& v : values.values[i]) set.push_back(scalar(v));
        out[f.name] = std::move(set);
      } else {
        out[f.name] = scalar(values.values[i][0]);
      }
    }
  }
  return out;
}

// What the parent task looked like when the handoff was asked for.
struct ParentSnapshot {
  uint32_t mandate = 0;
  std::string agent;
  int64_t created_us = 0;
  int64_t deadline_us = 0;
  TaskInputs inputs;
  Grant held;                   // what it holds now
  std::optional<Grant> handed;  // for a delegated parent: the same from its mandate alone
  int depth = 0;
  std::vector<uint64_t> children;
  std::vector<std::string> actors;
};

void SubtractHandedOn(const Grant& handed, Grant* held) {
  auto minus = [](std::optional<uint32_t>& have, const std::optional<uint32_t>& gave) {
    if (have && gave) have = *have > *gave ? *have - *gave : 0;
  };
  minus(held->total_calls, handed.total_calls);
  for (GrantedStep& h : held->steps) {
    for (const GrantedStep& g : handed.steps) {
      if (g.id == h.id) minus(h.calls, g.calls);
    }
  }
}

std::optional<uint32_t> AtMost(std::optional<uint32_t> a, std::optional<uint32_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// The child's grant: the requested steps as the child's mandate defines them, narrowed by the
// request. Budgets not asked for default to the child mandate's, capped at what the parent has
// left; what is asked for explicitly is checked as asked, by CheckAttenuation afterwards.
Result<Grant> ChildGrant(const CompiledMandate& child, const TaskInputs& inputs,
                         const DelegateRequest& request, const Grant& held, int64_t deadline_us) {
  const Grant full = CurrentGrant(child.chain, TaskProgress{}, inputs, deadline_us);
  const Mandate& m = *child.mandate;
  Grant grant;
  grant.deadline_micros = deadline_us;
  grant.may_delegate = request.may_delegate && m.planning.role != PlanningRole::kExecutor;
  grant.total_calls =
      request.max_calls ? request.max_calls : AtMost(full.total_calls, held.total_calls);
  std::vector<std::string> touched;
  for (const DelegatedStep& asked : request.steps) {
    const int index = m.StepIndex(asked.id);
    if (index < 0) {
      return Err(PermissionDenied("delegation.extra_step", "delegation: mandate `" + m.name +
                                                               "` has no step `" + asked.id + "`"));
    }
    GrantedStep step = full.steps[index];
    if (!asked.actions.empty()) step.actions = asked.actions;
    if (!asked.resources.empty()) step.resources = asked.resources;
    if (asked.max_calls) {
      step.calls = asked.max_calls;
    } else {
      for (const GrantedStep& h : held.steps) {
        if (h.id == asked.id) step.calls = AtMost(step.calls, h.calls);
      }
    }
    step.delegable = grant.may_delegate;
    const Step& s = m.steps[index];
    touched.insert(touched.end(), s.reads.begin(), s.reads.end());
    touched.insert(touched.end(), s.writes.begin(), s.writes.end());
    grant.steps.push_back(std::move(step));
  }
  if (!request.max_calls) {
    // Not asked for: no more than the handed steps can use, so siblings can share the rest.
    std::optional<uint32_t> sum = 0;
    for (const GrantedStep& step : grant.steps) {
      sum = sum && step.calls ? std::optional<uint32_t>(*sum + *step.calls) : std::nullopt;
    }
    grant.total_calls = AtMost(grant.total_calls, sum);
  }
  grant.labels = request.labels ? *request.labels : touched;
  std::sort(grant.labels.begin(), grant.labels.end());
  grant.labels.erase(std::unique(grant.labels.begin(), grant.labels.end()), grant.labels.end());
  return grant;
}

}  // namespace

Result<Delegation> Authority::Delegate(const DelegateRequest& request) {
  Impl& impl = *impl_;
  uint64_t parent_key = 0;
  if (!ParseTaskId(request.parent_task, &parent_key)) {
    return Err(NotFound("task.unknown", "no task `" + request.parent_task + "`"));
  }
  if (request.agent.empty() || request.steps.empty() || request.steps.size() > kMaxChainSteps) {
    return Err(InvalidArgument("delegation.invalid_grant",
                               "delegation: name the delegatee `agent` and 1 to 32 `steps`"));
  }
  const int64_t now = impl.clock.NowMicros();
  auto snapshot =
      impl.tasks.WithTask(parent_key, [&](LiveTask* t) -> std::optional<ParentSnapshot> {
        if (t == nullptr || t->state != store::TaskState::kActive) return std::nullopt;
        const CompiledMandate& cm = impl.mandates[t->mandate];
        const TaskInputs inputs = t->inputs.Unpack();
        ParentSnapshot s{t->mandate, t->agent, t->created_us, t->deadline_us, inputs, {},
                         {},         0,        t->children,   t->actors};
        const Grant own = CurrentGrant(cm.chain, t->progress, inputs, t->deadline_us);
        if (t->grant) {
          s.held = RemainingGrant(*t->grant, cm.chain, t->progress);
          s.held.deadline_micros = t->deadline_us;
          s.handed = own;
        } else {
          s.held = own;
        }
        return s;
      });
  if (!snapshot) {
    return Err(StatusCode::kFailedPrecondition, "task.not_active",
               "task `" + request.parent_task + "` is not active");
  }
  // What the parent already handed to live children is no longer its to hand on: siblings
  // together never hold more than the parent did.
  for (uint64_t child : snapshot->children) {
    impl.tasks.WithTask(child, [&](LiveTask* c) {
      if (c == nullptr || c->state != store::TaskState::kActive || !c->grant) return;
      SubtractHandedOn(*c->grant, &snapshot->held);
    });
  }
  for (uint64_t p = parent_key; p != 0 && snapshot->depth <= kMaxDelegationDepth;) {
    p = impl.tasks.WithTask(p, [](LiveTask* t) { return t ? t->parent : 0; });
    if (p != 0) ++snapshot->depth;
  }
  const CompiledMandate& parent_cm = impl.mandates[snapshot->mandate];
  const Mandate& parent_m = *parent_cm.mandate;
  if (auto hit = impl.revocations.CoversTask(snapshot->agent, parent_m.name, parent_m.owner,
                                             snapshot->created_us)) {
    return Err(PermissionDenied("revocation.scope", "the parent task is revoked (revocation " +
                                                        std::to_string(hit->event_id) + ")"));
  }
  if (now >= snapshot->deadline_us) {
    return Err(PermissionDenied("deadline.passed", "the parent task's deadline has passed"));
  }

  Delegation out;
  out.parent_task = request.parent_task;
  out.agent = request.agent;
  // Every refusal below is audited with its reason, like a denied call.
  auto refuse = [&](Status status) -> Result<Delegation> {
    impl.AuditDelegation(request, snapshot->agent, parent_m, nullptr, status);
    return Err(std::move(status));
  };
  if (!snapshot->held.may_delegate) {
    return refuse(PermissionDenied("delegation.not_delegable",
                                   "delegation: task `" + request.parent_task +
                                       "` may not delegate (an executor, or nothing was handed on "
                                       "for re-delegation)"));
  }
  if (snapshot->depth >= kMaxDelegationDepth) {
    return refuse(PermissionDenied(
        "delegation.too_deep",
        "delegation: the tree is at most " + std::to_string(kMaxDelegationDepth) + " levels deep"));
  }
  // The child's mandate: named, or the planner's first executor mandate, or the parent's own.
  std::string child_name = request.mandate;
  if (child_name.empty()) {
    child_name = parent_m.planning.executor_mandates.empty()
                     ? parent_m.name
                     : parent_m.planning.executor_mandates.front();
  }
  const auto& allowed = parent_m.planning.executor_mandates;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), child_name) == allowed.end()) {
    return refuse(PermissionDenied("delegation.mandate_not_allowed",
                                   "delegation: mandate `" + parent_m.name +
                                       "` may not hand work to mandate `" + child_name + "`"));
  }
  const CompiledMandate* child_cm = impl.FindMandate(child_name, request.version);
  if (child_cm == nullptr) {
    return refuse(NotFound("mandate.unknown", "no mandate `" + child_name + "` is loaded"));
  }
  const Mandate& child_m = *child_cm->mandate;
  // The delegatee: one of the planner's executors when it names them, else an agent the
  // child's mandate admits.
  const bool delegatee_ok = parent_m.planning.executors.empty()
                                ? AnyMatches(child_m.agents, request.agent)
                                : AnyMatches(parent_m.planning.executors, request.agent);
  if (!delegatee_ok) {
    return refuse(PermissionDenied("delegation.delegatee_not_allowed",
                                   "delegation: agent `" + request.agent +
                                       "` may not receive work from mandate `" + parent_m.name +
                                       "`"));
  }
  boost::json::object inputs = InheritedInputs(parent_m, snapshot->inputs, child_m);
  if (request.inputs) {
    for (const auto& [k, v] : *request.inputs) inputs[k] = v;
  }
  auto bound = BindTaskInputs(child_m, inputs);
  if (!bound) return refuse(bound.error());
  int64_t deadline_us = snapshot->deadline_us;
  if (child_m.limits.deadline_seconds) {
    deadline_us = std::min(deadline_us, now + *child_m.limits.deadline_seconds * 1'000'000);
  }
  if (request.deadline) {
    if (*request.deadline <= 0 || *request.deadline > INT64_MAX / 1'000'000) {
      return refuse(InvalidArgument("delegation.invalid_grant", "delegation: bad `deadline`"));
    }
    deadline_us = *request.deadline * 1'000'000;
  }
  auto grant = ChildGrant(*child_cm, *bound, request, snapshot->held, deadline_us);
  if (!grant) return refuse(grant.error());

  // Attenuation: never more than the parent holds now. A delegated parent that asks for more
  // than was handed to it, though its mandate would allow it, gets its own reason.
  Status contained = CheckAttenuation(snapshot->held, *grant);
  if (!contained.ok() && snapshot->handed && CheckAttenuation(*snapshot->handed, *grant).ok()) {
    contained = PermissionDenied(
        "delegation.beyond_handed_on",
        contained.message() + " (more than was handed to task `" + request.parent_task + "`)");
  }
  if (!contained.ok()) return refuse(contained);
  // Child system audiences must be the parent's: the same name on another API is another system.
  for (const GrantedStep& step : grant->steps) {
    const int ps = parent_m.SystemIndex(step.system), cs = child_m.SystemIndex(step.system);
    if (ps < 0 || cs < 0 || parent_m.systems[ps].audience != child_m.systems[cs].audience) {
      return refuse(PermissionDenied(
          "delegation.extra_system",
          "delegation: system `" + step.system + "` of the child's mandate is not the parent's"));
    }
  }

  // The Cedar decision over the handoff (docs/delegation.md, "Delegation policies").
  if (impl.delegation_policies) {
    std::vector<std::string> steps;
    for (const auto& s : grant->steps) steps.push_back(s.id);
    cedar::Request cedar_request;
    cedar_request.principal = cedar::EntityUid(std::string(kCedarAgentType), snapshot->agent);
    cedar_request.action = cedar::EntityUid(std::string(kCedarActionType), "delegate");
    cedar_request.resource = cedar::EntityUid(std::string(kCedarAgentType), request.agent);
    cedar_request.context =
        cedar::RecordBuilder()
            .Add("parent_task", cedar::Value::String(request.parent_task))
            .Add("mandate", cedar::Value::String(parent_m.name))
            .Add("child_mandate", cedar::Value::String(child_m.name))
            .Add("owner", cedar::Value::String(parent_m.owner))
            .Add("steps", StringSet(steps))
            .Add("labels", StringSet(grant->labels))
            .Add("max_calls", cedar::Value::Long(grant->total_calls ? *grant->total_calls : -1))
            .Add("deadline", cedar::Value::Long(deadline_us / 1'000'000))
            .Add("depth", cedar::Value::Long(snapshot->depth + 1))
            .Add("may_delegate", cedar::Value::Bool(grant->may_delegate))
            .Add("now", cedar::Value::Long(now / 1'000'000))
            .Build();
    cedar::Response r = impl.delegation_policies->Authorize(cedar_request, cedar::Entities());
    if (!r.errors.empty()) {
      return refuse(
          PermissionDenied("delegation.policy_error",
                           "delegation: policy `" + r.errors[0].policy_id +
                               "` could not be evaluated (fail closed): " + r.errors[0].message));
    }
    if (r.decision != cedar::Decision::kAllow) {
      const std::string rule = r.reasons.empty() ? "" : r.reasons.front();
      return refuse(PermissionDenied("delegation.policy_forbid",
                                     "delegation: forbidden by policy `" + rule + "`"));
    }
  }

  // The child task: live and in its parent's tree before anyone can start it. Revocations are
  // serialised with this, so a revocation of the parent either sees the child or came first.
  LiveTask child;
  child.parent = parent_key;
  child.mandate = static_cast<uint32_t>(child_cm - impl.mandates.data());
  child.agent = impl.interned.Intern(request.agent);
  child.created_us = now;
  child.last_call_us = now;
  child.deadline_us = deadline_us;
  child.inputs = std::move(*bound);
  child.grant = std::make_shared<const Grant>(*grant);
  child.actors.push_back(snapshot->agent);
  child.actors.insert(child.actors.end(), snapshot->actors.begin(), snapshot->actors.end());
  const uint64_t key = NewTaskKey();
  std::lock_guard lock(impl.revoke_mu);
  const bool attached = impl.tasks.WithTask(parent_key, [&](LiveTask* t) {
    if (t == nullptr || t->state != store::TaskState::kActive) return false;
    t->children.push_back(key);
    return true;
  });
  if (!attached) {
    return Err(StatusCode::kFailedPrecondition, "task.not_active",
               "task `" + request.parent_task + "` ended during the handoff");
  }
  const store::TaskRecord record = impl.ToRecord(key, child);
  if (Status s = impl.deps.store->PutTasks(std::span(&record, 1)); !s.ok()) {
    impl.tasks.WithTask(parent_key, [&](LiveTask* t) {
      if (t) std::erase(t->children, key);
    });
    return Err(s);
  }
  out.task_id = FormatTaskId(key);
  out.mandate = child_m.name;
  out.version = child_m.version;
  out.deadline = deadline_us / 1'000'000;
  out.grant = GrantToJson(*grant);
  out.audit_ticket = impl.AuditDelegation(request, snapshot->agent, parent_m, &out, Status());
  impl.deadlines.Push(key, deadline_us);
  impl.tasks.Put(key, std::move(child));
  return out;
}

Result<StartedTask> Authority::Impl::ClaimDelegatedTask(const std::string& agent,
                                                        const std::string& jkt,
                                                        std::string_view task_id,
                                                        const boost::json::object& credential) {
  uint64_t key = 0;
  if (!ParseTaskId(task_id, &key)) {
    return Err(NotFound("task.unknown", "no task `" + std::string(task_id) + "`"));
  }
  std::optional<store::TaskRecord> record;
  Status refused;
  const CompiledMandate* cm = nullptr;
  int64_t deadline_us = 0;
  uint64_t ticket = 0;
  tasks.WithTask(key, [&](LiveTask* t) {
    if (t == nullptr || t->state != store::TaskState::kActive || !t->grant) {
      refused = NotFound("task.unknown", "no live delegated task `" + std::string(task_id) + "`");
      return;
    }
    if (t->agent != agent) {
      refused = PermissionDenied("delegation.wrong_agent",
                                 "task `" + std::string(task_id) + "` was handed to another agent");
      return;
    }
    if (!t->jkt.empty()) {
      refused = Status(StatusCode::kAlreadyExists, "delegation.already_started",
                       "task `" + std::string(task_id) + "` was already started");
      return;
    }
    cm = &mandates[t->mandate];
    if (auto hit = revocations.CoversTask(t->agent, cm->mandate->name, cm->mandate->owner,
                                          t->created_us)) {
      refused = PermissionDenied("revocation.scope",
                                 "revoked by revocation " + std::to_string(hit->event_id));
      return;
    }
    t->jkt = interned.Intern(std::string(jkt));
    MarkChanged(key, *t);
    deadline_us = t->deadline_us;
    record = ToRecord(key, *t);
  });
  if (!record) return Err(refused);
  if (Status s = deps.store->PutTasks(std::span(&*record, 1)); !s.ok()) {
    tasks.WithTask(key, [](LiveTask* t) {
      if (t) t->jkt = SharedString();
    });
    return Err(s);
  }
  // Recorded once stored, as a task start is; no token before the record is durable (a failed
  // append, ticket 0, reports the log's failure there).
  bool live = false;
  tasks.WithTask(key, [&](LiveTask* t) {
    live = t != nullptr;
    if (live) ticket = AuditLifecycle("task.claimed", key, *t, "", &credential);
  });
  if (!live) {
    return Err(NotFound("task.unknown", "task `" + std::string(task_id) + "` ended as it started"));
  }
  MANDATE_RETURN_IF_ERROR(deps.audit->WaitDurable(ticket));
  credential::CredentialClaims claims;
  claims.kind = credential::CredentialKind::kTaskToken;
  claims.agent = agent;
  claims.task_id = std::string(task_id);
  claims.jkt = jkt;
  claims.mandate = cm->mandate->name;
  claims.expires_at = deadline_us / 1'000'000;
  auto token = issuer->MintTaskToken(std::move(claims));
  if (!token) return Err(token.error());
  return StartedTask{std::string(task_id), std::move(*token), deadline_us / 1'000'000,
                     cm->mandate->name, cm->mandate->version};
}

std::vector<std::string> Authority::Impl::TaskTree(const std::string& root) {
  std::vector<std::string> tree{root};
  for (size_t i = 0; i < tree.size() && tree.size() < 100000; ++i) {
    store::TaskQuery query;
    query.parent_id = tree[i];
    query.limit = 100000;
    auto children = deps.store->ListTasks(query);
    if (!children) continue;
    for (const auto& c : *children) tree.push_back(c.id);
  }
  return tree;
}

Status Authority::Impl::LoadDelegationPolicies() {
  if (deps.delegation_policies.empty()) return Status();
  auto parsed = cedar::ParsePolicies(deps.delegation_policies);
  if (!parsed) return parsed.error().WithContext("delegation policies");
  cedar::PolicySet set;
  auto base = cedar::ParsePolicy(R"(permit (principal, action == Action::"delegate", resource);)",
                                 "delegation.default");
  if (!base) return base.error();
  MANDATE_RETURN_IF_ERROR(set.Add(std::move(*base)));
  for (cedar::Policy policy : parsed->policies()) {
    for (const auto& [key, value] : policy.annotations) {
      if (key == "id") policy.id = value;
    }
    MANDATE_RETURN_IF_ERROR(set.Add(std::move(policy)).WithContext("delegation policies"));
  }
  auto authorizer = cedar::Authorizer::Build(set);
  if (!authorizer) return authorizer.error().WithContext("delegation policies");
  delegation_policies = std::move(*authorizer);
  return Status();
}

uint64_t Authority::Impl::AuditDelegation(const DelegateRequest& request,
                                          const std::string& delegator, const Mandate& mandate,
                                          const Delegation* granted, const Status& refused) {
  audit::Record r;
  r.kind = audit::RecordKind::kLifecycle;
  r.agent = delegator;
  r.principal = mandate.owner;
  r.task = request.parent_task;
  r.decision = granted ? "task.delegated" : "delegation.refused";
  if (!refused.ok()) r.reasons.push_back(std::string(refused.reason()) + ": " + refused.message());
  boost::json::array steps;
  for (const auto& s : request.steps) steps.emplace_back(s.id);
  boost::json::object detail{{"delegator", delegator},
                             {"delegatee", request.agent},
                             {"mandate", mandate.name},
                             {"steps", std::move(steps)}};
  if (granted) {
    detail["child"] = granted->task_id;
    detail["child_mandate"] = granted->mandate;
    detail["grant"] = granted->grant;
  }
  r.detail = json::Serialize(detail);
  auto ticket = deps.audit->Append(std::move(r));
  return ticket ? static_cast<uint64_t>(*ticket) : 0;
}

}  // namespace mandate::authority

// Authority: opening, task start, lifecycle and queries. Decisions are in decide.cc,
// revocation and expiry in revoke.cc, checkpoints and recovery in persist.cc.
#include "src/authority/authority.h"

#include <sodium.h>

#include <algorithm>

#include "src/authority/internal/impl.h"
#include "src/authority/internal/persist.h"
#include "src/util/hex.h"
#include "src/util/sha256.h"

namespace mandate::authority {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllow:
      return "allow";
    case Outcome::kDeny:
      return "deny";
    case Outcome::kPending:
      return "pending";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

Authority::Authority(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Authority::~Authority() = default;

Result<std::unique_ptr<Authority>> Authority::Open(Deps deps, Options options) {
  if (deps.clock == nullptr || deps.store == nullptr || deps.audit == nullptr || !deps.keys) {
    return Err(StatusCode::kInvalidArgument, "authority.config",
               "authority: clock, store, audit log and signing keys are required");
  }
  if (sodium_init() < 0) return Err(Internal("authority.crypto", "libsodium failed to start"));
  auto impl = std::make_unique<Impl>(std::move(deps), std::move(options));
  for (const auto& m : impl->deps.mandates) {
    auto compiled = CompileMandate(m);
    if (!compiled) return Err(compiled.error());
    impl->mandates.push_back(std::move(*compiled));
  }
  MANDATE_RETURN_IF_ERROR(impl->LoadDelegationPolicies());
  MANDATE_RETURN_IF_ERROR(impl->LoadUserPolicies());
  const Clock& clock = impl->clock;
  Impl* raw = impl.get();
  impl->issuer =
      std::make_unique<credential::CredentialIssuer>(impl->options.issuer, impl->deps.keys, clock);
  auto keys = impl->deps.keys;
  impl->verifier = std::make_unique<credential::CredentialVerifier>(
      impl->options.issuer, [keys] { return keys->PublicKeys(); },
      [raw](const credential::CredentialClaims& claims) -> Status {
        if (!claims.jti.empty() && raw->revocations.IsCredentialRevoked(claims.jti)) {
          return PermissionDenied("revocation.credential",
                                  "credential `" + claims.jti + "` was revoked");
        }
        return Status();
      },
      clock, credential::VerifierOptions{.sealing_keys = [keys] { return keys->SealingKeys(); }});
  impl->dpop = std::make_unique<credential::DpopVerifier>(clock);
  MANDATE_RETURN_IF_ERROR(Recover(*impl));
  return std::unique_ptr<Authority>(new Authority(std::move(impl)));
}

const CompiledMandate* Authority::Impl::FindMandate(std::string_view name,
                                                    std::string_view version) const {
  const CompiledMandate* best = nullptr;
  for (const CompiledMandate& m : mandates) {
    if (m.mandate->name != name) continue;
    if (!version.empty()) {
      if (m.mandate->version == version) return &m;
      continue;
    }
    if (best == nullptr || CompareVersions(m.mandate->version, best->mandate->version) > 0)
      best = &m;
  }
  return best;
}

namespace {

bool AgentMayRun(const Mandate& m, const identity::WorkloadIdentity& who) {
  for (const AgentMatcher& a : m.agents) {
    if (!a.spiffe_id.empty() && who.kind == identity::WorkloadIdentity::Kind::kSpiffe &&
        who.id == a.spiffe_id) {
      return true;
    }
    if (!a.spiffe_prefix.empty() && who.kind == identity::WorkloadIdentity::Kind::kSpiffe &&
        who.id.size() > a.spiffe_prefix.size() &&
        who.id.compare(0, a.spiffe_prefix.size(), a.spiffe_prefix) == 0) {
      return true;
    }
    if (!a.oidc_issuer.empty() && who.kind == identity::WorkloadIdentity::Kind::kOidc &&
        who.issuer == a.oidc_issuer && who.subject == a.oidc_subject) {
      return true;
    }
  }
  return false;
}

}  // namespace

// The agent's bootstrap credential: a JWT-SVID from a trusted trust domain, or an OIDC token
// from a configured issuer (chosen by the token's `iss`).
static Result<identity::WorkloadIdentity> VerifyBootstrap(const Authority::Impl& impl,
                                                          std::string_view token) {
  identity::VerifyOptions verify{.audience = impl.options.bootstrap_audience};
  Status first_error;
  if (impl.deps.bundles != nullptr) {
    auto svid = identity::VerifyJwtSvid(token, *impl.deps.bundles, verify, impl.clock);
    if (svid) return svid;
    first_error = svid.error();
  }
  for (const auto& issuer : impl.deps.oidc_issuers) {
    auto oidc = identity::VerifyOidcToken(token, issuer.issuer, *issuer.keys, verify, impl.clock);
    if (oidc) return oidc;
    if (oidc.error().reason() != "jwt.iss_mismatch") first_error = oidc.error();
  }
  if (first_error.ok()) {
    return Err(Unauthenticated("authentication.no_trust_source",
                               "no trust source is configured for agent credentials"));
  }
  return Err(first_error);
}

// The agent of a task start, and for the audit trail what it proved that with.
struct VerifiedAgent {
  identity::WorkloadIdentity who;
  // {"type":"jwt-svid"|"oidc","iss","jti"?} or {"type":"x509-svid","sha256":<leaf DER>}
  boost::json::object credential;
};

// Its bootstrap token when it sent one, else the X.509-SVID of its mTLS connection (the SPIFFE
// ID in the leaf's URI SAN, chained to that trust domain's bundle).
static Result<VerifiedAgent> VerifyAgent(const Authority::Impl& impl,
                                         const StartTaskRequest& request) {
  if (!request.bootstrap_token.empty() || request.client_certificates.empty()) {
    auto who = VerifyBootstrap(impl, request.bootstrap_token);
    if (!who) return Err(who.error());
    const bool spiffe = who->kind == identity::WorkloadIdentity::Kind::kSpiffe;
    boost::json::object credential{{"type", spiffe ? "jwt-svid" : "oidc"}, {"iss", who->issuer}};
    if (const auto* jti = who->claims.if_contains("jti"); jti && jti->is_string()) {
      credential["jti"] = *jti;
    }
    return VerifiedAgent{std::move(*who), std::move(credential)};
  }
  if (impl.deps.bundles == nullptr) {
    return Err(Unauthenticated("authentication.no_trust_source",
                               "no SPIFFE trust bundle is configured for X.509-SVIDs"));
  }
  auto svid = identity::VerifyX509Svid(request.client_certificates, *impl.deps.bundles, impl.clock);
  if (!svid) return Err(svid.error());
  const std::string id = svid->ToString();
  const Sha256Digest leaf = Sha256(request.client_certificates.front());
  std::string fingerprint;
  AppendHex(leaf.data(), leaf.size(), fingerprint);
  return VerifiedAgent{{.kind = identity::WorkloadIdentity::Kind::kSpiffe,
                        .id = id,
                        .issuer = "spiffe://" + svid->trust_domain,
                        .subject = id,
                        .claims = {}},
                       {{"type", "x509-svid"}, {"sha256", fingerprint}}};
}

Result<identity::WorkloadIdentity> Authority::VerifyUser(std::string_view token) {
  return VerifyBootstrap(*impl_, token);
}

Result<StartedTask> Authority::StartTask(const StartTaskRequest& request) {
  auto started = StartTasks(request, 1);
  if (!started) return Err(started.error());
  return std::move(started->front());
}

Result<std::vector<StartedTask>> Authority::StartTasks(const StartTaskRequest& request,
                                                       size_t count) {
  Impl& impl = *impl_;
  if (count == 0 || count > kMaxTasksPerStart) {
    return Err(InvalidArgument("task.count", "between 1 and " + std::to_string(kMaxTasksPerStart) +
                                                 " tasks may start at once"));
  }
  auto agent = VerifyAgent(impl, request);
  if (!agent) return Err(agent.error().WithContext("agent credential"));
  const identity::WorkloadIdentity& who = agent->who;
  auto proof = impl.dpop->Verify({.proof = request.proof.dpop,
                                  .method = request.proof.method,
                                  .url = request.proof.url,
                                  .access_token = {},  // the bootstrap token is a bearer token
                                  .expected_jkt = {}});
  if (!proof) return Err(proof.error().WithContext("proof of possession"));
  if (!request.delegated_task.empty()) {
    if (count != 1) return Err(InvalidArgument("task.count", "a delegated task starts once"));
    auto claimed =
        impl.ClaimDelegatedTask(who.id, proof->jkt, request.delegated_task, agent->credential);
    if (!claimed) return Err(claimed.error());
    return std::vector<StartedTask>{std::move(*claimed)};
  }
  const CompiledMandate* compiled = impl.FindMandate(request.mandate, request.version);
  if (compiled == nullptr) {
    return Err(NotFound("mandate.unknown",
                        "no mandate `" + request.mandate +
                            (request.version.empty() ? "" : "` version `" + request.version) +
                            "` is loaded"));
  }
  const Mandate& m = *compiled->mandate;
  if (!AgentMayRun(m, who)) {
    return Err(PermissionDenied("mandate.agent_not_allowed",
                                "agent `" + who.id + "` may not run mandate `" + m.name + "`"));
  }
  auto inputs = BindTaskInputs(m, request.inputs);
  if (!inputs) return Err(inputs.error());
  std::string principal;
  if (!request.on_behalf_of.empty()) {
    auto user = impl.VerifyPrincipal(request.on_behalf_of);
    if (!user) return Err(user.error());
    principal = std::move(*user);
  }
  const int64_t now = impl.clock.NowMicros();
  if (auto hit = impl.revocations.CoversTask(who.id, m.name, m.owner, now)) {
    return Err(PermissionDenied("revocation.scope",
                                "a kill switch covering this agent is in force (revocation " +
                                    std::to_string(hit->event_id) + ")"));
  }
  // The tasks share everything but their id: build the first, copy it for the others.
  LiveTask task;
  task.mandate = static_cast<uint32_t>(compiled - impl.mandates.data());
  task.agent = impl.interned.Intern(who.id);
  task.principal = std::move(principal);
  task.jkt = impl.interned.Intern(proof->jkt);
  task.created_us = now;
  task.last_call_us = now;
  task.deadline_us =
      now + m.limits.deadline_seconds.value_or(impl.options.default_deadline_seconds) * 1'000'000;
  task.inputs = *inputs;
  std::vector<uint64_t> keys(count);
  std::vector<store::TaskRecord> records;
  records.reserve(count);
  for (uint64_t& key : keys) {
    key = NewTaskKey();
    records.push_back(impl.ToRecord(key, task));
  }

  // Durable before anyone holds a token for them: one transaction, one audit commit.
  MANDATE_RETURN_IF_ERROR(impl.deps.store->PutTasks(records));
  records.clear();
  records.shrink_to_fit();
  uint64_t ticket = 0;
  for (uint64_t key : keys) {
    ticket = impl.AuditLifecycle("task.started", key, task, "", &agent->credential);
  }
  // A failed append (ticket 0, and every one after it) reports the log's failure here.
  MANDATE_RETURN_IF_ERROR(impl.deps.audit->WaitDurable(ticket));

  std::vector<StartedTask> started;
  started.reserve(count);
  for (uint64_t key : keys) {
    credential::CredentialClaims claims;
    claims.kind = credential::CredentialKind::kTaskToken;
    claims.agent = task.agent;
    claims.task_id = FormatTaskId(key);
    claims.jkt = task.jkt;
    claims.mandate = m.name;
    claims.expires_at = task.deadline_us / 1'000'000;
    auto token = impl.issuer->MintTaskToken(std::move(claims));
    // The tasks are stored but no token left: they are live without a holder until their
    // deadline (the same as an agent that crashed after starting them).
    if (!token) return Err(token.error());
    started.push_back(
        {FormatTaskId(key), std::move(*token), task.deadline_us / 1'000'000, m.name, m.version});
  }
  for (uint64_t key : keys) {
    impl.deadlines.Push(key, task.deadline_us);
    if (m.limits.idle_timeout_seconds) {
      impl.deadlines.Push(key, now + *m.limits.idle_timeout_seconds * 1'000'000);
    }
    impl.tasks.Put(key, task);
  }
  return started;
}

namespace {
void PrefetchBytes(const void* p, size_t n) {
  const char* bytes = static_cast<const char*>(p);
  for (size_t at = 0; at < n; at += 64) __builtin_prefetch(bytes + at);
}
}  // namespace

Authority::Impl::BoundConnection Authority::Impl::Held(const Proof& proof) {
  if (!proof.dpop.empty() || proof.connection_id == 0) return {};
  BoundConnection held;
  {
    std::lock_guard lock(bound_mu);
    auto it = bound.find(proof.connection_id);
    if (it == bound.end()) return {};
    held = it->second;
  }
  // At a million live tasks each of these is a cache (and TLB) miss; started together here,
  // they arrive while the caller hashes the call's arguments.
  tasks.Prefetch(held.task);
  PrefetchBytes(held.task_token->data(), held.task_token->size());
  PrefetchBytes(held.claims.get(), sizeof(credential::CredentialClaims));
  TaskTable<LiveTask>::PrefetchPlace(held.task_place);
  return held;
}

Result<Authority::Impl::Caller> Authority::Impl::Authenticate(std::string_view task_token,
                                                              const Proof& proof,
                                                              const BoundConnection& held) {
  if (held.claims && *held.task_token == task_token) {
    // A call without a proof on a connection that proved possession for exactly these token
    // bytes: the claims held since then are this token's, re-admitted (key, expiry, revocation)
    // without the token cache's hash and lookup.
    auto readmitted = verifier->Readmit(held.claims);
    if (!readmitted) return Err(readmitted.error());
    return Caller{std::move(*readmitted), held.task};
  }
  auto claims = verifier->VerifyTaskToken(task_token);
  if (!claims) return Err(claims.error());
  auto pop = dpop->Verify({.proof = proof.dpop,
                           .method = proof.method,
                           .url = proof.url,
                           .access_token = task_token,
                           .expected_jkt = (*claims)->jkt});
  if (!pop) return Err(pop.error());
  uint64_t task = 0;
  ParseTaskId((*claims)->task_id, &task);  // 0 (no task) for an id we did not mint
  if (proof.connection_id != 0 && options.bound_connections > 0) {
    std::lock_guard lock(bound_mu);
    // Binding reads the task's place under its shard's lock inside bound_mu (the one place
    // both are held, always in this order).
    // Full: this connection keeps proving each call (dropping others' bindings would fail
    // their proof-less calls).
    auto it = bound.find(proof.connection_id);
    if (it != bound.end()) {
      // A fresh proof on a bound connection: rebind only when the token changed (copying the
      // 600-byte token on every call showed up in profiles). The verifier's cache hands back
      // one claims object per token, so the same pointer is the same token.
      if (it->second.claims != *claims) {
        it->second = {std::make_shared<const std::string>(task_token), *claims, task,
                      tasks.PlaceOf(task)};
      }
    } else if (bound.size() < options.bound_connections) {
      bound.emplace(proof.connection_id,
                    BoundConnection{std::make_shared<const std::string>(task_token), *claims, task,
                                    tasks.PlaceOf(task)});
    }
  }
  return Caller{std::move(*claims), task};
}

Result<std::string> Authority::AuthenticateTask(std::string_view task_token, const Proof& proof) {
  auto caller = impl_->Authenticate(task_token, proof, impl_->Held(proof));
  if (!caller) return Err(caller.error());
  return caller->claims->task_id;
}

Result<std::string> Authority::TaskOfToken(std::string_view task_token) {
  auto claims = impl_->verifier->VerifyTaskToken(task_token);
  if (!claims) return Err(claims.error());
  return (*claims)->task_id;
}

void Authority::ForgetConnection(uint64_t connection_id) {
  std::lock_guard lock(impl_->bound_mu);
  impl_->bound.erase(connection_id);
}

Status Authority::WaitDurable(uint64_t audit_ticket) {
  return impl_->deps.audit->WaitDurable(audit_ticket);
}

TaskView Authority::Impl::View(uint64_t id, const LiveTask& task) const {
  const CompiledMandate& cm = mandates[task.mandate];
  TaskView view;
  view.task_id = FormatTaskId(id);
  view.parent_task = task.parent ? FormatTaskId(task.parent) : "";
  view.state = std::string(store::TaskStateName(task.state));
  view.agent = task.agent;
  view.principal = task.principal;
  view.owner = cm.mandate->owner;
  view.mandate = cm.mandate->name;
  view.version = cm.mandate->version;
  view.created_at = task.created_us / 1'000'000;
  view.deadline = task.deadline_us / 1'000'000;
  ViewProgress(cm, task.progress, &view);
  return view;
}

void ViewProgress(const CompiledMandate& cm, const TaskProgress& progress, TaskView* view) {
  view->calls = progress.calls;
  for (size_t i = 0; i < cm.mandate->steps.size(); ++i) {
    if (progress.counts[i] > 0)
      view->steps_done.emplace_back(cm.mandate->steps[i].id, progress.counts[i]);
  }
  view->labels_read = cm.chain.LabelNames(progress.labels_read);
}

Result<TaskView> Authority::GetTask(std::string_view task_id) {
  uint64_t key = 0;
  if (!ParseTaskId(task_id, &key)) {
    return Err(NotFound("task.unknown", "no task `" + std::string(task_id) + "`"));
  }
  auto view = impl_->tasks.WithTask(key, [&](LiveTask* task) -> std::optional<TaskView> {
    if (task == nullptr) return std::nullopt;
    return impl_->View(key, *task);
  });
  if (view) return *view;
  // Ended tasks leave memory; the store still knows them, with their progress at the end.
  auto record = impl_->deps.store->GetTask(task_id);
  if (!record) return Err(record.error());
  return EndedTaskView(*impl_, *record);
}

Result<TaskView> Authority::CompleteTask(std::string_view task_id, std::string_view reason) {
  auto view = GetTask(task_id);
  if (!view) return view;
  if (view->state != "active") {
    return Err(StatusCode::kFailedPrecondition, "task.not_active",
               "task `" + std::string(task_id) + "` is " + view->state);
  }
  uint64_t key = 0;
  ParseTaskId(task_id, &key);
  const bool may_complete = impl_->tasks.WithTask(key, [&](LiveTask* task) {
    return task != nullptr && impl_->mandates[task->mandate].chain.MayComplete(task->progress);
  });
  if (!may_complete) {
    return Err(StatusCode::kFailedPrecondition, "task.not_final",
               "task `" + std::string(task_id) + "` has not reached a final step");
  }
  // The task ends `completed` (its descendants `revoked`), not `revoked` as Revoke() would.
  auto revoked =
      impl_->RevokeAnswered({.scope = store::RevocationScope::kTask,
                             .value = std::string(task_id),
                             .reason = reason.empty() ? "task completed" : std::string(reason),
                             .actor = "agent"},
                            store::TaskState::kCompleted);
  if (!revoked) return Err(revoked.error());
  return GetTask(task_id);
}

Result<TaskView> Authority::FailTask(std::string_view task_id, std::string_view reason) {
  auto view = GetTask(task_id);
  if (!view) return view;
  if (view->state != "active") {
    return Err(StatusCode::kFailedPrecondition, "task.not_active",
               "task `" + std::string(task_id) + "` is " + view->state);
  }
  auto revoked =
      impl_->RevokeAnswered({.scope = store::RevocationScope::kTask,
                             .value = std::string(task_id),
                             .reason = reason.empty() ? "task failed" : std::string(reason),
                             .actor = "agent"},
                            store::TaskState::kFailed);
  if (!revoked) return Err(revoked.error());
  return GetTask(task_id);
}

Result<std::vector<std::string>> Authority::AllowedActions(std::string_view task_id,
                                                           std::string_view system) {
  uint64_t key = 0;
  if (!ParseTaskId(task_id, &key)) {
    return Err(NotFound("task.unknown", "no task `" + std::string(task_id) + "`"));
  }
  auto index = impl_->tasks.WithTask(key, [](LiveTask* t) { return t ? int64_t(t->mandate) : -1; });
  if (index < 0)
    return Err(NotFound("task.unknown", "no live task `" + std::string(task_id) + "`"));
  std::vector<std::string> actions;
  for (const Step& step : impl_->mandates[index].mandate->steps) {
    if (step.system != system) continue;
    for (const std::string& a : step.actions) actions.push_back(a);
  }
  std::sort(actions.begin(), actions.end());
  actions.erase(std::unique(actions.begin(), actions.end()), actions.end());
  return actions;
}

Status Authority::Checkpoint() { return authority::Checkpoint(*impl_); }

std::string Authority::JwksJson() const { return impl_->deps.keys->JwksJson(); }
size_t Authority::LiveTasks() const { return impl_->tasks.size(); }

}  // namespace mandate::authority

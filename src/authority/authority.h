// The authority: decides every tool call of every task at the moment it is invoked, and owns
// the task lifecycle and revocation. The HTTP API, the CLI and in-process benchmarks are thin
// adapters over this class.
//
//   auto authority = Authority::Open(deps, options);
//   auto task = authority->StartTask({.bootstrap_token = svid, .proof = {...}, .mandate = "pay"});
//   Decision d = authority->Authorize({.task_token = task->task_token, .proof = ...}, call);
//   authority->WaitDurable(d.audit_ticket);  // before acknowledging the decision
//
// Pipeline of Authorize: authenticate (task token, proof of possession, cached) -> find the task
// -> revocation -> deadline and idle timeout -> chain (which step, order, budgets) -> Cedar
// (step guards and mandate policies; an erroring guard or forbid denies) -> decision -> task
// progress updated under the task's lock -> audit record appended -> step credential minted.
// A deviation (no step of the chain admits the call) denies and, per the mandate's
// `on_deviation`, revokes the task and every task it delegated.
//
// Thread-safety: every method is safe from many threads at once. Decisions on different tasks
// run in parallel; the calls of one task are serialised.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/audit/audit.h"
#include "src/credential/credential.h"
#include "src/identity/identity.h"
#include "src/mandate/mandate.h"
#include "src/store/store.h"
#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::authority {

// What the service was built from; all outlive the Authority.
struct Deps {
  const Clock* clock = nullptr;
  store::Store* store = nullptr;
  audit::AuditLog* audit = nullptr;
  std::shared_ptr<credential::KeyRing> keys;
  // Trust sources for agents starting a task.
  const identity::TrustBundles* bundles = nullptr;  // SPIFFE JWT-SVIDs
  struct OidcIssuer {
    std::string issuer;
    std::shared_ptr<identity::KeySource> keys;
  };
  std::vector<OidcIssuer> oidc_issuers;
  // Every mandate the service may run (name + version).
  std::vector<std::shared_ptr<const Mandate>> mandates;
  // Cedar policies every delegation handoff is also decided by (docs/delegation.md); may be
  // empty: handoffs are then decided by attenuation and the mandates' planning rules alone.
  std::string delegation_policies;
  // Users on whose behalf tasks may run (docs/delegation.md, "On behalf of a user"): their
  // Cedar entities (JSON) and the policies that say what each may do. Empty: no task may be
  // started on behalf of a user.
  std::string user_entities;
  std::string user_policies;
};

struct Options {
  std::string issuer = "mandate";  // `iss` of our tokens, and the audience agents present
  std::string bootstrap_audience = "mandate";  // `aud` JWT-SVIDs / OIDC tokens must carry
  int64_t default_deadline_seconds = 3600;     // when a mandate sets none
  // Connections whose (task token, key) pair was verified with a proof; later calls on the
  // same connection may omit the proof (the "bound connection" fast path). 0 disables it. When
  // this many are bound, new connections are not bound (their calls still verify); a binding
  // ends with ForgetConnection.
  size_t bound_connections = 1 << 16;
  std::string audit_chain = "main";    // the audit chain this authority appends to
  int64_t approval_ttl_seconds = 900;  // a pending approval expires, an approved one too
};

// How a caller proves itself for one request, as the adapter saw it.
struct Proof {
  std::string_view dpop;    // the DPoP header (may be empty on a bound connection)
  std::string_view method;  // HTTP method and absolute URL the proof must cover
  std::string_view url;
  uint64_t connection_id = 0;  // 0 = no connection binding
};

struct StartTaskRequest {
  std::string_view bootstrap_token;  // JWT-SVID or OIDC token of the agent
  Proof proof;                       // its `jwk` becomes the task's key (cnf.jkt)
  std::string mandate;
  std::string version;  // empty = highest
  boost::json::object inputs;
  std::string delegated_task = {};  // set: claim this child task created by a delegation
  // The OIDC token of the user the task acts for: verified, never stored or handed on.
  std::string_view on_behalf_of = {};
  // Without a bootstrap token: the chain (DER, leaf first) the agent presented on its mTLS
  // connection, verified as an X.509-SVID against the trust bundles.
  std::span<const std::string> client_certificates = {};
};

struct StartedTask {
  std::string task_id;
  std::string task_token;
  int64_t expires_at = 0;  // seconds
  std::string mandate;
  std::string version;
};

struct ToolCall {
  std::string_view system;
  std::string_view action;
  std::string_view resource;
  const boost::json::object* args = nullptr;  // may be null = {}
  // Mint a step credential on allow (one signature, the cost that dominates a decision). An
  // enforcement point that asks per call does not need one; an agent calling a gateway does.
  bool mint_credential = true;
  // The approval a human gave for exactly this call (docs/delegation.md); may be empty: an
  // approved, unused approval for the same call is then found by the call's digest.
  std::string_view approval_id = {};
};

enum class Outcome : uint8_t { kAllow, kDeny, kPending, kError };
std::string_view OutcomeName(Outcome outcome);  // "allow", "deny", "pending", "error"

struct Reason {
  std::string
      check;         // authentication, revocation, deadline, chain, budget, guard, policy, approval
  std::string code;  // stable, e.g. `chain.out_of_order`
  std::string message;
  std::string rule;  // the mandate step or Cedar policy id that decided, when one did
};

struct Decision {
  Outcome outcome = Outcome::kError;
  std::string task_id;
  std::string step;
  std::string credential;  // step credential on allow
  int64_t credential_expires_at = 0;
  std::string approval_id;
  bool approval_created = false;  // this call opened `approval_id` (notify the approvers)
  bool task_revoked = false;      // this call's deviation revoked the task
  bool shadow = false;            // shadow mode: the real outcome was deny, allowed anyway
  std::vector<Reason> reasons;
  uint64_t audit_ticket = 0;  // WaitDurable before acknowledging
};

struct TaskView {
  std::string task_id;
  std::string parent_task;
  std::string state;
  std::string agent;
  std::string principal;  // the user the task acts for; empty when none
  std::string owner;
  std::string mandate;
  std::string version;
  int64_t created_at = 0;
  int64_t deadline = 0;
  uint32_t calls = 0;
  std::vector<std::pair<std::string, uint32_t>> steps_done;
  std::vector<std::string> labels_read;
};

// A handoff (docs/delegation.md): the parent task gives `agent` a child task holding at most
// the listed steps, each optionally narrowed.
struct DelegatedStep {
  std::string id;
  std::vector<std::string> actions;    // empty = the child mandate's actions for the step
  std::vector<std::string> resources;  // empty = the step's resources with the child's inputs
  std::optional<uint32_t> max_calls;   // empty = the child mandate's step budget
};

struct DelegateRequest {
  std::string parent_task;  // already authenticated by the adapter (the parent's agent)
  std::string agent;        // the delegatee: a SPIFFE ID or `<issuer>#<subject>`
  std::string mandate;      // empty = the planner's first executor mandate, else the parent's
  std::string version;
  std::optional<boost::json::object> inputs;  // empty = the parent's inputs of the same name
  std::vector<DelegatedStep> steps;
  std::optional<std::vector<std::string>> labels;  // empty = what the handed steps touch
  std::optional<uint32_t> max_calls;               // empty = the child mandate's limit
  std::optional<int64_t> deadline;                 // unix seconds; empty = the earliest allowed
  bool may_delegate = false;                       // whether the child may hand on further
};

struct Delegation {
  std::string task_id;  // the child: its agent starts it with `delegated_task` (StartTask)
  std::string parent_task;
  std::string agent;
  std::string mandate;
  std::string version;
  int64_t deadline = 0;  // seconds
  boost::json::value grant;
  uint64_t audit_ticket = 0;
};

// One approval as the approval API shows it (approvals.cc).
struct ApprovalView {
  std::string id;
  std::string task_id;
  std::string state;        // pending, approved, denied, expired
  std::string call_digest;  // SHA-256 of the exact call (system, action, resource, arguments)
  std::string decided_by;
  int64_t created_at = 0;  // seconds
  int64_t expires_at = 0;
  std::string agent, mandate, owner, step, system, action, resource;
  std::string rule;   // `step.<id>` (approval: required) or the `@escalate` policy
  bool used = false;  // an approved call went through with it
};

struct RevokeRequest {
  store::RevocationScope scope = store::RevocationScope::kTask;
  std::string value;
  std::string reason;
  std::string actor;  // who: `operator`, an owner, `authority`
};

struct RevokeResult {
  int64_t revocation_id = 0;
  std::vector<std::string> tasks;  // every task this revoked (descendants included)
  // The revocation's audit record, appended after the ended tasks' records (0: not appended).
  uint64_t audit_ticket = 0;
};

// One revocation as enforcement points receive it.
struct Explanation;  // explain.h

struct RevocationNotice {
  int64_t id = 0;
  std::string scope;
  std::string value;
  std::string reason;
  std::vector<std::string> tasks;
  int64_t at = 0;  // microseconds
};

class Authority {
 public:
  // Loads live tasks and revocations from the store, compiles every mandate.
  [[nodiscard]] static Result<std::unique_ptr<Authority>> Open(Deps deps, Options options = {});
  ~Authority();

  [[nodiscard]] Result<StartedTask> StartTask(const StartTaskRequest& request);
  // Starts `count` (1..kMaxTasksPerStart) tasks for one agent under one mandate with the same
  // inputs: the agent's credential and proof are verified once, the tasks stored in one
  // transaction and their `task.started` records committed together. Each gets its own id and
  // task token. The fast path for an orchestrator fanning out work (and for loading a benchmark
  // with a million live tasks). Nothing is stored when verification fails.
  static constexpr size_t kMaxTasksPerStart = 100'000;
  [[nodiscard]] Result<std::vector<StartedTask>> StartTasks(const StartTaskRequest& request,
                                                            size_t count);
  // Authenticates the caller with its task token + proof, then decides. Never throws.
  Decision Authorize(std::string_view task_token, const Proof& proof, const ToolCall& call);
  // Blocks until the decision's audit record is durable; an error means it is not (deny).
  Status WaitDurable(uint64_t audit_ticket);
  // Drops what connection `connection_id` proved (adapters call it when the connection closes).
  void ForgetConnection(uint64_t connection_id);

  // The caller proves it holds the task (token + proof) or is the operator (`operator_call`).
  [[nodiscard]] Result<TaskView> CompleteTask(std::string_view task_id, std::string_view reason);
  [[nodiscard]] Result<TaskView> FailTask(std::string_view task_id, std::string_view reason);
  [[nodiscard]] Result<TaskView> GetTask(std::string_view task_id);
  // Task id of a verified task token (adapters use it to authorise task-scoped endpoints).
  [[nodiscard]] Result<std::string> AuthenticateTask(std::string_view task_token,
                                                     const Proof& proof);
  // Task id of a task token checked without a proof: for an enforcement point asking what a task
  // may do (nothing is decided or granted with it).
  [[nodiscard]] Result<std::string> TaskOfToken(std::string_view task_token);
  // The actions of `system` that the task's mandate could ever allow (MCP tools/list).
  [[nodiscard]] Result<std::vector<std::string>> AllowedActions(std::string_view task_id,
                                                                std::string_view system);

  // Why `call` would be decided as it would for live task `task_id`, changing nothing
  // (explain.h; explain.cc). The caller (the operator) is not the agent: authentication is
  // reported as skipped.
  [[nodiscard]] Result<Explanation> Explain(std::string_view task_id, const ToolCall& call);

  // A step credential checked for an enforcement point (introspect.cc): signature, expiry,
  // `audience`, and that its task is still active and unrevoked.
  [[nodiscard]] Result<std::shared_ptr<const credential::CredentialClaims>> VerifyStepCredential(
      std::string_view token, std::string_view audience);
  // Creates a child task of `request.parent_task` for another agent (delegation.cc): a Cedar
  // decision over delegator, delegatee and what is handed over, then attenuation against what
  // the parent holds now. Audited either way.
  [[nodiscard]] Result<Delegation> Delegate(const DelegateRequest& request);

  // A person's (or agent's) OIDC token or JWT-SVID, verified against the configured trust
  // sources with the bootstrap audience: approvers and users on whose behalf tasks run.
  [[nodiscard]] Result<identity::WorkloadIdentity> VerifyUser(std::string_view token);

  // Approvals (approvals.cc). Who may decide is the adapter's check; `by` is recorded.
  std::vector<ApprovalView> ListApprovals(std::string_view state);  // all when empty
  [[nodiscard]] Result<ApprovalView> GetApproval(std::string_view id);
  [[nodiscard]] Result<ApprovalView> DecideApproval(std::string_view id, bool approve,
                                                    std::string_view by, std::string_view note);

  [[nodiscard]] Result<RevokeResult> Revoke(const RevokeRequest& request);
  // Revocations after `after_id` (for resumable streams).
  [[nodiscard]] Result<std::vector<RevocationNotice>> RevocationsSince(int64_t after_id);
  // Calls `listener` for every revocation from now on (on the revoking thread; keep it short).
  // Returns a handle; destroying the Authority drops all listeners.
  uint64_t Subscribe(std::function<void(const RevocationNotice&)> listener);
  void Unsubscribe(uint64_t handle);

  // Writes the progress of tasks that changed since the last checkpoint (the server calls it
  // every 200 ms; the audit trail covers what happened in between).
  Status Checkpoint();

  // Expires tasks whose deadline or idle timeout passed. The server calls it from a timer;
  // tests call it after moving a FakeClock.
  void ExpireDue();
  // Applies the revocations other replicas on the same store made since the last call (to the
  // scope index, the tasks held here, and this replica's listeners). The server calls it from
  // its timer (every 50 ms); on a store one process owns (SQLite) it returns at once.
  Status FollowRevocations();

  std::string JwksJson() const;
  size_t LiveTasks() const;

  struct Impl;

 private:
  explicit Authority(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mandate::authority

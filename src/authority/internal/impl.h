// Authority::Impl: the state behind the facade, shared by the files that implement it
// (authority.cc: open and lifecycle; decide.cc: Authorize; revoke.cc: revocation and expiry;
// persist.cc: checkpoints and recovery).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "src/authority/authority.h"
#include "src/authority/internal/approval_book.h"
#include "src/authority/internal/deadline_queue.h"
#include "src/authority/internal/live_task.h"
#include "src/authority/internal/revocation_index.h"
#include "src/authority/internal/task_table.h"
#include "src/mandate/cedar_gen.h"
#include "src/mandate/chain.h"
#include "src/util/adaptive_mutex.h"

namespace mandate::authority {

// One mandate version ready to decide with. Immutable after Open.
struct CompiledMandate {
  CompiledMandate(std::shared_ptr<const Mandate> m, std::shared_ptr<const MandateCedar> c,
                  std::shared_ptr<const cedar::Authorizer> a)
      : mandate(m),
        chain(std::move(m)),
        cedar(std::move(c)),
        authorizer(std::move(a)),
        memo_id(next_memo_id.fetch_add(1) + 1) {}

  std::shared_ptr<const Mandate> mandate;
  Chain chain;
  std::shared_ptr<const MandateCedar> cedar;
  std::shared_ptr<const cedar::Authorizer> authorizer;  // over cedar->policies
  cedar::Entities entities;                             // none: decisions read the context
  // Built once so a decision copies shared values instead of strings (see decide.cc).
  std::vector<cedar::Value> step_ids;          // per step: its id as a Cedar string
  std::vector<cedar::Value> step_values;       // per step: the `context.step` record
  std::vector<cedar::Value> label_names;       // per label of chain.labels()
  std::vector<std::string> guard_ids;          // per step: the policy id of its guard, `step.<id>`
  std::vector<cedar::EntityUid> step_actions;  // per step: `Action::"<id>"`
  std::vector<cedar::EntityUid> step_systems;  // per step: `System::"<its system>"`
  std::vector<int> steps_by_id;                // step indices in the order of their ids
  std::vector<int> labels_by_name;             // label indices in the order of their names
  uint64_t memo_id;                            // process-unique: keys its values in a ValueMemo
  static inline std::atomic<uint64_t> next_memo_id{0};
};

// Compiles `m`'s Cedar, its authorizer and chain, and the values decisions reuse.
Result<CompiledMandate> CompileMandate(const std::shared_ptr<const Mandate>& m);

struct Authority::Impl {
  Deps deps;
  Options options;
  const Clock& clock;
  std::vector<CompiledMandate> mandates;
  std::unique_ptr<credential::CredentialIssuer> issuer;
  std::unique_ptr<credential::CredentialVerifier> verifier;
  std::unique_ptr<credential::DpopVerifier> dpop;
  TaskTable<LiveTask> tasks;
  DeadlineQueue deadlines;
  RevocationIndex revocations;
  StringInterner interned;  // agents and key thumbprints, shared by their tasks
  ApprovalBook approvals;

  // Bound connections: connection id -> the task token a proof was verified for, its claims as
  // the verifier returned them (re-admitted when the connection presents the same bytes) and
  // the task table's key of its task. Shared pointers: a call holds them while the connection
  // may be forgotten or rebound.
  struct BoundConnection {
    std::shared_ptr<const std::string> task_token;
    std::shared_ptr<const credential::CredentialClaims> claims;
    uint64_t task = 0;
    // Where the task lived when the connection was bound: only ever prefetched (TaskTable::
    // PrefetchPlace), so each call does not take the task's shard lock twice.
    const LiveTask* task_place = nullptr;
  };
  AdaptiveMutex bound_mu;
  std::unordered_map<uint64_t, BoundConnection> bound;  // GUARDED_BY(bound_mu)

  std::mutex listeners_mu;
  std::map<uint64_t, std::function<void(const RevocationNotice&)>>
      listeners;               // GUARDED_BY(listeners_mu)
  uint64_t next_listener = 1;  // GUARDED_BY(listeners_mu)

  // Revocations are serialised so ids, store order and notices agree.
  std::mutex revoke_mu;
  // The last revocation id applied from the store (this replica's own and, through
  // FollowRevocations, the others'), and this replica's own ids not yet passed by it.
  int64_t followed_revocation = 0;    // GUARDED_BY(revoke_mu)
  std::set<int64_t> own_revocations;  // GUARDED_BY(revoke_mu)

  Impl(Deps d, Options o) : deps(std::move(d)), options(std::move(o)), clock(*deps.clock) {}

  // ---- helpers shared by the files of the authority
  const CompiledMandate* FindMandate(std::string_view name, std::string_view version) const;
  // What a proof-less call on a bound connection holds (empty otherwise), with the loads of its
  // token bytes, claims and task started: the caller does other work while they arrive.
  BoundConnection Held(const Proof& proof);
  // An authenticated caller: its task token's claims and the task table's key of its task.
  struct Caller {
    std::shared_ptr<const credential::CredentialClaims> claims;
    uint64_t task = 0;
  };
  // Verifies a task token and the caller's proof of possession, or re-admits what `held` (from
  // Held(proof)) holds for exactly these token bytes.
  Result<Caller> Authenticate(std::string_view task_token, const Proof& proof,
                              const BoundConnection& held);
  // Terminal transition of one task and its descendants (already decided to happen).
  // Returns the ids of every task that became terminal. REQUIRES: revoke_mu held.
  std::vector<std::string> EndTaskTree(uint64_t root, store::TaskState state, int64_t now_us);
  Result<RevokeResult> RevokeLocked(const RevokeRequest& request, store::TaskState state);
  // The tasks a revocation ends here, before their descendants: the task itself (by id; it may
  // be unknown here) or the active tasks an agent, mandate, owner or `all` scope reaches,
  // started up to `created_up_to`; none for a credential.
  std::vector<uint64_t> RootsOf(store::RevocationScope scope, const std::string& value,
                                int64_t created_up_to);
  // Tells the listeners (enforcement points' streams, webhooks) of `event`, naming the tasks
  // ended here and every task the store says it reached.
  void NotifyWithReach(const store::RevocationEvent& event, std::vector<std::string> ended);
  // RevokeLocked under revoke_mu, answered once its audit record is durable: for callers that
  // acknowledge it (by hand, completion, failure). REQUIRES: revoke_mu not held.
  Result<RevokeResult> RevokeAnswered(const RevokeRequest& request, store::TaskState state);
  void Notify(const RevocationNotice& notice);
  TaskView View(uint64_t id, const LiveTask& task) const;
  // The delegatee starting the child task a delegation created (delegation.cc).
  // `credential`: what the delegatee proved its identity with, for the `task.claimed` record.
  Result<StartedTask> ClaimDelegatedTask(const std::string& agent, const std::string& jkt,
                                         std::string_view task_id,
                                         const boost::json::object& credential);
  std::shared_ptr<const cedar::Authorizer> delegation_policies;  // null: none configured
  // Approvals (approvals.cc). GateApproval: for a call the chain and Cedar allowed but a human
  // must approve (`approval: required` or an `@escalate` forbid), an allow when an approval for
  // exactly this call is used now, else pending / deny. A new approval lands in `created`.
  // REQUIRES: the task's lock held.
  Decision GateApproval(const LiveTask& task, const CompiledMandate& cm, const std::string& task_id,
                        const Step& step, const ToolCall& call, const std::string& escalation,
                        int64_t now_us, std::optional<store::ApprovalRecord>* created);
  // Whether a deny came from a `forbid` annotated `@escalate`.
  bool IsEscalation(const CompiledMandate& cm, const Decision& deny) const;
  // On behalf of a user (on_behalf.cc): the user policies and entities, and the check that
  // the user may do what the mandate just allowed (the intersection).
  std::shared_ptr<const cedar::Authorizer> user_policies;  // null: none configured
  cedar::Entities user_entities;
  Status LoadUserPolicies();
  Result<std::string> VerifyPrincipal(std::string_view user_token);
  // REQUIRES: the task's lock held; `allowed` is the mandate's allow.
  Decision CheckUserEntitled(const LiveTask& task, const Step& step, const ToolCall& call,
                             Decision allowed, int64_t now_us) const;
  // `root` and every task delegated below it, from the store (a replayed revocation names the
  // whole tree, as the live notice did).
  std::vector<std::string> TaskTree(const std::string& root);
  // The tasks a stored revocation reached, for its replay to an enforcement point (the live
  // notice listed them as they ended; the store keeps only the scope): a task's tree; for an
  // agent, a mandate or an owner, the trees of their tasks started up to it (oldest first, at
  // most kMaxReplayedTasks). A credential or `all` lists none: enforcement points deny those by
  // the credential itself (its jti; for `all`, being issued up to it).
  Result<std::vector<std::string>> ReachOf(const store::RevocationEvent& event);
  static constexpr size_t kMaxReplayedTasks = 100000;
  // Builds `delegation_policies` from deps.delegation_policies (a default permit + forbids).
  Status LoadDelegationPolicies();
  uint64_t AuditDelegation(const DelegateRequest& request, const std::string& delegator,
                           const Mandate& mandate, const Delegation* granted,
                           const Status& refused);
  store::TaskRecord ToRecord(uint64_t id, const LiveTask& task) const;
  // Marks the task's progress as changed since the last checkpoint and lists it for the next
  // one. REQUIRES: inside tasks.WithTask(id, ...).
  void MarkChanged(uint64_t id, LiveTask& task) {
    if (task.dirty) return;
    task.dirty = true;
    tasks.ListChanged(id);
  }
  // `credential`: how the agent proved who it is (task.started), kept in the record's detail.
  uint64_t AuditLifecycle(std::string_view event, uint64_t task_id, const LiveTask& task,
                          std::string_view reason, const boost::json::object* credential = nullptr);
};

// The progress part of a task's view: calls, steps done with their counts, labels read.
void ViewProgress(const CompiledMandate& cm, const TaskProgress& progress, TaskView* view);

}  // namespace mandate::authority

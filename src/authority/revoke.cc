// Revocation (by hand, by scope, on completion, failure, deviation) and expiry.
#include <algorithm>

#include "src/authority/internal/audit_records.h"
#include "src/authority/internal/impl.h"

namespace mandate::authority {

std::vector<std::string> Authority::Impl::EndTaskTree(uint64_t root, store::TaskState state,
                                                      int64_t now_us) {
  std::vector<std::string> ended;
  std::vector<store::TaskRecord> records;
  std::vector<uint64_t> pending{root};
  while (!pending.empty()) {
    const uint64_t id = pending.back();
    pending.pop_back();
    tasks.WithTask(id, [&](LiveTask* task) {
      if (task == nullptr || task->state != store::TaskState::kActive) return;
      // Descendants of an ended task are revoked; the task itself takes the requested state.
      task->state = id == root ? state : store::TaskState::kRevoked;
      task->last_call_us = now_us;
      pending.insert(pending.end(), task->children.begin(), task->children.end());
      ended.push_back(FormatTaskId(id));
      records.push_back(ToRecord(id, *task));
      AuditLifecycle(std::string("task.") + std::string(store::TaskStateName(task->state)), id,
                     *task, "");
    });
  }
  if (!records.empty() && deps.store->PutTasks(records).ok()) {
    // Persisted: the ended tasks may leave memory (GetTask reads them from the store).
    for (const auto& r : records) {
      uint64_t id = 0;
      if (ParseTaskId(r.id, &id)) tasks.Erase(id);
    }
  }
  return ended;
}

Result<RevokeResult> Authority::Impl::RevokeLocked(const RevokeRequest& request,
                                                   store::TaskState state) {
  const int64_t now = clock.NowMicros();
  switch (request.scope) {
    case store::RevocationScope::kTask: {
      uint64_t id = 0;
      if (!ParseTaskId(request.value, &id)) {
        return Err(NotFound("task.unknown", "no task `" + request.value + "`"));
      }
      break;
    }
    case store::RevocationScope::kCredential:
      if (request.value.empty()) {
        return Err(InvalidArgument("revocation.value", "a credential revocation needs its jti"));
      }
      break;
    case store::RevocationScope::kAgent:
    case store::RevocationScope::kMandate:
    case store::RevocationScope::kOwner:
      if (request.value.empty()) {
        return Err(InvalidArgument("revocation.value",
                                   "revoking by " +
                                       std::string(store::RevocationScopeName(request.scope)) +
                                       " needs a value"));
      }
      break;
    case store::RevocationScope::kAll:
      break;
  }
  const std::vector<uint64_t> roots = RootsOf(request.scope, request.value, now);
  store::RevocationEvent event{.id = 0,
                               .scope = request.scope,
                               .value = request.value,
                               .reason = request.reason,
                               .actor = request.actor.empty() ? "operator" : request.actor,
                               .time_micros = now};
  // The scope takes effect in memory first (fail closed), then is made durable.
  revocations.Apply(event);
  RevokeResult result;
  for (uint64_t root : roots) {
    auto ended = EndTaskTree(root, state, now);
    result.tasks.insert(result.tasks.end(), ended.begin(), ended.end());
  }
  auto id = deps.store->AppendRevocation(event);
  if (!id) return Err(id.error().WithContext("revocation not persisted"));
  event.id = *id;
  // FollowRevocations skips it: passed at once when nothing came between (one process on its
  // store: always), else remembered until it gets there.
  if (*id == followed_revocation + 1) {
    followed_revocation = *id;
  } else {
    own_revocations.insert(*id);
  }
  revocations.Apply(event);
  result.revocation_id = *id;
  result.audit_ticket = AuditRevocation(*this, event, result.tasks);
  NotifyWithReach(event, result.tasks);
  return result;
}

std::vector<uint64_t> Authority::Impl::RootsOf(store::RevocationScope scope,
                                               const std::string& value, int64_t created_up_to) {
  std::vector<uint64_t> roots;
  if (scope == store::RevocationScope::kCredential) return roots;  // ends no task
  if (scope == store::RevocationScope::kTask) {
    uint64_t id = 0;
    if (ParseTaskId(value, &id)) roots.push_back(id);
    return roots;
  }
  tasks.ForEach([&](uint64_t id, LiveTask& task) {
    if (task.state != store::TaskState::kActive || task.created_us > created_up_to) return;
    const Mandate& m = *mandates[task.mandate].mandate;
    const bool match = scope == store::RevocationScope::kAll ||
                       (scope == store::RevocationScope::kAgent && task.agent == value) ||
                       (scope == store::RevocationScope::kMandate && m.name == value) ||
                       (scope == store::RevocationScope::kOwner && m.owner == value);
    if (match) roots.push_back(id);
  });
  return roots;
}

void Authority::Impl::NotifyWithReach(const store::RevocationEvent& event,
                                      std::vector<std::string> ended) {
  // What this replica ended, and on a shared store what the store says the scope reached (tasks
  // other replicas hold), so an enforcement point on any replica learns every task. A store one
  // process owns holds no task this process did not just end: no query on the decision path.
  auto reach =
      deps.store->SharedByProcesses() ? ReachOf(event) : Result<std::vector<std::string>>();
  if (reach && !reach->empty()) {
    ended.insert(ended.end(), std::make_move_iterator(reach->begin()),
                 std::make_move_iterator(reach->end()));
    std::sort(ended.begin(), ended.end());
    ended.erase(std::unique(ended.begin(), ended.end()), ended.end());
  }
  Notify({.id = event.id,
          .scope = std::string(store::RevocationScopeName(event.scope)),
          .value = event.value,
          .reason = event.reason,
          .tasks = std::move(ended),
          .at = event.time_micros});
}

Status Authority::FollowRevocations() {
  Impl& impl = *impl_;
  if (!impl.deps.store->SharedByProcesses()) return Status();  // every revocation is ours
  std::lock_guard lock(impl.revoke_mu);
  auto events = impl.deps.store->ListRevocationsSince(impl.followed_revocation, 1000);
  if (!events) return events.error().WithContext("following revocations");
  const int64_t now = impl.clock.NowMicros();
  for (const store::RevocationEvent& e : *events) {
    impl.followed_revocation = e.id;
    if (impl.own_revocations.erase(e.id) != 0) continue;
    // Another replica's: in force here too, for the tasks this replica holds.
    impl.revocations.Apply(e);
    std::vector<std::string> ended;
    for (uint64_t root : impl.RootsOf(e.scope, e.value, e.time_micros)) {
      auto tree = impl.EndTaskTree(root, store::TaskState::kRevoked, now);
      ended.insert(ended.end(), tree.begin(), tree.end());
    }
    impl.NotifyWithReach(e, std::move(ended));
  }
  return Status();
}

Result<RevokeResult> Authority::Impl::RevokeAnswered(const RevokeRequest& request,
                                                     store::TaskState state) {
  Result<RevokeResult> result;
  {
    std::lock_guard lock(revoke_mu);
    result = RevokeLocked(request, state);
  }
  if (!result) return result;
  // Answered only once the trail holds it (its record is the last of the revocation's). It is
  // in effect and stored either way, so a failure says that rather than "not done".
  if (Status s = deps.audit->WaitDurable(result->audit_ticket); !s.ok()) {
    return Err(
        StatusCode::kUnavailable, "audit.unavailable",
        "revocation " + std::to_string(result->revocation_id) +
            " is in effect and stored, but the audit trail does not hold it: " + s.message());
  }
  return result;
}

Result<RevokeResult> Authority::Revoke(const RevokeRequest& request) {
  return impl_->RevokeAnswered(request, store::TaskState::kRevoked);
}

void Authority::Impl::Notify(const RevocationNotice& notice) {
  std::lock_guard lock(listeners_mu);
  for (auto& [handle, listener] : listeners) listener(notice);
}

uint64_t Authority::Subscribe(std::function<void(const RevocationNotice&)> listener) {
  std::lock_guard lock(impl_->listeners_mu);
  const uint64_t handle = impl_->next_listener++;
  impl_->listeners.emplace(handle, std::move(listener));
  return handle;
}

void Authority::Unsubscribe(uint64_t handle) {
  std::lock_guard lock(impl_->listeners_mu);
  impl_->listeners.erase(handle);
}

Result<std::vector<std::string>> Authority::Impl::ReachOf(const store::RevocationEvent& e) {
  store::TaskQuery query;
  query.limit = kMaxReplayedTasks;
  switch (e.scope) {
    case store::RevocationScope::kTask:
      return TaskTree(e.value);
    case store::RevocationScope::kAgent:
      query.agent = e.value;
      break;
    case store::RevocationScope::kMandate:
      query.mandate = e.value;
      break;
    case store::RevocationScope::kOwner:
      query.owner = e.value;
      break;
    default:
      return std::vector<std::string>{};
  }
  auto roots = deps.store->ListTasks(query);
  if (!roots)
    return Err(roots.error().WithContext("the tasks of revocation " + std::to_string(e.id)));
  std::vector<std::string> reach;
  for (const store::TaskRecord& root : *roots) {
    if (root.created_micros > e.time_micros) break;  // oldest first: started after it
    // Ended before it (their own revocation or completion was sent then): not its reach.
    if (root.state != store::TaskState::kActive && root.updated_micros < e.time_micros) continue;
    for (std::string& t : TaskTree(root.id)) reach.push_back(std::move(t));
    if (reach.size() >= kMaxReplayedTasks) break;
  }
  return reach;
}

Result<std::vector<RevocationNotice>> Authority::RevocationsSince(int64_t after_id) {
  std::vector<RevocationNotice> notices;
  while (true) {
    auto events = impl_->deps.store->ListRevocationsSince(after_id, 1000);
    if (!events) return Err(events.error());
    for (const auto& e : *events) {
      auto reach = impl_->ReachOf(e);
      if (!reach) return Err(reach.error());
      notices.push_back({.id = e.id,
                         .scope = std::string(store::RevocationScopeName(e.scope)),
                         .value = e.value,
                         .reason = e.reason,
                         .tasks = std::move(*reach),
                         .at = e.time_micros});
      after_id = e.id;
    }
    if (events->size() < 1000) return notices;
  }
}

void Authority::ExpireDue() {
  Impl& impl = *impl_;
  const int64_t now = impl.clock.NowMicros();
  for (uint64_t id : impl.deadlines.PopDue(now)) {
    // Entries are hints: re-check the task, and push it back if a call extended its idle time.
    std::optional<std::string> reason;
    impl.tasks.WithTask(id, [&](LiveTask* task) {
      if (task == nullptr || task->state != store::TaskState::kActive) return;
      const Mandate& m = *impl.mandates[task->mandate].mandate;
      if (now >= task->deadline_us) {
        reason = "deadline.passed";
        return;
      }
      if (m.limits.idle_timeout_seconds) {
        const int64_t idle_at = task->last_call_us + *m.limits.idle_timeout_seconds * 1'000'000;
        if (now >= idle_at) {
          reason = "deadline.idle";
          return;
        }
        impl.deadlines.Push(id, std::min(idle_at, task->deadline_us));
      }
    });
    if (!reason) continue;
    std::lock_guard lock(impl.revoke_mu);
    (void)impl.RevokeLocked({.scope = store::RevocationScope::kTask,
                             .value = FormatTaskId(id),
                             .reason = *reason,
                             .actor = "authority"},
                            store::TaskState::kExpired);
  }
}

}  // namespace mandate::authority

// Authority::VerifyStepCredential: what an enforcement point or upstream asks before honouring a
// step credential (POST /v1/introspect). A valid signature is not enough: the credential dies
// with its task, so a revoked, completed, failed or expired task's credentials are rejected
// even before they expire. Introspection admits the credential: a single-use one (every one the
// authority mints) is spent by it.
#include "src/authority/internal/impl.h"

namespace mandate::authority {

Result<std::shared_ptr<const credential::CredentialClaims>> Authority::VerifyStepCredential(
    std::string_view token, std::string_view audience) {
  Impl& impl = *impl_;
  // Spent (single use) only once the task is known live: a dead task's credential says so.
  auto claims = impl.verifier->VerifyStepCredential(token, audience, credential::SingleUse::kDefer);
  if (!claims) return claims;
  const std::string& task_id = (*claims)->task_id;
  uint64_t key = 0;
  if (!ParseTaskId(task_id, &key)) {
    return Err(Unauthenticated("credential.claim_invalid", "the credential names no task"));
  }
  std::optional<std::pair<std::string, uint32_t>> live;  // agent, mandate
  int64_t created_us = 0;
  impl.tasks.WithTask(key, [&](LiveTask* task) {
    if (task == nullptr || task->state != store::TaskState::kActive) return;
    live.emplace(task->agent, task->mandate);
    created_us = task->created_us;
  });
  if (!live) {
    return Err(PermissionDenied("revocation.task", "task `" + task_id + "` is not active"));
  }
  const Mandate& m = *impl.mandates[live->second].mandate;
  if (auto hit = impl.revocations.CoversTask(live->first, m.name, m.owner, created_us)) {
    return Err(PermissionDenied("revocation.scope",
                                "revoked by revocation " + std::to_string(hit->event_id)));
  }
  MANDATE_RETURN_IF_ERROR(impl.verifier->ConsumeSingleUse(**claims));
  return claims;
}

}  // namespace mandate::authority

// ApprovalBook: the approvals the authority is waiting on or holding, in memory (written
// through to the store). An approval is bound to one task and the digest of one exact call
// (system, action, resource, arguments): it can only ever let that call through, once, before
// it expires.
//
// Thread-safety: every method is safe from any thread (one mutex; approvals are rare).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/store/store.h"

namespace mandate::authority {

struct ApprovalEntry {
  store::ApprovalRecord record;
  std::string agent, mandate, owner, step, system, action, resource;
  std::string rule;  // the step (`step.<id>`) or the `@escalate` policy that asked for it
  std::string note;  // the approver's reason
  bool used = false;
};

class ApprovalBook {
 public:
  enum class Gate : uint8_t {
    kApproved,  // an approval for exactly this call: consumed now, the call may proceed
    kWaiting,   // an approval for this call is pending (id set)
    kCreated,   // a new pending approval was created (id and entry set)
    kExpired,   // the approval for this call expired before it was used
    kDenied,    // a human refused this call
    kMismatch,  // the presented approval is for another task or another call, or used up
  };
  struct GateResult {
    Gate gate = Gate::kCreated;
    std::string id;
    std::optional<ApprovalEntry> created;
  };
  // The approval step for one call needing a human. `presented` is the approval id the agent
  // sent (may be empty); `fresh` is the entry to create when none applies (its record's id,
  // task_id, call_digest, created and expiry set).
  GateResult Gate(const ApprovalEntry& fresh, std::string_view presented, int64_t now_us);

  // Approves or refuses a pending approval. FailedPrecondition `approval.decided` when it is
  // not pending, `approval.expired` when it expired; NotFound `approval.unknown`.
  Result<ApprovalEntry> Decide(std::string_view id, bool approve, std::string_view by,
                               std::string_view note, int64_t now_us);
  std::optional<ApprovalEntry> Get(std::string_view id, int64_t now_us);
  // Every approval in `state` (all when empty), oldest first.
  std::vector<ApprovalEntry> List(std::string_view state, int64_t now_us);

 private:
  void ExpireLocked(ApprovalEntry& e, int64_t now_us);
  std::mutex mu_;
  std::unordered_map<std::string, ApprovalEntry> entries_;  // GUARDED_BY(mu_)
};

// "a_" + 24 random hex digits.
std::string NewApprovalId();

}  // namespace mandate::authority

// What the authority writes to the audit trail: one record per decision, lifecycle change and
// revocation, carrying who (agent, principal), what (task, step, system, action, resource,
// digest of the arguments), the outcome with its reasons and rules, and, for allowed calls, the
// task's progress after the call (so a restart rebuilds every acknowledged decision).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "src/authority/internal/impl.h"
#include "src/json/writer.h"

namespace mandate::authority {

// Views into the caller's values; they outlive AppendDecision.
struct AuditCallRecord {
  std::string_view task_id;
  std::string_view agent;
  std::string_view principal;  // the user the task acts for; empty: the mandate's owner answers
  ToolCall call;
  std::string_view args_digest;
  const Mandate* mandate = nullptr;
  const Step* step = nullptr;
  const TaskProgress* progress = nullptr;  // after the call, for allowed calls
};

// A call's arguments (none: `{}`) in their canonical JSON (json::AppendCanonical), hashed once
// for both places that carry the digest: `hex` as the audit record's `args_digest`
// (audit::ArgumentsDigest) and, when `with_claim`, the same SHA-256 in base64url as a step
// credential's `args` claim (credential::ArgumentsClaim).
struct CallDigests {
  std::string hex;
  std::string claim;  // empty unless `with_claim`
};
CallDigests DigestArguments(const boost::json::object* args, bool with_claim);

// Appends the decision; returns its durability ticket. An append that fails turns the
// decision into an error (the caller checks WaitDurable before acknowledging).
uint64_t AppendDecision(Authority::Impl& impl, const AuditCallRecord& call, const Decision& d);
// Appends the revocation's record; returns its ticket (0 when the append failed).
uint64_t AuditRevocation(Authority::Impl& impl, const store::RevocationEvent& event,
                         const std::vector<std::string>& tasks);

// Progress <-> JSON, for audit records and task checkpoints.
void WriteProgressJson(json::JsonWriter& out, const TaskProgress& progress, size_t steps);
boost::json::object ProgressToJson(const TaskProgress& progress, size_t steps);
bool ProgressFromJson(const boost::json::value& json, TaskProgress* progress);
// Re-applies allowed decisions newer than each live task's checkpoint (restart recovery).
Status ReplayDecisions(Authority::Impl& impl);

}  // namespace mandate::authority

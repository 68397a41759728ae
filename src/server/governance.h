// The governance file (`mandate serve --governance FILE`, docs/delegation.md): what the owner of
// the service configures around mandates: Cedar policies every delegation is decided by, who
// approves escalations, how long approvals wait, where notifications go, and who the known
// owners are.
//
// Thread-safety: a loaded Governance is immutable.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace mandate::server {

struct Webhook {
  std::string url;                  // http://host:port/path (plain http on loopback only)
  std::vector<std::string> events;  // `approval.pending`, `approval.decided`, `revocation`
  int max_attempts = 5;             // delivery attempts before the event is dropped (logged)
  int64_t backoff_ms = 200;         // first retry delay; doubles, capped at 30 s
};

struct Governance {
  std::string delegation_policies;  // Cedar text (forbids; a default permit is added)
  // Approver groups: group name -> members (OIDC `email` or `<issuer>#<subject>`).
  std::map<std::string, std::vector<std::string>> approver_groups;
  // Mandate name -> the approver group that decides its escalations (besides its owner).
  std::map<std::string, std::string> mandate_approvers;
  int64_t approval_ttl_seconds = 900;
  std::vector<Webhook> webhooks;
  std::vector<std::string> owners;  // known owners; `mandate owners report` flags the rest
  // Users tasks may act for: Cedar entities (JSON text) and policies over User::"<email>".
  std::string user_entities;
  std::string user_policies;
};

// Loads a governance YAML file. Unknown keys, wrong types and bad values are errors with the
// reason `governance.invalid` naming the key.
[[nodiscard]] Result<Governance> LoadGovernanceFile(const std::string& path);
[[nodiscard]] Result<Governance> ParseGovernance(std::string_view yaml_text);

}  // namespace mandate::server

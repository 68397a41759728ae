// Enforcement-point tokens scoped to audiences: `mandate ep-token scope` derives, from the full
// enforcement-point token (DATA/ep.token), a token that names the systems one enforcement point
// serves. The authority accepts it wherever it accepts the full token and remembers its
// audiences: such an enforcement point may fetch only its own audiences' sealing keys
// (`GET /v1/ep/keys`, sealing.h).
//
//   mep1.<base64url JSON {"name":..., "aud":[...]}>.<base64url HMAC-SHA256>
//
// The MAC covers `mep1.<payload>` under HKDF-SHA256(salt kScopedEpTokenLabel, ikm the full
// token): stateless, so rotating ep.token invalidates every scoped token derived from it.
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/util/status.h"

namespace mandate::credential {

inline constexpr std::string_view kScopedEpTokenLabel = "mandate scoped enforcement-point token v1";
inline constexpr std::string_view kScopedEpTokenPrefix = "mep1.";

struct EnforcementPointScope {
  std::string name;                    // free text for logs and audit, may be empty
  std::vector<std::string> audiences;  // 1 to 64 distinct non-empty names
};

// Errors: `ep.scope_invalid` (no audience, duplicates, oversized names), `ep.token_invalid`
// (an empty full token).
[[nodiscard]] Result<std::string> MintScopedEpToken(std::string_view ep_token,
                                                    const EnforcementPointScope& scope);

// True when `token` has the scoped form's prefix (not verified).
inline bool LooksLikeScopedEpToken(std::string_view token) {
  return token.substr(0, kScopedEpTokenPrefix.size()) == kScopedEpTokenPrefix;
}

// Checks the MAC in constant time first, then the payload strictly (object with exactly
// `name` and `aud`, limits as above). Every failure is `ep.token_invalid` (unauthenticated).
[[nodiscard]] Result<EnforcementPointScope> VerifyScopedEpToken(std::string_view token,
                                                                std::string_view ep_token);

}  // namespace mandate::credential

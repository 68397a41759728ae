// JSON form of task tokens and step credentials. Internal to src/credential.
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "src/credential/credential.h"

namespace mandate::credential::internal {

// Appends the compact JSON claims object of `claims` to `out`.
void AppendClaimsJson(const CredentialClaims& claims, std::string& out);

// Reads the claims of a verified payload. `credential.claim_invalid` names a missing or
// mistyped member; `jws.duplicate_member` and `jwt.payload_invalid` come from strict parsing.
Result<CredentialClaims> ParseCredentialClaims(std::string_view payload, CredentialKind kind);

}  // namespace mandate::credential::internal

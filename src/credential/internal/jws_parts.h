// Pieces of compact JWS processing shared by the verifiers. Internal to src/credential.
// Thread-safety: stateless functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "src/credential/jose.h"

namespace mandate::credential::internal {

struct CompactParts {
  std::string_view header;     // base64url
  std::string_view payload;    // base64url
  std::string_view signature;  // base64url
  std::string_view signing_input;
};

// Size limit and the three-part shape (`jws.too_large`, `jws.malformed`).
Result<CompactParts> SplitCompact(std::string_view token);

struct DecodedHeader {
  boost::json::object header;
  Algorithm alg = Algorithm::kEdDSA;
  std::optional<std::string> kid;
  std::string typ;
};

// Decodes and checks a protected header (alg, crit, b64, kid and typ types). `HS256` only
// when `allow_sealed` (the step-credential verifier, which keys it by audience itself).
Result<DecodedHeader> DecodeProtectedHeader(std::string_view header_b64,
                                            std::span<const std::string_view> understood_crit,
                                            bool allow_sealed = false);

// Media-type comparison of `typ` (case-insensitive, optional `application/` prefix).
bool TypIs(std::string_view typ, std::string_view want);

}  // namespace mandate::credential::internal

// SHA-256 for the per-call paths: the audit chain and argument digests, DPoP `ath`, a step
// credential's `args` claim, JWK thumbprints.
#pragma once

#include <array>
#include <initializer_list>
#include <string_view>

namespace mandate {

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of `parts` concatenated (no allocation, no copy of the parts).
Sha256Digest Sha256(std::initializer_list<std::string_view> parts);
inline Sha256Digest Sha256(std::string_view data) { return Sha256({data}); }

}  // namespace mandate

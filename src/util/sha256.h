// SHA-256 and HMAC-SHA256 for the per-call paths: the audit chain and argument digests, DPoP
// `ath`, a step credential's `args` claim, JWK thumbprints, sealed credentials.
#pragma once

#include <array>
#include <initializer_list>
#include <string_view>

namespace mandate {

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of `parts` concatenated (no allocation, no copy of the parts).
Sha256Digest Sha256(std::initializer_list<std::string_view> parts);
inline Sha256Digest Sha256(std::string_view data) { return Sha256({data}); }

// A digest (or a 32-byte key) as the bytes the encoders and HMAC take.
inline std::string_view Bytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

// HMAC-SHA256 (RFC 2104) under `key` of `parts` concatenated: sealed step credentials, scoped
// enforcement-point tokens, HKDF. Key-derived state is wiped before returning.
Sha256Digest HmacSha256(std::string_view key, std::initializer_list<std::string_view> parts);

}  // namespace mandate

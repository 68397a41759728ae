// Sealed step credentials (docs/design/sealed-step-credentials.md): a step credential for a
// system whose enforcement points the operator named (`mandate serve --seal-step-credentials`)
// is a JWS `HS256` under a key only the authority and that system's enforcement points hold,
// like a Kerberos service ticket. Verifying it is one HMAC instead of one Ed25519 verification.
//
// A sealing key is derived, never stored: HKDF-SHA256 (RFC 5869) over the PRIVATE material of
// one issuer signing key, salt kSealingKeyLabel, info = the audience. It carries that signing
// key's `kid`, so it rotates, overlaps and retires with it.
// Thread-safety: SealingKey and SealingKeySet are immutable once built and safe to share.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/credential/jose.h"
#include "src/util/status.h"

namespace mandate::credential {

// Versioned domain separation: a new derivation gets a new label, never a changed meaning.
inline constexpr std::string_view kSealingKeyLabel = "mandate sealed step credential v1";

struct SealingKey {
  SealingKey() = default;
  SealingKey(const SealingKey&) = default;
  SealingKey& operator=(const SealingKey&) = default;
  ~SealingKey();  // wipes `secret`

  std::string kid;       // the issuer signing key it is derived from
  std::string audience;  // the one system whose enforcement points hold it
  std::array<unsigned char, 32> secret{};
  int64_t retire_at = 0;  // the signing key's retirement time (seconds); 0: none set
};

// The sealing keys an issuer or an enforcement point holds, by (kid, audience).
class SealingKeySet {
 public:
  void Add(SealingKey key) { keys_.push_back(std::move(key)); }
  // The key of signing key `kid` for `audience`, or null.
  const SealingKey* Find(std::string_view kid, std::string_view audience) const;
  bool empty() const { return keys_.empty(); }
  const std::vector<SealingKey>& keys() const { return keys_; }
  // {"keys":[{"kty":"oct","alg":"HS256","kid","aud","k"[,"retire_at"]}]} (symmetric JWKs,
  // RFC 7517 section 6.4, plus `aud` and `retire_at`), only the keys of `audiences`. SECRET.
  std::string ToJson(std::span<const std::string> audiences) const;
  // Parses ToJson's form strictly: `k` must decode to 32 bytes, `kty`/`alg` must be oct/HS256,
  // at most 4096 keys (`sealing.keys_invalid`).
  [[nodiscard]] static Result<SealingKeySet> FromJson(std::string_view text);

 private:
  std::vector<SealingKey> keys_;
};

using SealingKeySource = std::function<std::shared_ptr<const SealingKeySet>()>;

// HKDF-SHA256 of `signing`'s private scalar/seed for `audience` (OKP and EC keys only).
[[nodiscard]] Result<SealingKey> DeriveSealingKey(const SigningKey& signing,
                                                  std::string_view audience, int64_t retire_at = 0);

// Appends base64url(HMAC-SHA256(key, signing_input)): the JWS HS256 signature.
void AppendSeal(const SealingKey& key, std::string_view signing_input, std::string& out);
// Checks a decoded HS256 signature in constant time (`jws.signature_invalid`).
[[nodiscard]] Status VerifySeal(const SealingKey& key, std::string_view signing_input,
                                std::string_view signature);

namespace internal {
// HKDF-SHA256 (RFC 5869) with one 32-byte output block: Extract(salt, ikm), Expand(info).
std::array<unsigned char, 32> HkdfSha256(std::string_view salt, std::string_view ikm,
                                         std::string_view info);
}  // namespace internal

}  // namespace mandate::credential

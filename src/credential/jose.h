// JOSE for Mandate: JWK keys, JWS compact signing and verification, JWT claim checks.
//
// Algorithms: EdDSA (Ed25519, libsodium), ES256 and ES384 (OpenSSL), RS256 and PS256 (OpenSSL).
// Verification is strict and every rejection carries its own stable reason, e.g.
// `jws.alg_none`, `jws.alg_key_mismatch`, `jws.crit_unknown`, `jws.duplicate_member`,
// `jws.base64_noncanonical`, `jws.too_large`, `jws.kid_missing`, `jws.kid_unknown`,
// `jws.signature_invalid`, `jwt.expired`, `jwt.not_yet_valid`, `jwt.iat_future`,
// `jwt.aud_mismatch`, `jwt.iss_mismatch` (docs/identity.md lists them all).
// Thread-safety: PublicKey, SigningKey and KeySet are immutable after construction and safe to
// share between threads; every function here is safe to call concurrently.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::credential {

// kHS256 exists only for sealed step credentials (sealing.h): ParseAlgorithm refuses it, no
// PublicKey or SigningKey accepts it, and only the step-credential verifier reads it.
enum class Algorithm : uint8_t { kEdDSA, kES256, kES384, kRS256, kPS256, kHS256 };

std::string_view AlgorithmName(Algorithm alg);
// Parses a JWS `alg` value. Rejects `none` (`jws.alg_none`), HMAC (`jws.alg_key_mismatch`: every
// key here is public) and anything else unsupported (`jws.alg_unsupported`).
[[nodiscard]] Result<Algorithm> ParseAlgorithm(std::string_view name);

// Base64url without padding (RFC 7515 section 2). Decoding rejects padding, characters outside
// the alphabet and non-zero trailing bits (`jws.base64_noncanonical`).
std::string Base64UrlEncode(std::string_view bytes);
void AppendBase64Url(std::string_view bytes, std::string& out);
[[nodiscard]] Result<std::string> Base64UrlDecode(std::string_view text);
// The same into `out` (replaced), whose storage a caller can keep from call to call.
[[nodiscard]] Status Base64UrlDecodeInto(std::string_view text, std::string& out);

namespace internal {
struct KeyMaterial;
}

// A public verification key from a JWK (RFC 7517; OKP per RFC 8037).
class PublicKey {
 public:
  // Accepts kty OKP (crv Ed25519), EC (P-256, P-384) and RSA (>= 2048 bits). Rejects private
  // members only when `allow_private` is false (`jwk.private_member`).
  [[nodiscard]] static Result<PublicKey> FromJwk(const boost::json::object& jwk,
                                                 bool allow_private = true);
  [[nodiscard]] static Result<PublicKey> FromJwkText(std::string_view text);

  // True when `alg` fits this key's type and, if the JWK named an `alg`, equals it.
  bool Accepts(Algorithm alg) const;
  const std::string& kid() const;
  // RFC 7638 JWK SHA-256 thumbprint, base64url.
  const std::string& thumbprint() const;
  // The public JWK (kty, crv/x/y or n/e, kid and alg when known).
  boost::json::object ToJwk() const;
  // Checks `signature` (JWS form: r||s for ECDSA) over `signing_input`.
  // Errors: `jws.alg_key_mismatch`, `jws.signature_invalid`.
  Status Verify(Algorithm alg, std::string_view signing_input, std::string_view signature) const;

 private:
  friend class SigningKey;
  explicit PublicKey(std::shared_ptr<const internal::KeyMaterial> key) : key_(std::move(key)) {}
  std::shared_ptr<const internal::KeyMaterial> key_;
};

// A private signing key. EdDSA and ES256 are what Mandate issues with; ES384, RS256 and PS256
// exist so tests and peers can produce every accepted algorithm.
class SigningKey {
 public:
  [[nodiscard]] static Result<SigningKey> Generate(Algorithm alg, std::string kid);
  // Private JWK (OKP or EC with `d`); `alg` defaults from the curve.
  [[nodiscard]] static Result<SigningKey> FromJwk(const boost::json::object& jwk);
  [[nodiscard]] static Result<SigningKey> FromJwkText(std::string_view text);

  Algorithm algorithm() const { return alg_; }
  const std::string& kid() const;
  const PublicKey& public_key() const { return public_key_; }
  // The JWS signature bytes (not base64) over `signing_input`.
  [[nodiscard]] Result<std::string> Sign(std::string_view signing_input) const;
  // Appends the base64url signature to `out`; the fast path of minting.
  Status AppendSignature(std::string_view signing_input, std::string& out) const;
  // Private JWK for persistence (OKP and EC only; RSA keys are test-only and not exported).
  [[nodiscard]] Result<boost::json::object> ToPrivateJwk() const;

 private:
  SigningKey(Algorithm alg, PublicKey pub, std::shared_ptr<const internal::KeyMaterial> priv)
      : alg_(alg), public_key_(std::move(pub)), private_(std::move(priv)) {}
  Algorithm alg_;
  PublicKey public_key_;
  std::shared_ptr<const internal::KeyMaterial> private_;
};

// A JWK Set (RFC 7517 section 5): the keys one issuer may sign with.
class KeySet {
 public:
  KeySet() = default;
  // Keys with `use` other than `sig` and unknown `kty` are skipped (RFC 7517 section 5);
  // a malformed key of a known type is an error (`jwk.invalid`).
  [[nodiscard]] static Result<KeySet> FromJwks(std::string_view text);
  [[nodiscard]] static Result<KeySet> FromJwksObject(const boost::json::object& jwks);
  void Add(PublicKey key) { keys_.push_back(std::move(key)); }
  // The key for a token header: by `kid` when present (`jws.kid_unknown` if absent from the set);
  // without `kid` only when the set holds exactly one key (`jws.kid_missing`). The key must
  // accept `alg` (`jws.alg_key_mismatch`).
  [[nodiscard]] Result<const PublicKey*> Select(std::optional<std::string_view> kid,
                                                Algorithm alg) const;
  bool Contains(std::string_view kid) const;
  size_t size() const { return keys_.size(); }
  const std::vector<PublicKey>& keys() const { return keys_; }
  // {"keys":[...]} as served at /.well-known/jwks.json.
  std::string ToJwksJson() const;

 private:
  std::vector<PublicKey> keys_;
};

inline constexpr size_t kMaxTokenBytes = 16 * 1024;

// A compact JWS split and decoded, signature not yet checked.
struct DecodedJws {
  std::string_view signing_input;  // points into the token
  boost::json::object header;
  Algorithm alg = Algorithm::kEdDSA;
  std::optional<std::string> kid;
  std::string payload;
  std::string signature;
};

// Splits and decodes a compact JWS. Errors: `jws.too_large` (over 16 KiB), `jws.malformed`,
// `jws.base64_noncanonical`, `jws.duplicate_member`, `jws.header_invalid`, `jws.alg_none`,
// `jws.alg_key_mismatch`, `jws.alg_unsupported`, `jws.crit_unknown` (a `crit` name not in
// `understood_crit`). REQUIRES: `token` outlives the result (signing_input views it).
[[nodiscard]] Result<DecodedJws> DecodeJws(std::string_view token,
                                           std::span<const std::string_view> understood_crit = {});

// Produces `base64url(header).base64url(payload).signature`; `header_json` must carry the alg.
[[nodiscard]] Result<std::string> SignCompact(const SigningKey& key, std::string_view header_json,
                                              std::string_view payload);

// What a JWT must satisfy besides its signature.
struct ClaimRules {
  std::vector<std::string> issuers;  // empty: any `iss`
  std::string audience;              // empty: `aud` not checked
  std::string typ;                   // empty: header `typ` not checked (case-insensitive)
  int64_t skew_seconds = 30;
  bool require_exp = true;
  bool require_sub = false;
};

// Checks exp/nbf/iat (with skew), iss, aud and sub presence on parsed claims. Errors:
// `jwt.expired`, `jwt.exp_missing`, `jwt.not_yet_valid`, `jwt.iat_future`, `jwt.iss_mismatch`,
// `jwt.aud_missing`, `jwt.aud_mismatch`, `jwt.sub_missing`, `jwt.claim_invalid`.
Status CheckClaims(const boost::json::object& claims, const ClaimRules& rules, int64_t now_seconds);

// Parses a JWS payload as a JSON object of claims (`jws.duplicate_member`, `jwt.payload_invalid`).
[[nodiscard]] Result<boost::json::object> ParseClaims(std::string_view payload);

// Full JWT verification against a key set: decode, select key, signature, claims.
[[nodiscard]] Result<boost::json::object> VerifyJwt(std::string_view token, const KeySet& keys,
                                                    const ClaimRules& rules, const Clock& clock);

}  // namespace mandate::credential

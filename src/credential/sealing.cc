// Sealing keys: derivation, HS256 sealing and its constant-time check, and the key document
// enforcement points fetch (sealing.h).
#include "src/credential/sealing.h"

#include <sodium.h>

#include <boost/json.hpp>

#include "src/credential/internal/key_material.h"
#include "src/json/json.h"
#include "src/util/sha256.h"

namespace mandate::credential {
namespace internal {

std::array<unsigned char, 32> HkdfSha256(std::string_view salt, std::string_view ikm,
                                         std::string_view info) {
  Sha256Digest prk = HmacSha256(salt, {ikm});
  // T(1) = HMAC(PRK, info || 0x01)
  const Sha256Digest okm = HmacSha256(Bytes(prk), {info, "\x01"});
  sodium_memzero(prk.data(), prk.size());
  return okm;
}

}  // namespace internal

namespace {

Status KeysInvalid(std::string message) {
  return InvalidArgument("sealing.keys_invalid", "sealing keys: " + std::move(message));
}

constexpr size_t kMaxSealingKeys = 4096;

}  // namespace

SealingKey::~SealingKey() { sodium_memzero(secret.data(), secret.size()); }

const SealingKey* SealingKeySet::Find(std::string_view kid, std::string_view audience) const {
  for (const auto& key : keys_) {
    if (key.kid == kid && key.audience == audience) return &key;
  }
  return nullptr;
}

std::string SealingKeySet::ToJson(std::span<const std::string> audiences) const {
  boost::json::array out;
  for (const auto& key : keys_) {
    bool wanted = false;
    for (const auto& a : audiences) wanted = wanted || a == key.audience;
    if (!wanted) continue;
    boost::json::object jwk{
        {"kty", "oct"},
        {"alg", "HS256"},
        {"kid", key.kid},
        {"aud", key.audience},
        {"k", Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(key.secret.data()),
                                               key.secret.size()))}};
    if (key.retire_at != 0) jwk["retire_at"] = key.retire_at;
    out.push_back(std::move(jwk));
  }
  return boost::json::serialize(boost::json::object{{"keys", std::move(out)}});
}

Result<SealingKeySet> SealingKeySet::FromJson(std::string_view text) {
  auto value = json::Parse(text, {.max_bytes = 1 << 20, .max_depth = 4});
  if (!value) return Err(KeysInvalid(value.error().message()));
  const auto* keys = value->is_object() ? value->as_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) return Err(KeysInvalid("member `keys` missing"));
  if (keys->as_array().size() > kMaxSealingKeys) {
    return Err(KeysInvalid("more than " + std::to_string(kMaxSealingKeys) + " keys"));
  }
  SealingKeySet set;
  size_t index = 0;
  for (const auto& entry : keys->as_array()) {
    const std::string where = "key " + std::to_string(index++) + ": ";
    if (!entry.is_object()) return Err(KeysInvalid(where + "not an object"));
    const auto& jwk = entry.as_object();
    auto text_member = [&](std::string_view name) -> std::string_view {
      const auto* v = jwk.if_contains(name);
      return v != nullptr && v->is_string() ? std::string_view(v->as_string()) : "";
    };
    if (text_member("kty") != "oct" || text_member("alg") != "HS256") {
      return Err(KeysInvalid(where + "`kty` must be `oct` and `alg` `HS256`"));
    }
    SealingKey key;
    key.kid = text_member("kid");
    key.audience = text_member("aud");
    if (key.kid.empty() || key.audience.empty()) {
      return Err(KeysInvalid(where + "`kid` and `aud` must be non-empty strings"));
    }
    auto secret = internal::DecodeSecretBase64Url(text_member("k"));
    if (!secret || secret->size() != key.secret.size()) {
      if (secret) sodium_memzero(secret->data(), secret->size());
      return Err(KeysInvalid(where + "`k` must be 32 bytes, base64url"));
    }
    std::copy(secret->begin(), secret->end(), key.secret.begin());
    sodium_memzero(secret->data(), secret->size());
    if (const auto* retire = jwk.if_contains("retire_at")) {
      if (!retire->is_int64()) return Err(KeysInvalid(where + "`retire_at` must be an integer"));
      key.retire_at = retire->as_int64();
    }
    set.Add(std::move(key));
  }
  return set;
}

Result<SealingKey> DeriveSealingKey(const SigningKey& signing, std::string_view audience,
                                    int64_t retire_at) {
  if (audience.empty()) {
    return Err(InvalidArgument("sealing.audience_invalid", "sealing: the audience is empty"));
  }
  auto jwk = signing.ToPrivateJwk();
  if (!jwk) return Err(jwk.error());
  const auto* d = jwk->if_contains("d");
  if (d == nullptr || !d->is_string()) {
    return Err(Internal("sealing.key_invalid", "sealing: signing key has no private part"));
  }
  auto private_bytes = internal::DecodeSecretBase64Url(d->as_string());
  if (!private_bytes) return Err(private_bytes.error());
  SealingKey key;
  key.kid = signing.kid();
  key.audience = std::string(audience);
  key.secret = internal::HkdfSha256(kSealingKeyLabel, *private_bytes, audience);
  key.retire_at = retire_at;
  sodium_memzero(private_bytes->data(), private_bytes->size());
  return key;
}

void AppendSeal(const SealingKey& key, std::string_view signing_input, std::string& out) {
  const Sha256Digest mac = HmacSha256(Bytes(key.secret), {signing_input});
  AppendBase64Url(Bytes(mac), out);
}

Status VerifySeal(const SealingKey& key, std::string_view signing_input,
                  std::string_view signature) {
  // OpenSSL's SHA-256 uses the CPU's SHA extensions, libsodium's HMAC its portable code (a
  // third of a sealed credential's verification at the gateway); compared in constant time.
  const Sha256Digest mac = HmacSha256(Bytes(key.secret), {signing_input});
  if (signature.size() != mac.size() ||
      crypto_verify_32(reinterpret_cast<const unsigned char*>(signature.data()), mac.data()) != 0) {
    return Unauthenticated("jws.signature_invalid", "jws: sealed credential does not verify");
  }
  return {};
}

}  // namespace mandate::credential

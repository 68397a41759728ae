// Scoped enforcement-point tokens (ep_token.h).
#include "src/credential/ep_token.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>

#include "src/credential/jose.h"
#include "src/credential/sealing.h"
#include "src/json/json.h"
#include "src/util/sha256.h"

namespace mandate::credential {
namespace {

constexpr size_t kMaxScopedTokenBytes = 8192;
constexpr size_t kMaxAudiences = 64;
constexpr size_t kMaxNameBytes = 256;

Status Invalid(std::string message) {
  return Unauthenticated("ep.token_invalid", "enforcement-point token: " + std::move(message));
}

Status CheckScope(const EnforcementPointScope& scope) {
  auto bad = [](std::string message) {
    return InvalidArgument("ep.scope_invalid", "enforcement-point scope: " + std::move(message));
  };
  if (scope.name.size() > kMaxNameBytes) return bad("`name` longer than 256 bytes");
  if (scope.audiences.empty() || scope.audiences.size() > kMaxAudiences) {
    return bad("between 1 and 64 audiences are required");
  }
  for (size_t i = 0; i < scope.audiences.size(); ++i) {
    const std::string& a = scope.audiences[i];
    if (a.empty() || a.size() > kMaxNameBytes) return bad("an audience of 1 to 256 bytes");
    if (std::find(scope.audiences.begin(), scope.audiences.begin() + long(i), a) !=
        scope.audiences.begin() + long(i)) {
      return bad("audience `" + a + "` named twice");
    }
  }
  return {};
}

// HMAC-SHA256 of `signed_part` under a key derived from the full ep.token.
Sha256Digest Mac(std::string_view ep_token, std::string_view signed_part) {
  std::array<unsigned char, 32> key = internal::HkdfSha256(kScopedEpTokenLabel, ep_token, "");
  const Sha256Digest mac = HmacSha256(Bytes(key), {signed_part});
  sodium_memzero(key.data(), key.size());
  return mac;
}

}  // namespace

Result<std::string> MintScopedEpToken(std::string_view ep_token,
                                      const EnforcementPointScope& scope) {
  if (ep_token.empty()) return Err(Invalid("the full token is empty"));
  MANDATE_RETURN_IF_ERROR(CheckScope(scope));
  boost::json::array aud;
  for (const auto& a : scope.audiences) aud.emplace_back(a);
  std::string token(kScopedEpTokenPrefix);
  AppendBase64Url(boost::json::serialize(boost::json::object{{"name", scope.name}, {"aud", aud}}),
                  token);
  const Sha256Digest mac = Mac(ep_token, token);
  token += '.';
  AppendBase64Url(Bytes(mac), token);
  return token;
}

Result<EnforcementPointScope> VerifyScopedEpToken(std::string_view token,
                                                  std::string_view ep_token) {
  if (ep_token.empty()) return Err(Invalid("the authority has no enforcement-point token"));
  if (token.size() > kMaxScopedTokenBytes) return Err(Invalid("longer than 8 KiB"));
  if (!LooksLikeScopedEpToken(token)) return Err(Invalid("not a `mep1.` token"));
  const size_t dot = token.rfind('.');
  if (dot < kScopedEpTokenPrefix.size()) return Err(Invalid("no MAC"));
  const std::string_view signed_part = token.substr(0, dot);
  auto mac = Base64UrlDecode(token.substr(dot + 1));
  if (!mac || mac->size() != sizeof(Sha256Digest)) return Err(Invalid("malformed MAC"));
  const Sha256Digest want = Mac(ep_token, signed_part);
  if (crypto_verify_32(reinterpret_cast<const unsigned char*>(mac->data()), want.data()) != 0) {
    return Err(Invalid("MAC does not verify (forged, or ep.token was rotated)"));
  }
  // Authentic from here: the authority wrote it. Parsed strictly all the same.
  auto payload = Base64UrlDecode(signed_part.substr(kScopedEpTokenPrefix.size()));
  if (!payload) return Err(Invalid("malformed payload"));
  auto value = json::Parse(*payload, {.max_bytes = kMaxScopedTokenBytes, .max_depth = 3});
  if (!value || !value->is_object() || value->as_object().size() != 2) {
    return Err(Invalid("payload must be an object of `name` and `aud`"));
  }
  const auto& o = value->as_object();
  const auto* name = o.if_contains("name");
  const auto* aud = o.if_contains("aud");
  if (name == nullptr || !name->is_string() || aud == nullptr || !aud->is_array()) {
    return Err(Invalid("`name` must be a string and `aud` an array"));
  }
  EnforcementPointScope scope;
  scope.name = std::string(name->as_string());
  for (const auto& a : aud->as_array()) {
    if (!a.is_string()) return Err(Invalid("`aud` entries must be strings"));
    scope.audiences.emplace_back(a.as_string());
  }
  if (Status s = CheckScope(scope); !s.ok()) return Err(Invalid(std::string(s.message())));
  return scope;
}

}  // namespace mandate::credential

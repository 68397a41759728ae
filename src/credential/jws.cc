// Compact JWS decoding and signing, JWT claim checks and JWK sets (jose.h).
#include <boost/json/serialize.hpp>
#include <cctype>

#include "src/credential/internal/jws_parts.h"
#include "src/credential/jose.h"
#include "src/json/json.h"

namespace mandate::credential {
namespace {

Status Malformed(std::string message) {
  return Unauthenticated("jws.malformed", "jws: " + std::move(message));
}

// Maps a strict-JSON failure to the JOSE reasons: duplicates get their own code.
Status JsonFailure(const Status& status, std::string_view part, std::string_view invalid_reason) {
  const bool duplicate = status.message().find("duplicate member") != std::string::npos;
  return Unauthenticated(duplicate ? "jws.duplicate_member" : std::string(invalid_reason),
                         "jws: " + std::string(part) + ": " + status.message());
}

constexpr json::Limits kHeaderLimits{.max_bytes = 4096, .max_depth = 8};
constexpr json::Limits kClaimsLimits{.max_bytes = kMaxTokenBytes, .max_depth = 16};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Result<int64_t> NumericDate(const boost::json::object& claims, std::string_view name,
                            bool* present) {
  const auto* value = claims.if_contains(name);
  *present = value != nullptr;
  if (value == nullptr) return int64_t{0};
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64() && value->as_uint64() < (uint64_t{1} << 62)) {
    return int64_t(value->as_uint64());
  }
  if (value->is_double() && value->as_double() > -1e15 && value->as_double() < 1e15) {
    return int64_t(value->as_double());
  }
  return Err(Unauthenticated("jwt.claim_invalid",
                             "jwt: `" + std::string(name) + "` must be a numeric date"));
}

}  // namespace

namespace internal {

Result<CompactParts> SplitCompact(std::string_view token) {
  if (token.size() > kMaxTokenBytes) {
    return Err(Unauthenticated("jws.too_large", "jws: token of " + std::to_string(token.size()) +
                                                    " bytes exceeds the limit of " +
                                                    std::to_string(kMaxTokenBytes)));
  }
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Err(Malformed("compact jws needs exactly three dot-separated parts"));
  }
  if (first == 0) return Err(Malformed("empty protected header"));
  return CompactParts{token.substr(0, first), token.substr(first + 1, second - first - 1),
                      token.substr(second + 1), token.substr(0, second)};
}

Result<DecodedHeader> DecodeProtectedHeader(std::string_view header_b64,
                                            std::span<const std::string_view> understood_crit,
                                            bool allow_sealed) {
  DecodedHeader out;
  auto header_bytes = Base64UrlDecode(header_b64);
  if (!header_bytes) return Err(header_bytes.error().WithContext("header"));
  auto header = json::Parse(*header_bytes, kHeaderLimits);
  if (!header) return Err(JsonFailure(header.error(), "header", "jws.header_invalid"));
  if (!header->is_object()) {
    return Err(Unauthenticated("jws.header_invalid", "jws: header: not a json object"));
  }
  out.header = std::move(header->as_object());
  const auto* alg = out.header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return Err(Unauthenticated("jws.header_invalid", "jws: header: `alg` missing or not a string"));
  }
  // Exactly `HS256`, case and all: any other spelling goes to ParseAlgorithm, which refuses it.
  const bool sealed = allow_sealed && alg->as_string() == "HS256";
  Result<Algorithm> parsed_alg = sealed ? Result<Algorithm>(Algorithm::kHS256)
                                        : ParseAlgorithm(std::string_view(alg->as_string()));
  if (!parsed_alg) return Err(parsed_alg.error());
  out.alg = *parsed_alg;
  if (const auto* crit = out.header.if_contains("crit")) {
    if (!crit->is_array() || crit->as_array().empty()) {
      return Err(
          Unauthenticated("jws.crit_unknown", "jws: header: `crit` must be a non-empty array"));
    }
    for (const auto& name : crit->as_array()) {
      if (!name.is_string()) {
        return Err(
            Unauthenticated("jws.crit_unknown", "jws: header: `crit` entries must be strings"));
      }
      const std::string_view n = name.as_string();
      bool understood = false;
      for (std::string_view u : understood_crit) understood = understood || u == n;
      if (!understood || !out.header.contains(n)) {
        return Err(Unauthenticated("jws.crit_unknown", "jws: header: critical extension `" +
                                                           std::string(n) + "` is not understood"));
      }
    }
  }
  if (const auto* b64 = out.header.if_contains("b64");
      b64 != nullptr && !(b64->is_bool() && b64->as_bool())) {
    return Err(
        Unauthenticated("jws.crit_unknown", "jws: header: unencoded payloads (`b64`) are refused"));
  }
  if (const auto* kid = out.header.if_contains("kid")) {
    if (!kid->is_string()) {
      return Err(Unauthenticated("jws.header_invalid", "jws: header: `kid` must be a string"));
    }
    out.kid = std::string(kid->as_string());
  }
  if (const auto* typ = out.header.if_contains("typ")) {
    if (!typ->is_string()) {
      return Err(Unauthenticated("jws.header_invalid", "jws: header: `typ` must be a string"));
    }
    out.typ = std::string(typ->as_string());
  }
  return out;
}

bool TypIs(std::string_view typ, std::string_view want) {
  if (typ.size() > 12 && EqualsIgnoreCase(typ.substr(0, 12), "application/")) typ.remove_prefix(12);
  return EqualsIgnoreCase(typ, want);
}

}  // namespace internal

Result<DecodedJws> DecodeJws(std::string_view token,
                             std::span<const std::string_view> understood_crit) {
  auto parts = internal::SplitCompact(token);
  if (!parts) return Err(parts.error());
  auto header = internal::DecodeProtectedHeader(parts->header, understood_crit);
  if (!header) return Err(header.error());
  DecodedJws out;
  out.signing_input = parts->signing_input;
  out.header = std::move(header->header);
  out.alg = header->alg;
  out.kid = std::move(header->kid);
  auto payload = Base64UrlDecode(parts->payload);
  if (!payload) return Err(payload.error().WithContext("payload"));
  out.payload = std::move(*payload);
  auto signature = Base64UrlDecode(parts->signature);
  if (!signature) return Err(signature.error().WithContext("signature"));
  out.signature = std::move(*signature);
  return out;
}

Result<std::string> SignCompact(const SigningKey& key, std::string_view header_json,
                                std::string_view payload) {
  std::string token = Base64UrlEncode(header_json);
  token += '.';
  token += Base64UrlEncode(payload);
  const size_t input_size = token.size();
  token += '.';
  Status s = key.AppendSignature(std::string_view(token.data(), input_size), token);
  if (!s.ok()) return Err(s);
  return token;
}

Result<boost::json::object> ParseClaims(std::string_view payload) {
  auto value = json::Parse(payload, kClaimsLimits);
  if (!value) return Err(JsonFailure(value.error(), "payload", "jwt.payload_invalid"));
  if (!value->is_object()) {
    return Err(Unauthenticated("jwt.payload_invalid", "jwt: payload is not a json object"));
  }
  return std::move(value->as_object());
}

Status CheckClaims(const boost::json::object& claims, const ClaimRules& rules, int64_t now) {
  bool has_exp = false, has_nbf = false, has_iat = false;
  auto exp = NumericDate(claims, "exp", &has_exp);
  if (!exp) return exp.error();
  auto nbf = NumericDate(claims, "nbf", &has_nbf);
  if (!nbf) return nbf.error();
  auto iat = NumericDate(claims, "iat", &has_iat);
  if (!iat) return iat.error();
  if (!has_exp && rules.require_exp) {
    return Unauthenticated("jwt.exp_missing", "jwt: `exp` is required");
  }
  if (has_exp && now >= *exp + rules.skew_seconds) {
    return Unauthenticated("jwt.expired", "jwt: expired at " + std::to_string(*exp) + ", now " +
                                              std::to_string(now) + " (skew " +
                                              std::to_string(rules.skew_seconds) + " s)");
  }
  if (has_nbf && now + rules.skew_seconds < *nbf) {
    return Unauthenticated("jwt.not_yet_valid", "jwt: not valid before " + std::to_string(*nbf) +
                                                    ", now " + std::to_string(now));
  }
  if (has_iat && now + rules.skew_seconds < *iat) {
    return Unauthenticated(
        "jwt.iat_future",
        "jwt: issued in the future at " + std::to_string(*iat) + ", now " + std::to_string(now));
  }
  if (!rules.issuers.empty()) {
    const auto* iss = claims.if_contains("iss");
    bool match = false;
    if (iss != nullptr && iss->is_string()) {
      for (const auto& want : rules.issuers) match = match || iss->as_string() == want;
    }
    if (!match) {
      return Unauthenticated(
          "jwt.iss_mismatch",
          "jwt: `iss` " +
              (iss && iss->is_string() ? "`" + std::string(iss->as_string()) + "`"
                                       : std::string("missing")) +
              " is not a trusted issuer");
    }
  }
  if (!rules.audience.empty()) {
    const auto* aud = claims.if_contains("aud");
    if (aud == nullptr) return Unauthenticated("jwt.aud_missing", "jwt: `aud` is required");
    bool match = false;
    if (aud->is_string()) {
      match = aud->as_string() == rules.audience;
    } else if (aud->is_array()) {
      for (const auto& a : aud->as_array()) {
        if (!a.is_string())
          return Unauthenticated("jwt.claim_invalid", "jwt: `aud` entries must be strings");
        match = match || a.as_string() == rules.audience;
      }
    } else {
      return Unauthenticated("jwt.claim_invalid", "jwt: `aud` must be a string or an array");
    }
    if (!match) {
      return Unauthenticated("jwt.aud_mismatch",
                             "jwt: `aud` does not contain `" + rules.audience + "`");
    }
  }
  if (rules.require_sub) {
    const auto* sub = claims.if_contains("sub");
    if (sub == nullptr || !sub->is_string() || sub->as_string().empty()) {
      return Unauthenticated("jwt.sub_missing", "jwt: `sub` is required");
    }
  }
  return {};
}

Result<boost::json::object> VerifyJwt(std::string_view token, const KeySet& keys,
                                      const ClaimRules& rules, const Clock& clock) {
  auto jws = DecodeJws(token);
  if (!jws) return Err(jws.error());
  if (!rules.typ.empty()) {
    const auto* typ = jws->header.if_contains("typ");
    std::string_view got = typ && typ->is_string() ? std::string_view(typ->as_string()) : "";
    if (!internal::TypIs(got, rules.typ)) {
      return Err(Unauthenticated("jwt.typ_mismatch", "jwt: header `typ` `" + std::string(got) +
                                                         "` is not `" + rules.typ + "`"));
    }
  }
  auto key = keys.Select(jws->kid, jws->alg);
  if (!key) return Err(key.error());
  MANDATE_RETURN_IF_ERROR((*key)->Verify(jws->alg, jws->signing_input, jws->signature));
  auto claims = ParseClaims(jws->payload);
  if (!claims) return Err(claims.error());
  MANDATE_RETURN_IF_ERROR(CheckClaims(*claims, rules, clock.NowSeconds()));
  return claims;
}

Result<KeySet> KeySet::FromJwks(std::string_view text) {
  auto value = json::Parse(text, {.max_bytes = 1 << 20, .max_depth = 8});
  if (!value) return Err(InvalidArgument("jwks.invalid", "jwks: " + value.error().message()));
  if (!value->is_object()) return Err(InvalidArgument("jwks.invalid", "jwks: not a json object"));
  return FromJwksObject(value->as_object());
}

Result<KeySet> KeySet::FromJwksObject(const boost::json::object& jwks) {
  const auto* keys = jwks.if_contains("keys");
  if (keys == nullptr || !keys->is_array()) {
    return Err(InvalidArgument("jwks.invalid", "jwks: member `keys` missing or not an array"));
  }
  KeySet set;
  size_t index = 0;
  for (const auto& entry : keys->as_array()) {
    const std::string where = "jwks: key " + std::to_string(index++);
    if (!entry.is_object()) return Err(InvalidArgument("jwks.invalid", where + ": not an object"));
    const auto& jwk = entry.as_object();
    if (const auto* use = jwk.if_contains("use");
        use && !(use->is_string() && use->as_string() == "sig")) {
      continue;  // encryption keys, or SPIFFE x509-svid roots handled by the bundle reader
    }
    auto key = PublicKey::FromJwk(jwk, /*allow_private=*/false);
    if (!key) {
      if (key.error().reason() == "jwk.kty_unsupported") continue;
      return Err(
          InvalidArgument(std::string(key.error().reason()), where + ": " + key.error().message()));
    }
    set.Add(std::move(*key));
  }
  return set;
}

Result<const PublicKey*> KeySet::Select(std::optional<std::string_view> kid, Algorithm alg) const {
  const PublicKey* found = nullptr;
  if (kid) {
    for (const auto& key : keys_) {
      if (key.kid() == *kid) {
        found = &key;
        if (key.Accepts(alg)) break;
      }
    }
    if (found == nullptr) {
      return Err(Unauthenticated("jws.kid_unknown",
                                 "jws: `kid` `" + std::string(*kid) + "` is not a trusted key"));
    }
  } else {
    if (keys_.size() != 1) {
      return Err(Unauthenticated("jws.kid_missing",
                                 keys_.empty() ? "jws: no trusted keys"
                                               : "jws: `kid` is required when the issuer has " +
                                                     std::to_string(keys_.size()) + " keys"));
    }
    found = &keys_.front();
  }
  if (!found->Accepts(alg)) {
    return Err(Unauthenticated(
        "jws.alg_key_mismatch",
        "jws: `alg` `" + std::string(AlgorithmName(alg)) + "` does not fit the selected key"));
  }
  return found;
}

bool KeySet::Contains(std::string_view kid) const {
  for (const auto& key : keys_) {
    if (key.kid() == kid) return true;
  }
  return false;
}

std::string KeySet::ToJwksJson() const {
  boost::json::array keys;
  for (const auto& key : keys_) keys.push_back(key.ToJwk());
  return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

}  // namespace mandate::credential

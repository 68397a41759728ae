// Key sources (static, JWKS file, OIDC discovery) and JWT-SVID / OIDC token verification
// (identity.h).
#include <arpa/inet.h>

#include <boost/json/serialize.hpp>
#include <cctype>

#include "src/credential/internal/jws_parts.h"
#include "src/identity/identity.h"
#include "src/json/json.h"
#include "src/util/file.h"

namespace mandate::identity {
namespace {

using credential::Algorithm;

class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(KeySet keys) : keys_(std::make_shared<const KeySet>(std::move(keys))) {}
  Result<std::shared_ptr<const KeySet>> Keys(std::optional<std::string_view>) override {
    return keys_;
  }

 private:
  std::shared_ptr<const KeySet> keys_;
};

std::string_view Host(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') return rest.substr(0, rest.find(']') + 1);
  return rest.substr(0, rest.find(':'));
}

class OidcDiscoverySource final : public KeySource {
 public:
  OidcDiscoverySource(std::string issuer, std::shared_ptr<HttpFetcher> fetcher, const Clock& clock,
                      OidcOptions options)
      : issuer_(std::move(issuer)),
        fetcher_(std::move(fetcher)),
        clock_(clock),
        options_(options) {}

  Result<std::shared_ptr<const KeySet>> Keys(std::optional<std::string_view> kid) override {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowSeconds();
    const bool stale = !keys_ || now >= fetched_at_ + options_.cache_ttl_seconds;
    const bool unknown_kid = keys_ && kid && !keys_->Contains(*kid);
    const bool may_refresh = !attempted_ || now >= last_attempt_ + options_.min_refresh_seconds;
    if ((stale || unknown_kid) && may_refresh) {
      attempted_ = true;
      last_attempt_ = now;
      auto fresh = Fetch();
      if (fresh) {
        keys_ = std::move(*fresh);
        fetched_at_ = now;
      } else {
        last_error_ = fresh.error();
      }
      // A failed refresh keeps the last good keys: rotation at the issuer must not cause
      // downtime here, and an outage of the issuer does not revoke valid tokens early.
    }
    if (!keys_) return Err(last_error_);
    return keys_;
  }

 private:
  Result<std::shared_ptr<const KeySet>> Fetch() {
    std::string base = issuer_;
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto config_text = fetcher_->Get(base + "/.well-known/openid-configuration");
    if (!config_text) {
      return Err(Status(StatusCode::kUnavailable, "oidc.discovery_failed",
                        "oidc: discovery for `" + issuer_ + "`: " + config_text.error().message()));
    }
    auto config = json::Parse(*config_text, {.max_bytes = 1 << 20, .max_depth = 16});
    if (!config || !config->is_object()) {
      return Err(Status(StatusCode::kUnavailable, "oidc.discovery_failed",
                        "oidc: discovery document of `" + issuer_ + "` is not a json object"));
    }
    const auto* iss = config->as_object().if_contains("issuer");
    if (iss == nullptr || !iss->is_string() || iss->as_string() != issuer_) {
      return Err(
          Unauthenticated("oidc.issuer_mismatch",
                          "oidc: discovery document names another issuer than `" + issuer_ + "`"));
    }
    const auto* jwks_uri = config->as_object().if_contains("jwks_uri");
    if (jwks_uri == nullptr || !jwks_uri->is_string()) {
      return Err(Status(StatusCode::kUnavailable, "oidc.discovery_failed",
                        "oidc: discovery document has no `jwks_uri`"));
    }
    auto jwks_text = fetcher_->Get(std::string_view(jwks_uri->as_string()));
    if (!jwks_text) {
      return Err(Status(StatusCode::kUnavailable, "oidc.jwks_failed",
                        "oidc: jwks of `" + issuer_ + "`: " + jwks_text.error().message()));
    }
    auto set = KeySet::FromJwks(*jwks_text);
    if (!set) return Err(set.error());
    return std::make_shared<const KeySet>(std::move(*set));
  }

  const std::string issuer_;
  std::shared_ptr<HttpFetcher> fetcher_;
  const Clock& clock_;
  const OidcOptions options_;
  std::mutex mu_;                       // one refresh at a time
  std::shared_ptr<const KeySet> keys_;  // GUARDED_BY(mu_)
  int64_t fetched_at_ = 0;              // GUARDED_BY(mu_)
  int64_t last_attempt_ = 0;            // GUARDED_BY(mu_)
  bool attempted_ = false;              // GUARDED_BY(mu_)
  Status last_error_;                   // GUARDED_BY(mu_)
};

}  // namespace

Status CheckFetchUrl(std::string_view url) {
  std::string lower(url.substr(0, 8));
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("https://", 0) == 0) return {};
  if (lower.rfind("http://", 0) == 0) {
    const std::string_view host = Host(url);
    in_addr v4{};
    const std::string h(host);
    if (host == "localhost" || host == "[::1]" ||
        (inet_pton(AF_INET, h.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127)) {
      return {};
    }
  }
  return Unauthenticated("oidc.insecure_url",
                         "oidc: `" + std::string(url.substr(0, 200)) +
                             "` must use https (plain http is allowed only to loopback)");
}

std::shared_ptr<KeySource> NewStaticKeySource(KeySet keys) {
  return std::make_shared<StaticKeySource>(std::move(keys));
}

Result<std::shared_ptr<KeySource>> NewJwksFileSource(const std::string& path) {
  auto text = ReadFileBytes(path);
  if (!text) return Err(InvalidArgument("jwks.unreadable", "jwks: " + text.error().message()));
  auto set = KeySet::FromJwks(*text);
  if (!set) return Err(set.error().WithContext("`" + path + "`"));
  return NewStaticKeySource(std::move(*set));
}

std::shared_ptr<KeySource> NewOidcDiscoverySource(std::string issuer,
                                                  std::shared_ptr<HttpFetcher> fetcher,
                                                  const Clock& clock, OidcOptions options) {
  return std::make_shared<OidcDiscoverySource>(std::move(issuer), std::move(fetcher), clock,
                                               options);
}

Result<WorkloadIdentity> VerifyJwtSvid(std::string_view token, const TrustBundles& bundles,
                                       const VerifyOptions& options, const Clock& clock) {
  if (options.audience.empty()) {
    return Err(InvalidArgument("jwt.aud_missing", "jwt-svid: an audience to check is required"));
  }
  auto jws = credential::DecodeJws(token);
  if (!jws) return Err(jws.error());
  // JWT-SVID spec section 3: RS, ES and PS algorithms only.
  if (jws->alg == Algorithm::kEdDSA) {
    return Err(Unauthenticated("svid.alg_not_allowed",
                               "jwt-svid: `alg` `EdDSA` is not allowed for JWT-SVIDs"));
  }
  if (const auto* typ = jws->header.if_contains("typ")) {
    if (!typ->is_string() || (typ->as_string() != "JWT" && typ->as_string() != "JOSE")) {
      return Err(Unauthenticated("jwt.typ_mismatch", "jwt-svid: header `typ` must be JWT or JOSE"));
    }
  }
  auto claims = credential::ParseClaims(jws->payload);
  if (!claims) return Err(claims.error());
  const auto* sub = claims->if_contains("sub");
  if (sub == nullptr || !sub->is_string()) {
    return Err(Unauthenticated("jwt.sub_invalid", "jwt-svid: `sub` is required"));
  }
  auto id = ParseSpiffeId(std::string_view(sub->as_string()));
  if (!id)
    return Err(Unauthenticated("jwt.sub_invalid", "jwt-svid: `sub`: " + id.error().message()));
  auto bundle = bundles.Find(id->trust_domain);
  if (!bundle || bundle->jwt_authorities.size() == 0) {
    return Err(
        Unauthenticated("svid.trust_domain_unknown",
                        "jwt-svid: no JWT bundle for trust domain `" + id->trust_domain + "`"));
  }
  auto key = bundle->jwt_authorities.Select(jws->kid, jws->alg);
  if (!key) return Err(key.error());
  MANDATE_RETURN_IF_ERROR((*key)->Verify(jws->alg, jws->signing_input, jws->signature));
  credential::ClaimRules rules;
  rules.audience = options.audience;
  rules.skew_seconds = options.skew_seconds;
  MANDATE_RETURN_IF_ERROR(credential::CheckClaims(*claims, rules, clock.NowSeconds()));
  WorkloadIdentity identity;
  identity.kind = WorkloadIdentity::Kind::kSpiffe;
  identity.id = id->ToString();
  identity.issuer = "spiffe://" + id->trust_domain;
  identity.subject = identity.id;
  identity.claims = std::move(*claims);
  return identity;
}

Result<WorkloadIdentity> VerifyOidcToken(std::string_view token, std::string_view issuer,
                                         KeySource& keys, const VerifyOptions& options,
                                         const Clock& clock) {
  auto jws = credential::DecodeJws(token);
  if (!jws) return Err(jws.error());
  auto set = keys.Keys(jws->kid);
  if (!set) return Err(set.error());
  auto key = (*set)->Select(jws->kid, jws->alg);
  if (!key) return Err(key.error());
  MANDATE_RETURN_IF_ERROR((*key)->Verify(jws->alg, jws->signing_input, jws->signature));
  auto claims = credential::ParseClaims(jws->payload);
  if (!claims) return Err(claims.error());
  credential::ClaimRules rules;
  rules.issuers = {std::string(issuer)};
  rules.audience = options.audience;
  rules.skew_seconds = options.skew_seconds;
  rules.require_sub = true;
  MANDATE_RETURN_IF_ERROR(credential::CheckClaims(*claims, rules, clock.NowSeconds()));
  WorkloadIdentity identity;
  identity.kind = WorkloadIdentity::Kind::kOidc;
  identity.issuer = std::string(issuer);
  identity.subject = std::string(claims->at("sub").as_string());
  identity.id = identity.issuer + "#" + identity.subject;
  identity.claims = std::move(*claims);
  return identity;
}

}  // namespace mandate::identity

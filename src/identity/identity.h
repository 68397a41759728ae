// Workload identity: who is calling, proven cryptographically.
//
//   SPIFFE IDs      ParseSpiffeId, exactly per the SPIFFE ID specification (section 2).
//   Trust sources   JWKS files, SPIFFE trust bundles (JWKS form with x509-svid/jwt-svid keys,
//                   or PEM roots), OIDC discovery with caching, refresh on an unknown `kid`
//                   (rate-limited) and rotation without downtime.
//   Verifiers       JWT-SVIDs (JWT-SVID spec: `aud` required and matched, `exp` required,
//                   `sub` a SPIFFE ID, RS/ES/PS algorithms), OIDC access and ID tokens, and
//                   X.509-SVID peer chains for mTLS (single URI SAN, chain to the bundle of
//                   that SPIFFE ID's trust domain).
// Error reasons are stable (`spiffe.*`, `svid.*`, `oidc.*`, plus the `jws.*`/`jwt.*` of
// src/credential/jose.h); HowToFix() gives the operator-facing remedy for each.
// Thread-safety: every class here is safe to use from many threads at once.
#pragma once

#include <openssl/x509.h>

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/credential/jose.h"
#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::identity {

using credential::KeySet;

struct SpiffeId {
  std::string trust_domain;  // lowercase, [a-z0-9.-_]
  std::string path;          // "" or "/seg/seg", segments [a-zA-Z0-9.-_]
  std::string ToString() const { return "spiffe://" + trust_domain + path; }
  friend bool operator==(const SpiffeId&, const SpiffeId&) = default;
};

// Errors (reason): `spiffe.empty`, `spiffe.too_long` (> 2048 bytes), `spiffe.scheme`,
// `spiffe.trust_domain_missing`, `spiffe.trust_domain_char`, `spiffe.trust_domain_too_long`
// (> 255), `spiffe.userinfo`, `spiffe.port`, `spiffe.query`, `spiffe.fragment`,
// `spiffe.percent_encoded`, `spiffe.path_empty_segment`, `spiffe.path_dot_segment`,
// `spiffe.path_trailing_slash`, `spiffe.path_char`.
[[nodiscard]] Result<SpiffeId> ParseSpiffeId(std::string_view text);

// A verified caller.
struct WorkloadIdentity {
  enum class Kind : uint8_t { kSpiffe, kOidc };
  Kind kind = Kind::kSpiffe;
  std::string id;              // "spiffe://td/path", or for OIDC "<iss>#<sub>"
  std::string issuer;          // "spiffe://td" or the OIDC issuer URL
  std::string subject;         // the SPIFFE ID or the OIDC `sub`
  boost::json::object claims;  // verified JWT claims (empty for X.509-SVIDs)
};

// Remote fetches (OIDC discovery, JWKS). Implementations must refuse plain http except to
// loopback, and bound response size and time.
class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  [[nodiscard]] virtual Result<std::string> Get(std::string_view url) = 0;
};
// Over src/http's client (Boost.Beast + OpenSSL; TLS verified against the system roots).
std::shared_ptr<HttpFetcher> NewHttpFetcher(int timeout_ms = 5000);
// `oidc.insecure_url` unless https, or http to 127.0.0.0/8, ::1 or localhost.
Status CheckFetchUrl(std::string_view url);

// A source of JWT verification keys for one issuer.
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The keys to verify a token whose header names `kid`; when `kid` is unknown the source may
  // refresh (rate-limited) first. Keeps serving the last good keys if a refresh fails.
  [[nodiscard]] virtual Result<std::shared_ptr<const KeySet>> Keys(
      std::optional<std::string_view> kid) = 0;
};

std::shared_ptr<KeySource> NewStaticKeySource(KeySet keys);
[[nodiscard]] Result<std::shared_ptr<KeySource>> NewJwksFileSource(const std::string& path);

struct OidcOptions {
  int64_t cache_ttl_seconds = 300;   // keys are re-fetched after this
  int64_t min_refresh_seconds = 10;  // at most one unknown-kid refresh per interval
};
// Discovery at `<issuer>/.well-known/openid-configuration` (the document's `issuer` must equal
// `issuer` exactly: `oidc.issuer_mismatch`), then its `jwks_uri`.
std::shared_ptr<KeySource> NewOidcDiscoverySource(std::string issuer,
                                                  std::shared_ptr<HttpFetcher> fetcher,
                                                  const Clock& clock, OidcOptions options = {});

// A SPIFFE trust bundle of one trust domain.
struct SpiffeBundle {
  std::string trust_domain;
  KeySet jwt_authorities;
  std::vector<std::string> x509_authorities_der;
  int64_t sequence = 0;
  int64_t refresh_hint_seconds = 0;
};
// JWKS form (SPIFFE Trust Domain and Bundle spec: `use` `x509-svid` with `x5c`, `jwt-svid` with
// `kid`) or PEM certificates (`spire-server bundle show -format pem`). `bundle.invalid`.
[[nodiscard]] Result<SpiffeBundle> ParseSpiffeBundle(std::string trust_domain,
                                                     std::string_view text);
[[nodiscard]] Result<SpiffeBundle> LoadSpiffeBundleFile(std::string trust_domain,
                                                        const std::string& path);

// The bundles of every trusted trust domain; replaced atomically on update.
class TrustBundles {
 public:
  void Set(SpiffeBundle bundle);
  std::shared_ptr<const SpiffeBundle> Find(std::string_view trust_domain) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const SpiffeBundle>, std::less<>>
      bundles_;  // GUARDED_BY(mu_)
};

struct VerifyOptions {
  std::string audience;  // required for JWT-SVIDs; optional for OIDC
  int64_t skew_seconds = 30;
};

// JWT-SVID verification. Errors add `svid.trust_domain_unknown`, `svid.alg_not_allowed`,
// `jwt.sub_invalid` (sub not a SPIFFE ID) to the jws/jwt reasons.
[[nodiscard]] Result<WorkloadIdentity> VerifyJwtSvid(std::string_view token,
                                                     const TrustBundles& bundles,
                                                     const VerifyOptions& options,
                                                     const Clock& clock);

// OIDC access or ID token from `issuer` (`iss` must match, `exp` required).
[[nodiscard]] Result<WorkloadIdentity> VerifyOidcToken(std::string_view token,
                                                       std::string_view issuer, KeySource& keys,
                                                       const VerifyOptions& options,
                                                       const Clock& clock);

// X.509-SVID of an mTLS peer, leaf first (DER blobs, or OpenSSL's peer chain). Errors:
// `svid.chain_empty`, `svid.certificate_invalid`, `svid.uri_san_count` (not exactly one URI
// SAN), `svid.not_spiffe`, `svid.leaf_is_ca`, `svid.key_usage`, `svid.trust_domain_unknown`,
// `svid.chain_invalid` (does not verify against that trust domain's bundle, or expired).
[[nodiscard]] Result<SpiffeId> VerifyX509Svid(std::span<const std::string> der_chain,
                                              const TrustBundles& bundles, const Clock& clock);
[[nodiscard]] Result<SpiffeId> VerifyX509Svid(STACK_OF(X509) * chain, const TrustBundles& bundles,
                                              const Clock& clock);
// The certificates of PEM text as DER, in order (a bundle's roots, or an SVID and its
// intermediates); empty when it holds none.
std::vector<std::string> PemCertificatesDer(std::string_view pem);

// One line an operator can act on, for any reason code this module or src/credential emits.
std::string_view HowToFix(std::string_view reason);

}  // namespace mandate::identity

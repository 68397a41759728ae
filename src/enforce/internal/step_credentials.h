// Local verification of step credentials at an enforcement point: an agent that already holds a
// step credential for this call (from `POST /v1/authorize`) presents it as
// `Authorization: DPoP <step credential>` with a fresh DPoP proof, and the enforcement point
// decides without a round trip to the authority:
//   signature   against the authority's JWKS (`/.well-known/jwks.json`), cached, refreshed on an
//               unknown `kid` (rate-limited) and after `ttl`; the last good keys are kept when a
//               refresh fails, and no keys at all verify nothing (fail closed). A sealed (HS256)
//               credential: its seal under the sealing key of (kid, this system's audience) from
//               `GET /v1/ep/keys`, cached and refreshed the same way
//   claims      typ `mandate-step+jwt`, `iss`, `aud` = the system's audience, `exp`
//               (src/credential's CredentialVerifier), `action` + `resource` = this call, and
//               `args` = ArgumentsClaim of this call's arguments (`credential.arguments_mismatch`,
//               also when the claim is absent)
//   possession  the proof's key is the credential's `cnf.jkt`, `ath` its hash, htm/htu the
//               agent's request (src/credential's DpopVerifier, jti replay included), or the
//               connection is bound to that key (AgentCredentials::connection_jkt)
//   revocation  the local deny set fed by the revocation stream, checked on every use (cached
//               or not), so a revoked credential is refused the moment the event arrives
//   single use  last, once all of the above passed: the credential is spent, and presented
//               again it is refused (`credential.already_used`, 403).
// Anything that is not a step credential (a task token) goes to the wrapped DecisionClient.
// Thread-safety: AuthorityKeys and StepCredentialClient are thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "src/credential/credential.h"
#include "src/enforce/decision.h"
#include "src/enforce/revocation.h"
#include "src/util/clock.h"

namespace mandate::enforce::internal {

// Keys an enforcement point fetches from the authority and caches: the published signing keys
// (AuthorityKeys, the JWKS) and the sealing keys of its audiences (SealingKeys). `Keys` is parsed
// from the fetched text by `Keys::FromJwks` / `Keys::FromJson`.
template <typename Keys>
class KeyCache {
 public:
  using Fetch = std::function<Result<std::string>()>;  // the key document's text
  KeyCache(Fetch fetch, const Clock& clock, int64_t ttl_seconds = 300,
           int64_t min_refresh_seconds = 5);
  // The keys to verify with; fetches first when never fetched or older than the ttl (at most
  // once per `min_refresh_seconds`). Never null (an empty set when nothing was ever fetched).
  std::shared_ptr<const Keys> Current();
  // The keys when no fetch is due (fetched and within the ttl), else null: never blocks on the
  // network.
  std::shared_ptr<const Keys> CurrentIfFresh();
  // A token named a `kid` the cache lacks: refetch unless one ran within `min_refresh_seconds`.
  // True when a fetch ran and succeeded.
  bool RefreshForUnknownKid();
  int fetches() const;
  // Why the last fetch failed (ok after a success): said in refusals that lack a key.
  Status last_error() const;

 private:
  bool FetchLocked();  // REQUIRES: mu_ held
  Fetch fetch_;
  const Clock& clock_;
  const int64_t ttl_seconds_;
  const int64_t min_refresh_seconds_;
  mutable std::mutex mu_;
  std::shared_ptr<const Keys> keys_;  // GUARDED_BY(mu_)
  int64_t fetched_at_ = 0;            // GUARDED_BY(mu_), last success
  int64_t attempted_at_ = 0;          // GUARDED_BY(mu_), last attempt
  bool attempted_ = false;            // GUARDED_BY(mu_)
  int fetches_ = 0;                   // GUARDED_BY(mu_)
  Status last_error_;                 // GUARDED_BY(mu_)
};

// The authority's published signing keys.
using AuthorityKeys = KeyCache<credential::KeySet>;
// The sealing keys of the audiences this enforcement point serves (src/credential/sealing.h).
using SealingKeys = KeyCache<credential::SealingKeySet>;

// Fetches `<authority>/.well-known/jwks.json` (plain GET, 5 s timeout, 200 only).
AuthorityKeys::Fetch JwksFetcher(std::string authority_url);
// Fetches `<authority>/v1/ep/keys?audience=...` with the enforcement-point token (5 s timeout,
// 200 only). A refusal (401, 403) is said once on stderr, prefixed with `who`, with the
// authority's reason: sealed credentials are then refused, signed ones keep working.
SealingKeys::Fetch SealingKeysFetcher(std::string authority_url, std::string ep_token,
                                      std::vector<std::string> audiences, std::string who);

enum class StepCredentialForm : uint8_t { kNone, kSigned, kSealed };
// kSigned or kSealed (header `alg` HS256) when `token` is a compact JWS whose header `typ` is
// `mandate-step+jwt` (unverified; it only chooses the path, the verifier checks everything).
// Looks at the header segment only.
StepCredentialForm StepCredentialFormOf(std::string_view token);
inline bool LooksLikeStepCredential(std::string_view token) {
  return StepCredentialFormOf(token) != StepCredentialForm::kNone;
}

// A DecisionClient decorator that decides calls carrying a step credential locally.
class StepCredentialClient final : public DecisionClient {
 public:
  // Spent step credentials and DPoP proofs remembered (each); see step_credentials.cc.
  static constexpr size_t kReplayCapacity = size_t{1} << 21;

  // `audiences`: system name -> the `aud` its step credentials carry. `feed` may be null only
  // in tests (then nothing is revoked locally). `replay_capacity`: smaller only in tests.
  // `sealing`: the audiences' sealing keys; null: sealed credentials are refused.
  StepCredentialClient(DecisionClient& inner, AuthorityKeys& keys, const RevocationFeed* feed,
                       std::string issuer, std::map<std::string, std::string> audiences,
                       const Clock& clock, size_t replay_capacity = kReplayCapacity,
                       SealingKeys* sealing = nullptr);
  ~StepCredentialClient() override;

  Decision Authorize(const AuthorizeRequest& request) override;
  // Held step credentials while the cached keys are fresh and know the credential's `kid`.
  std::optional<Decision> TryAuthorizeWithoutWaiting(const AuthorizeRequest& request) override;
  Result<std::vector<std::string>> AllowedActions(const AgentCredentials& agent,
                                                  std::string_view system) override {
    return inner_.AllowedActions(agent, system);
  }
  // Calls decided locally (for tests and metrics).
  int64_t local_decisions() const;

 private:
  // nullopt only when `may_wait` is false and deciding would need a JWKS fetch.
  std::optional<Decision> Verify(const AuthorizeRequest& request, bool may_wait) const;
  DecisionClient& inner_;
  AuthorityKeys& keys_;
  SealingKeys* sealing_;
  std::map<std::string, std::string> audiences_;
  std::unique_ptr<credential::CredentialVerifier> verifier_;
  std::unique_ptr<credential::DpopVerifier> dpop_;
  std::atomic<int64_t> local_decisions_{0};
};

}  // namespace mandate::enforce::internal

// Mandate's own credentials: task tokens, step credentials, DPoP proofs of possession, the
// issuer's rotating signing keys, and the caches that make repeated verification a hash lookup.
//
//   KeyRing            the issuer's signing keys (Ed25519 by default, ES256 optional), kept in a
//                      SigningKeyStore, rotated on a schedule with an overlap window; publishes
//                      the JWKS served at /.well-known/jwks.json.
//   CredentialIssuer   mints task tokens and step credentials (compact JWS, typ below); a step
//                      credential for a sealed audience is HS256 under its sealing key (sealing.h).
//   CredentialVerifier verifies them: signature, claims, revocation check (always), single use,
//                      with a bounded cache of verified tokens keyed by the token bytes.
//   DpopVerifier       RFC 9449 proofs: typ dpop+jwt, jwk header, htm, htu, iat window, jti
//                      replay (bounded), ath, and the key thumbprint against `cnf.jkt`.
//
// Claims (JSON names in parentheses). Task token, typ `mandate-task+jwt`: iss, sub (agent
// identity), aud (the issuer), iat, exp (task deadline), jti, task_id, mandate, mandate_version,
// cnf.jkt. Step credential, typ `mandate-step+jwt`: iss, sub, aud (one system), action,
// resource, task_id, step, act (RFC 8693 nesting: the delegating actors, most recent
// outermost), cnf.jkt, jti, iat, exp (default 60 s), single_use (optional; the authority sets
// it on every one it mints), args (optional; ArgumentsClaim of the arguments the decision saw,
// which an enforcement point requires and recomputes over the call it admits).
// Thread-safety: every class here is safe to use from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "src/credential/jose.h"
#include "src/credential/sealing.h"
#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::credential {

inline constexpr std::string_view kTaskTokenType = "mandate-task+jwt";
inline constexpr std::string_view kStepCredentialType = "mandate-step+jwt";

enum class CredentialKind : uint8_t { kTaskToken, kStepCredential };

// The verified (or to-be-minted) content of a task token or step credential.
struct CredentialClaims {
  CredentialKind kind = CredentialKind::kStepCredential;
  std::string issuer;
  std::string agent;     // sub: the workload identity the credential is bound to
  std::string audience;  // task token: the issuer; step credential: the one system
  std::string task_id;
  std::string jkt;  // cnf.jkt, RFC 7638 thumbprint of the agent's key
  std::string jti;
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  // Task token only.
  std::string mandate;
  int64_t mandate_version = 0;
  // Step credential only.
  std::string step;
  std::string action;
  std::string resource;
  std::vector<std::string> actor_chain;  // delegating actors, most recent first (`act` nesting)
  bool single_use = false;
  std::string args;  // ArgumentsClaim(...) of the decided call's arguments; empty: none
  // Set by the verifier: the issuer key that signed it (a retired key un-admits its tokens),
  // and whether it was sealed (HS256 under that key's sealing key for `audience`).
  std::string kid;
  bool sealed = false;
};

// One stored issuer key. `private_jwk` is secret material: the store must protect it.
struct StoredSigningKey {
  std::string kid;
  std::string private_jwk;
  int64_t created_at = 0;  // seconds
  int64_t retire_at = 0;   // seconds; the key stays published (verifiable) until then
};

// Persistence of the issuer's keys. The store concern implements it over SQLite/PostgreSQL.
// Thread-safety: implementations must be safe from many threads.
class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;
  virtual Result<std::vector<StoredSigningKey>> LoadSigningKeys() = 0;
  virtual Status SaveSigningKey(const StoredSigningKey& key) = 0;
  virtual Status DeleteSigningKey(std::string_view kid) = 0;
};

// For tests and single-process use.
std::unique_ptr<SigningKeyStore> NewInMemorySigningKeyStore();

struct KeyRingOptions {
  Algorithm algorithm = Algorithm::kEdDSA;  // kEdDSA or kES256
  int64_t rotation_period_seconds = 24 * 3600;
  // How long a rotated-out key stays published, so credentials it signed still verify.
  int64_t overlap_seconds = 3600;
  // Audiences whose step credentials are sealed (sealing.h): a sealing key is derived for each
  // published signing key and each of these (`mandate serve --seal-step-credentials`).
  std::vector<std::string> sealed_audiences;
};

// Snapshot of the key the issuer signs with now.
struct ActiveSigningKey {
  SigningKey key;
  std::string task_header_b64;  // pre-serialised protected headers
  std::string step_header_b64;
  std::string sealed_step_header_b64;  // alg HS256, same kid and typ
};

class KeyRing {
 public:
  // Loads keys from `store`, creating the first key when there is none.
  static Result<std::shared_ptr<KeyRing>> Open(SigningKeyStore& store, const Clock& clock,
                                               KeyRingOptions options = {});
  // Adopts keys other processes saved in the store (`mandate keys rotate`), drops retired keys,
  // and rotates when the active key is older than the rotation period. The server calls it
  // every minute, so an offline rotation is live within a minute without a restart.
  Status RotateIfDue();
  // Makes a fresh key active now; the previous one stays published for the overlap window.
  Status Rotate();
  std::shared_ptr<const ActiveSigningKey> Active() const;
  // Every published public key (active plus those in their overlap window).
  std::shared_ptr<const KeySet> PublicKeys() const;
  std::string JwksJson() const { return PublicKeys()->ToJwksJson(); }
  // The sealing key of every published signing key for every sealed audience. SECRET: only for
  // minting, introspection and `GET /v1/ep/keys`. Never null.
  std::shared_ptr<const SealingKeySet> SealingKeys() const;
  // Whether any audience is sealed (fixed at Open; no lock): minting skips SealingKeys otherwise.
  bool seals() const;
  std::vector<StoredSigningKey> Describe() const;  // without private_jwk

  struct State;
  KeyRing(SigningKeyStore& store, const Clock& clock, KeyRingOptions options);
  ~KeyRing();

 private:
  std::unique_ptr<State> state_;
};

class CredentialIssuer {
 public:
  CredentialIssuer(std::string issuer, std::shared_ptr<const KeyRing> keys, const Clock& clock);
  // REQUIRES: claims.agent, task_id, jkt and mandate set; expires_at in the future.
  // `issuer`, `audience` (= issuer), `issued_at` and `jti` are filled in when empty.
  Result<std::string> MintTaskToken(CredentialClaims claims) const;
  // REQUIRES: agent, audience, action, resource, task_id, step, jkt set. Lifetime
  // `ttl_seconds` (default 60) unless claims.expires_at is set. Sealed (HS256) when the key ring
  // has a sealing key of the active key for the audience, else signed.
  Result<std::string> MintStepCredential(CredentialClaims claims, int64_t ttl_seconds = 60) const;
  const std::string& issuer() const { return issuer_; }

 private:
  Result<std::string> Mint(CredentialClaims& claims) const;
  std::string issuer_;
  std::shared_ptr<const KeyRing> keys_;
  const Clock& clock_;
};

// Bounded set of one-time identifiers (DPoP jti, single-use credential jti) remembered until
// they expire. Full with nothing expired: fails closed (`replay.cache_full`).
class ReplayCache {
 public:
  ReplayCache(const Clock& clock, size_t capacity = 1 << 20);
  ~ReplayCache();
  // Records `id` until `expires_at` (seconds). `replay.detected` when already recorded.
  Status Consume(std::string_view id, int64_t expires_at);
  size_t size() const;

 private:
  struct Shard;
  const Clock& clock_;
  size_t shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
};

// Returns non-ok (e.g. reason `credential.revoked`) when the credential must no longer be
// honoured. Runs on every verification, cache hit or not.
using RevocationCheck = std::function<Status(const CredentialClaims&)>;
// The issuer's current public keys (e.g. KeyRing::PublicKeys, or a JWKS fetched by an
// enforcement point).
using KeySetSource = std::function<std::shared_ptr<const KeySet>()>;

struct VerifierOptions {
  int64_t skew_seconds = 30;
  size_t cache_capacity = 1 << 16;  // verified tokens remembered
  size_t replay_capacity = 1 << 20;
  // Sealing keys for HS256 step credentials; unset: sealed credentials are refused.
  SealingKeySource sealing_keys = nullptr;
};

// base64url(SHA-256(json::AppendCanonical(args))): the `args` claim of a step credential. The
// member order of `args` (the agent's, a route table's) does not change it; any value does.
std::string ArgumentsClaim(const boost::json::object& args);

// Whether a step credential's verification also spends it when it is single use.
enum class SingleUse : uint8_t {
  kConsume,  // spent by this verification (introspection)
  kDefer,    // the caller checks more first, then calls ConsumeSingleUse (enforcement points)
};

class CredentialVerifier {
 public:
  CredentialVerifier(std::string issuer, KeySetSource keys, RevocationCheck revocation,
                     const Clock& clock, VerifierOptions options = {});
  ~CredentialVerifier();
  // Errors: every jws.*/jwt.* reason, `credential.type_mismatch`, `credential.claim_invalid`,
  // the revocation check's status, `credential.already_used` for a spent single-use one.
  Result<std::shared_ptr<const CredentialClaims>> VerifyTaskToken(std::string_view token) const;
  // Admits again a task token this verifier returned `claims` for, for a caller that checked it
  // was handed the very same token bytes (a connection bound to it): what every cached use
  // re-checks (signing key still published, expiry, revocation) without hashing the token and
  // looking it up. Errors as VerifyTaskToken's, and `jws.kid_unknown` for a retired key.
  Result<std::shared_ptr<const CredentialClaims>> Readmit(
      std::shared_ptr<const CredentialClaims> claims) const;
  // `system` must equal the credential's audience (`jwt.aud_mismatch`).
  // Single-use and sealed credentials are not remembered in the verified-token cache.
  // A sealed (HS256) credential verifies only under the sealing key of (header `kid`, `system`):
  // `jws.sealing_key_unknown` when there is none (refetch the keys once, like an unknown kid).
  Result<std::shared_ptr<const CredentialClaims>> VerifyStepCredential(
      std::string_view token, std::string_view system,
      SingleUse single_use = SingleUse::kConsume) const;
  // Spends `claims` (verified with SingleUse::kDefer) when single use: `credential.already_used`
  // on a second use, `replay.cache_full` (resource exhausted) when the replay cache is full of
  // unexpired entries (refused, never forgotten). Ok for a credential that is not single use.
  Status ConsumeSingleUse(const CredentialClaims& claims) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// RFC 9449 proof of possession.
struct DpopCheck {
  std::string_view proof;         // the DPoP header value
  std::string_view method;        // HTTP method, e.g. "POST"
  std::string_view url;           // the request URL (query and fragment are ignored)
  std::string_view access_token;  // when non-empty, `ath` must be its SHA-256
  std::string_view expected_jkt;  // when non-empty, the proof key's thumbprint must equal it
};

struct DpopProof {
  std::string jkt;
  std::string jti;
  int64_t issued_at = 0;
};

struct DpopOptions {
  int64_t max_age_seconds = 60;  // accepted |now - iat| beyond the skew
  int64_t skew_seconds = 30;
  size_t replay_capacity = 1 << 20;
};

class DpopVerifier {
 public:
  explicit DpopVerifier(const Clock& clock, DpopOptions options = {});
  ~DpopVerifier();
  // Errors: `dpop.malformed`, `dpop.typ_invalid`, `dpop.jwk_missing`, `dpop.jwk_private`,
  // jws.* (alg, base64, signature), `dpop.htm_mismatch`, `dpop.htu_mismatch`, `dpop.iat_window`,
  // `dpop.ath_mismatch`, `dpop.key_mismatch`, `dpop.replayed`, `dpop.claim_invalid`.
  Result<DpopProof> Verify(const DpopCheck& check) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Creates a DPoP proof (for agents, SDKs and tests).
Result<std::string> MintDpopProof(const SigningKey& key, std::string_view method,
                                  std::string_view url, int64_t issued_at,
                                  std::string_view access_token = {});

// RFC 9449 htu comparison form: lowercase scheme and host, default port removed, empty path
// as `/`, query and fragment dropped. `dpop.htu_mismatch` for something that is not an
// absolute http(s) URL.
Result<std::string> NormalizeHtu(std::string_view url);

// base64url(SHA-256(token)): the DPoP `ath` of an access token.
std::string AccessTokenHash(std::string_view token);

}  // namespace mandate::credential

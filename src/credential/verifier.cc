// Verification of task tokens and step credentials, and the verified-token cache
// (credential.h).

#include "src/credential/credential.h"
#include "src/credential/internal/caches.h"
#include "src/credential/internal/claims.h"
#include "src/json/json.h"
#include "src/util/sha256.h"

namespace mandate::credential {

namespace internal {

Result<std::shared_ptr<const CachedHeader>> DecodeHeaderCached(BoundedMap<CachedHeader>& cache,
                                                               std::string_view header_b64,
                                                               bool allow_sealed) {
  if (auto hit = cache.Find(header_b64)) return hit;
  auto decoded = DecodeProtectedHeader(header_b64, {}, allow_sealed);
  if (!decoded) return Err(decoded.error());
  auto entry = std::make_shared<CachedHeader>();
  if (const auto* jwk = decoded->header.if_contains("jwk")) {
    if (!jwk->is_object()) {
      entry->jwk_error =
          Unauthenticated("dpop.jwk_missing", "dpop: header `jwk` must be an object");
    } else {
      auto key = PublicKey::FromJwk(jwk->as_object(), /*allow_private=*/false);
      if (key) {
        entry->jwk = std::move(*key);
      } else {
        entry->jwk_error =
            key.error().reason() == "jwk.private_member"
                ? Unauthenticated("dpop.jwk_private", "dpop: header `jwk` carries a private key")
                : Unauthenticated("dpop.jwk_invalid", "dpop: header " + key.error().message());
      }
    }
  }
  entry->decoded = std::move(*decoded);
  std::shared_ptr<const CachedHeader> shared = std::move(entry);
  cache.Insert(header_b64, shared);
  return shared;
}

}  // namespace internal

// ---- CredentialVerifier -------------------------------------------------------------------

struct CredentialVerifier::Impl {
  Impl(std::string iss, KeySetSource k, RevocationCheck r, const Clock& c, VerifierOptions o)
      : issuer(std::move(iss)),
        keys(std::move(k)),
        revocation(std::move(r)),
        clock(c),
        options(o),
        headers(256),
        verified(o.cache_capacity),
        single_use(c, o.replay_capacity) {}

  std::string issuer;
  KeySetSource keys;
  RevocationCheck revocation;
  const Clock& clock;
  VerifierOptions options;
  mutable internal::BoundedMap<internal::CachedHeader> headers;
  mutable internal::VerifiedTokenCache verified;
  mutable ReplayCache single_use;

  // Checks that hold on every use, cached or not.
  Result<std::shared_ptr<const CredentialClaims>> Admit(
      std::shared_ptr<const CredentialClaims> claims, std::string_view system, int64_t now,
      SingleUse spend = SingleUse::kConsume) const {
    if (now >= claims->expires_at + options.skew_seconds) {
      return Err(Unauthenticated("jwt.expired", "jwt: expired at " +
                                                    std::to_string(claims->expires_at) + ", now " +
                                                    std::to_string(now)));
    }
    if (claims->kind == CredentialKind::kStepCredential && claims->audience != system) {
      return Err(Unauthenticated("jwt.aud_mismatch", "jwt: credential is for system `" +
                                                         claims->audience + "`, not `" +
                                                         std::string(system) + "`"));
    }
    if (revocation) MANDATE_RETURN_IF_ERROR(revocation(*claims));
    if (spend == SingleUse::kConsume) MANDATE_RETURN_IF_ERROR(Consume(*claims));
    return claims;
  }

  Status Consume(const CredentialClaims& claims) const {
    if (!claims.single_use) return {};
    auto id = internal::ReplayId(claims.jkt, claims.jti);
    if (!id) return id.error();
    Status used = single_use.Consume(*id, claims.expires_at + options.skew_seconds);
    if (used.reason() == "replay.detected") {
      return Unauthenticated("credential.already_used",
                             "credential: step credential `" + claims.jti +
                                 "` was already used; a step credential admits one call");
    }
    return used;
  }

  Result<std::shared_ptr<const KeySet>> PublishedKeys() const {
    std::shared_ptr<const KeySet> key_set = keys ? keys() : nullptr;
    if (!key_set) return Err(Internal("keys.none", "credential: no issuer keys available"));
    return key_set;
  }

  // Whether claims verified earlier may be used again as `kind`: the key that signed them must
  // still be published (then Admit re-checks the rest).
  static bool Reusable(const CredentialClaims& claims, CredentialKind kind, const KeySet& keys) {
    return claims.kind == kind && keys.Contains(claims.kid);
  }

  // The signature of a signed credential (against the published keys) or the seal of a sealed
  // one (only a step credential, only under the sealing key of its kid for `system`: the
  // expected audience, never one the token names). Returns the kid it verified under.
  Result<std::string> CheckSignature(const internal::DecodedHeader& h,
                                     const internal::CompactParts& parts, CredentialKind kind,
                                     std::string_view system) const {
    thread_local std::string signature;  // per thread: storage reused between credentials
    if (Status s = Base64UrlDecodeInto(parts.signature, signature); !s.ok()) {
      return Err(s.WithContext("signature"));
    }
    if (h.alg != Algorithm::kHS256) {
      auto published = PublishedKeys();
      if (!published) return Err(published.error());
      auto key = (*published)->Select(h.kid, h.alg);
      if (!key) return Err(key.error());
      MANDATE_RETURN_IF_ERROR((*key)->Verify(h.alg, parts.signing_input, signature));
      return (*key)->kid();
    }
    if (kind != CredentialKind::kStepCredential) {
      return Err(Unauthenticated("jws.alg_key_mismatch",
                                 "jws: `HS256` (sealed) is accepted for step credentials only"));
    }
    if (!h.kid)
      return Err(Unauthenticated("jws.kid_missing", "jws: a sealed credential names its `kid`"));
    std::shared_ptr<const SealingKeySet> sealing =
        options.sealing_keys ? options.sealing_keys() : nullptr;
    const SealingKey* key = sealing ? sealing->Find(*h.kid, system) : nullptr;
    if (key == nullptr) {
      return Err(Unauthenticated(
          "jws.sealing_key_unknown",
          "jws: no sealing key `" + *h.kid + "` for audience `" + std::string(system) + "`"));
    }
    // A copy an enforcement point fetched may outlive its signing key's retirement by a ttl:
    // the retirement travels with it and is honoured here (nothing valid is sealed under a
    // retiring key by then: it stopped sealing when superseded, an overlap earlier).
    if (key->retire_at != 0 && clock.NowSeconds() >= key->retire_at + options.skew_seconds) {
      return Err(Unauthenticated(
          "jws.sealing_key_unknown",
          "jws: sealing key `" + *h.kid + "` retired at " + std::to_string(key->retire_at)));
    }
    MANDATE_RETURN_IF_ERROR(VerifySeal(*key, parts.signing_input, signature));
    return *h.kid;
  }

  Result<std::shared_ptr<const CredentialClaims>> Verify(std::string_view token,
                                                         CredentialKind kind,
                                                         std::string_view system,
                                                         SingleUse spend) const {
    const int64_t now = clock.NowSeconds();
    if (auto hit = verified.Find(token, now)) {
      auto published = PublishedKeys();
      if (!published) return Err(published.error());
      if (Reusable(hit->claims, kind, **published)) {
        // Shares the entry's ownership: the claims live as long as any caller holds them.
        return Admit(std::shared_ptr<const CredentialClaims>(hit, &hit->claims), system, now,
                     spend);
      }
      verified.Erase(token);  // signed by a key no longer published: verify from scratch
    }
    auto parts = internal::SplitCompact(token);
    if (!parts) return Err(parts.error());
    auto header = internal::DecodeHeaderCached(headers, parts->header, /*allow_sealed=*/true);
    if (!header) return Err(header.error());
    const auto& h = (*header)->decoded;
    const std::string_view want =
        kind == CredentialKind::kTaskToken ? kTaskTokenType : kStepCredentialType;
    if (!internal::TypIs(h.typ, want)) {
      return Err(Unauthenticated(
          "credential.type_mismatch",
          "credential: header `typ` `" + h.typ + "` is not `" + std::string(want) + "`"));
    }
    auto kid = CheckSignature(h, *parts, kind, system);
    if (!kid) return Err(kid.error());
    thread_local std::string payload;
    if (Status s = Base64UrlDecodeInto(parts->payload, payload); !s.ok()) {
      return Err(s.WithContext("payload"));
    }
    auto claims = internal::ParseCredentialClaims(payload, kind);
    if (!claims) return Err(claims.error());
    if (claims->issuer != issuer) {
      return Err(Unauthenticated("jwt.iss_mismatch",
                                 "jwt: `iss` `" + claims->issuer + "` is not `" + issuer + "`"));
    }
    if (now + options.skew_seconds < claims->issued_at) {
      return Err(Unauthenticated(
          "jwt.iat_future", "jwt: issued in the future at " + std::to_string(claims->issued_at)));
    }
    if (kind == CredentialKind::kTaskToken && claims->audience != issuer) {
      return Err(Unauthenticated("jwt.aud_mismatch", "jwt: task token `aud` `" + claims->audience +
                                                         "` is not `" + issuer + "`"));
    }
    // Signature and stable claims hold for the token's life; Admit re-checks the rest each use.
    const int64_t served_until = claims->expires_at + options.skew_seconds;
    claims->kid = std::move(*kid);
    claims->sealed = h.alg == Algorithm::kHS256;
    auto entry = std::make_shared<const internal::VerifiedTokenCache::Entry>(
        internal::VerifiedTokenCache::Entry{std::string(token), std::move(*claims), served_until});
    // A single-use credential is seen once: remembering it would only push others out. A sealed
    // one is cheap to verify again, and Reusable knows only the published (public) keys.
    if (!entry->claims.single_use && !entry->claims.sealed) verified.Insert(entry, now);
    return Admit(std::shared_ptr<const CredentialClaims>(entry, &entry->claims), system, now,
                 spend);
  }
};

CredentialVerifier::CredentialVerifier(std::string issuer, KeySetSource keys,
                                       RevocationCheck revocation, const Clock& clock,
                                       VerifierOptions options)
    : impl_(std::make_unique<Impl>(std::move(issuer), std::move(keys), std::move(revocation), clock,
                                   options)) {}
CredentialVerifier::~CredentialVerifier() = default;

Result<std::shared_ptr<const CredentialClaims>> CredentialVerifier::VerifyTaskToken(
    std::string_view token) const {
  return impl_->Verify(token, CredentialKind::kTaskToken, {}, SingleUse::kConsume);
}

Result<std::shared_ptr<const CredentialClaims>> CredentialVerifier::Readmit(
    std::shared_ptr<const CredentialClaims> claims) const {
  auto published = impl_->PublishedKeys();
  if (!published) return Err(published.error());
  if (!Impl::Reusable(*claims, CredentialKind::kTaskToken, **published)) {
    if (claims->kind != CredentialKind::kTaskToken) {
      return Err(Unauthenticated("credential.type_mismatch", "credential: not a task token"));
    }
    return Err(Unauthenticated("jws.kid_unknown",
                               "jws: `kid` `" + claims->kid + "` is not a trusted key"));
  }
  return impl_->Admit(std::move(claims), {}, impl_->clock.NowSeconds());
}

Result<std::shared_ptr<const CredentialClaims>> CredentialVerifier::VerifyStepCredential(
    std::string_view token, std::string_view system, SingleUse single_use) const {
  return impl_->Verify(token, CredentialKind::kStepCredential, system, single_use);
}

Status CredentialVerifier::ConsumeSingleUse(const CredentialClaims& claims) const {
  return impl_->Consume(claims);
}

std::string ArgumentsClaim(const boost::json::object& args) {
  const Sha256Digest digest = json::CanonicalSha256(args);
  return Base64UrlEncode(Bytes(digest));
}

}  // namespace mandate::credential

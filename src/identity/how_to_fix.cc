// Operator-facing remedies for every rejection reason (identity.h HowToFix).
#include <array>
#include <utility>

#include "src/identity/identity.h"

namespace mandate::identity {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 74> kRemedies{{
    {"jws.too_large", "tokens over 16 KiB are refused; drop unneeded claims"},
    {"jws.malformed", "send a compact JWS: three base64url parts joined by `.`"},
    {"jws.base64_noncanonical",
     "encode each part as unpadded base64url (RFC 7515 section 2) with zero trailing bits"},
    {"jws.header_invalid", "the protected header must be a JSON object with a string `alg`"},
    {"jws.duplicate_member",
     "remove the repeated JSON member: duplicates are refused, never resolved"},
    {"jws.alg_none", "sign the token: unsigned (`alg` `none`) tokens are never accepted"},
    {"jws.alg_key_mismatch",
     "sign with the algorithm of the key published for this `kid` (no HMAC with public keys)"},
    {"jws.alg_unsupported", "sign with EdDSA, ES256, ES384, RS256 or PS256"},
    {"jws.crit_unknown", "remove the `crit` header or the critical extension it names"},
    {"jws.kid_missing", "set `kid` in the header: the issuer publishes several keys"},
    {"jws.kid_unknown",
     "the `kid` is not in the trusted key set: check the JWKS/bundle, or the key was rotated out"},
    {"jws.signature_invalid",
     "the signature does not match: wrong key, or the token was altered in transit"},
    {"jwt.payload_invalid", "the payload must be a JSON object of claims"},
    {"jwt.claim_invalid",
     "a registered claim has the wrong type (dates are numbers, `aud` a string or array)"},
    {"jwt.expired",
     "request a new token; check the clocks of issuer and verifier (skew allowance 30 s)"},
    {"jwt.exp_missing", "the issuer must set `exp`"},
    {"jwt.not_yet_valid", "`nbf` is in the future: check the issuer's clock"},
    {"jwt.iat_future", "`iat` is in the future: check the issuer's clock"},
    {"jwt.iss_mismatch", "the token's `iss` must equal the configured issuer exactly (pass --iss)"},
    {"jwt.aud_missing", "the issuer must set `aud` to this service's audience"},
    {"jwt.aud_mismatch", "request a token for this audience (pass --aud to see what is expected)"},
    {"jwt.sub_missing", "the token needs a `sub` naming the workload"},
    {"jwt.sub_invalid", "a JWT-SVID `sub` must be a valid SPIFFE ID"},
    {"jwt.typ_mismatch", "the header `typ` names another kind of token"},
    {"jwk.invalid", "fix the JWK: members, curve and lengths must match RFC 7517/7518/8037"},
    {"jwk.private_member", "publish public keys only: remove `d` and other private members"},
    {"jwk.kty_unsupported", "use an OKP (Ed25519), EC (P-256, P-384) or RSA (2048+) key"},
    {"jwks.invalid", "the key set must be a JSON object with a `keys` array"},
    {"jwks.unreadable", "check the --jwks path and permissions"},
    {"credential.type_mismatch",
     "present a task token where a task token is expected, a step credential elsewhere"},
    {"credential.claim_invalid", "the credential lacks a Mandate claim: mint it with Mandate"},
    {"credential.revoked", "the task or agent was revoked: start a new task"},
    {"credential.already_used", "single-use credential: request a fresh one for each call"},
    {"credential.request_invalid",
     "fill every claim the credential binds (agent, task, step, system, action, resource, key)"},
    {"dpop.missing", "send a DPoP proof header signed with the key bound in `cnf.jkt`"},
    {"dpop.too_large", "DPoP proofs over 8 KiB are refused"},
    {"dpop.typ_invalid", "set the proof header `typ` to `dpop+jwt`"},
    {"dpop.jwk_missing", "put the public key in the proof header `jwk`"},
    {"dpop.jwk_private", "the proof header `jwk` must hold the public key only"},
    {"dpop.jwk_invalid", "fix the proof header `jwk` (a valid OKP, EC or RSA public key)"},
    {"dpop.claim_invalid", "the proof needs `jti`, `htm`, `htu` and a numeric `iat`"},
    {"dpop.htm_mismatch", "sign a new proof with `htm` equal to the request method"},
    {"dpop.htu_mismatch",
     "sign a new proof with `htu` equal to the request URL without query and fragment"},
    {"dpop.iat_window", "sign a fresh proof for each request; check the agent's clock"},
    {"dpop.ath_mismatch",
     "set `ath` to base64url(SHA-256(access token)) of the token sent with the request"},
    {"dpop.key_mismatch", "sign the proof with the agent key the credential was bound to"},
    {"dpop.replayed", "each proof is single-use: sign a new one with a fresh `jti`"},
    {"replay.cache_full",
     "too many unexpired one-time ids: reduce proof lifetime or raise the replay capacity"},
    {"spiffe.empty", "give a SPIFFE ID such as spiffe://example.org/workload"},
    {"spiffe.too_long", "SPIFFE IDs are at most 2048 bytes"},
    {"spiffe.scheme", "SPIFFE IDs start with `spiffe://`"},
    {"spiffe.trust_domain_missing", "add the trust domain after `spiffe://`"},
    {"spiffe.trust_domain_char", "trust domains use only lowercase letters, digits, `.`, `-`, `_`"},
    {"spiffe.trust_domain_too_long", "trust domains are at most 255 bytes"},
    {"spiffe.userinfo", "remove `user@` from the trust domain"},
    {"spiffe.port", "remove the `:port` from the trust domain"},
    {"spiffe.query", "remove the `?query`"},
    {"spiffe.fragment", "remove the `#fragment`"},
    {"spiffe.percent_encoded", "percent-encoding is not allowed in SPIFFE IDs"},
    {"spiffe.path_empty_segment", "remove the empty path segment (`//`)"},
    {"spiffe.path_dot_segment", "remove `.` and `..` path segments"},
    {"spiffe.path_trailing_slash", "remove the trailing `/`"},
    {"spiffe.path_char", "path segments use only letters, digits, `.`, `-`, `_`"},
    {"svid.chain_empty",
     "present the X.509-SVID: in the TLS handshake, or (token verify-svid) as PEM certificates, "
     "leaf first"},
    {"svid.certificate_invalid", "the certificate does not parse as DER X.509"},
    {"svid.uri_san_count", "an X.509-SVID carries exactly one URI SAN, its SPIFFE ID"},
    {"svid.not_spiffe", "the URI SAN must be a valid SPIFFE ID"},
    {"svid.leaf_is_ca", "present the workload's leaf certificate, not a CA"},
    {"svid.key_usage", "the leaf needs key usage digitalSignature and no keyCertSign/cRLSign"},
    {"svid.trust_domain_unknown", "add the trust domain's bundle (--bundle) or federate with it"},
    {"svid.chain_invalid",
     "the chain does not lead to the trust domain's bundle (or has expired): refresh the bundle or "
     "the SVID"},
    {"svid.alg_not_allowed", "JWT-SVIDs are signed with RS, ES or PS algorithms"},
    {"oidc.insecure_url", "use https for remote issuers (plain http only to loopback)"},
    {"oidc.issuer_mismatch",
     "the discovery document's `issuer` must equal the configured issuer URL exactly"},
}};

}  // namespace

std::string_view HowToFix(std::string_view reason) {
  for (const auto& [code, remedy] : kRemedies) {
    if (code == reason) return remedy;
  }
  if (reason.rfind("oidc.", 0) == 0)
    return "check that the issuer is reachable and serves discovery and JWKS";
  return "see docs/identity.md for the error codes";
}

}  // namespace mandate::identity

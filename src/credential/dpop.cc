// RFC 9449 DPoP proofs: verification, minting and htu normalisation (credential.h).
#include <sodium.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "src/credential/credential.h"
#include "src/credential/internal/caches.h"
#include "src/credential/internal/payload_reader.h"
#include "src/json/writer.h"
#include "src/util/sha256.h"

namespace mandate::credential {
namespace internal {

// What a replay cache remembers of a proof or a single-use credential: a keyed SipHash-2-4
// (128-bit output) of its key's thumbprint and `jti`, cut to 120 bits (instead of ~70 bytes of
// text, twice per entry): short enough to live inside a std::string without an allocation. The
// key is random per process, so nobody can make two proofs collide (SipHash is a PRF under a
// secret key; keyed BLAKE2b cost ten times more per proof); a collision would only refuse a
// proof, never admit a replay.
Result<std::string> ReplayId(std::string_view jkt, std::string_view jti) {
  static const auto key = [] {
    std::array<unsigned char, crypto_shorthash_siphashx24_KEYBYTES> k;
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  const uint64_t length = jkt.size();  // where the thumbprint ends and the `jti` begins
  thread_local std::string input;      // keeps its storage from proof to proof
  input.assign(reinterpret_cast<const char*>(&length), sizeof length).append(jkt).append(jti);
  std::array<unsigned char, crypto_shorthash_siphashx24_BYTES> digest;
  if (crypto_shorthash_siphashx24(digest.data(),
                                  reinterpret_cast<const unsigned char*>(input.data()),
                                  input.size(), key.data()) != 0) {
    return Err(
        Internal("replay.id", "replay: could not digest the identifier for the replay cache"));
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), 15);
}

}  // namespace internal

namespace {

constexpr size_t kMaxProofBytes = 8 * 1024;
constexpr size_t kMaxJtiBytes = 256;

Status DpopError(std::string reason, std::string message) {
  return Unauthenticated(std::move(reason), "dpop: " + std::move(message));
}

// The `ath` each worker thread last computed for a few tokens (a thread serves many agents'
// connections; SHA-256 of a 600-byte token is a few µs): a pure function of the token, looked
// up by its full bytes (the slot hash is public and only spreads tokens over the slots).
const std::string& CachedAccessTokenHash(std::string_view token) {
  struct Slot {
    std::string token, hash;
  };
  thread_local std::array<Slot, 8> slots;
  Slot& slot = slots[internal::TokenHash(token, 0) % slots.size()];
  if (slot.token != token || slot.hash.empty()) {
    slot.hash = AccessTokenHash(token);
    slot.token.assign(token);
  }
  return slot.hash;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string AccessTokenHash(std::string_view token) {
  const Sha256Digest digest = Sha256(token);
  return Base64UrlEncode(Bytes(digest));
}

Result<std::string> NormalizeHtu(std::string_view url) {
  auto bad = [&](std::string_view why) {
    std::string message = "url `";
    message.append(url.substr(0, 200)).append("` ").append(why);
    return Err(DpopError("dpop.htu_mismatch", std::move(message)));
  };
  if (url.size() > 4096) return bad("is too long");
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad("is not an absolute url");
  const std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme != "https" && scheme != "http") return bad("is not http(s)");
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "/" : rest.substr(path_start);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return bad("has no host or carries userinfo");
  }
  std::string host = Lower(authority);
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  if (host.size() > default_port.size() && host.ends_with(default_port) &&
      host.find(']') == std::string::npos) {
    host.resize(host.size() - default_port.size());
  } else if (host.ends_with("]" + default_port)) {
    host.resize(host.size() - default_port.size());
  }
  std::string out = scheme + "://" + host;
  // Percent-encoding normalisation (RFC 3986 section 6.2.2.1): hex digits in upper case.
  for (size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '%' && i + 2 < path.size() + 0 && i + 2 <= path.size() - 1) {
      out += char(std::toupper(static_cast<unsigned char>(path[i + 1])));
      out += char(std::toupper(static_cast<unsigned char>(path[i + 2])));
      i += 2;
    }
  }
  return out;
}

struct DpopVerifier::Impl {
  Impl(const Clock& c, DpopOptions o)
      : clock(c), options(o), headers(4096), replay(c, o.replay_capacity) {}
  const Clock& clock;
  DpopOptions options;
  mutable internal::BoundedMap<internal::CachedHeader> headers;
  mutable ReplayCache replay;
};

DpopVerifier::DpopVerifier(const Clock& clock, DpopOptions options)
    : impl_(std::make_unique<Impl>(clock, options)) {}
DpopVerifier::~DpopVerifier() = default;

Result<DpopProof> DpopVerifier::Verify(const DpopCheck& check) const {
  if (check.proof.empty()) return Err(DpopError("dpop.missing", "no proof presented"));
  if (check.proof.size() > kMaxProofBytes) {
    return Err(
        DpopError("dpop.too_large", "proof exceeds " + std::to_string(kMaxProofBytes) + " bytes"));
  }
  auto parts = internal::SplitCompact(check.proof);
  if (!parts) return Err(parts.error());
  auto header = internal::DecodeHeaderCached(impl_->headers, parts->header);
  if (!header) return Err(header.error());
  const internal::CachedHeader& h = **header;
  if (!internal::TypIs(h.decoded.typ, "dpop+jwt") || h.decoded.typ.empty()) {
    return Err(DpopError("dpop.typ_invalid", "header `typ` must be `dpop+jwt`"));
  }
  if (!h.jwk) {
    if (!h.jwk_error.ok()) return Err(h.jwk_error);
    return Err(DpopError("dpop.jwk_missing", "header `jwk` is required"));
  }
  if (!h.jwk->Accepts(h.decoded.alg)) {
    return Err(Unauthenticated("jws.alg_key_mismatch", "dpop: `alg` does not fit the `jwk`"));
  }
  thread_local std::string signature, payload;  // per thread: storage reused between proofs
  if (Status s = Base64UrlDecodeInto(parts->signature, signature); !s.ok()) {
    return Err(s.WithContext("signature"));
  }
  MANDATE_RETURN_IF_ERROR(h.jwk->Verify(h.decoded.alg, parts->signing_input, signature));
  if (Status s = Base64UrlDecodeInto(parts->payload, payload); !s.ok()) {
    return Err(s.WithContext("payload"));
  }
  thread_local internal::PayloadReader claims;
  MANDATE_RETURN_IF_ERROR(claims.Read(payload));
  using Type = internal::PayloadReader::Type;
  constexpr uint32_t kTop = internal::PayloadReader::kRoot;
  const auto* jti = claims.Find(kTop, "jti");
  const auto* htm = claims.Find(kTop, "htm");
  const auto* htu = claims.Find(kTop, "htu");
  const auto* iat = claims.Find(kTop, "iat");
  if (!jti || jti->type != Type::kString || jti->text_size == 0 || jti->text_size > kMaxJtiBytes) {
    return Err(DpopError("dpop.claim_invalid", "`jti` must be a string of 1 to 256 bytes"));
  }
  if (!htm || htm->type != Type::kString) {
    return Err(DpopError("dpop.claim_invalid", "`htm` is required"));
  }
  if (!htu || htu->type != Type::kString) {
    return Err(DpopError("dpop.claim_invalid", "`htu` is required"));
  }
  if (!iat ||
      !(iat->type == Type::kInt64 || iat->type == Type::kUint64 || iat->type == Type::kDouble)) {
    return Err(DpopError("dpop.claim_invalid", "`iat` must be a number"));
  }
  if (claims.Text(*htm) != check.method) {
    return Err(
        DpopError("dpop.htm_mismatch", "proof is for method `" + std::string(claims.Text(*htm)) +
                                           "`, request is `" + std::string(check.method) + "`"));
  }
  // An agent sends the same URL and token call after call: each thread keeps the last URL's
  // normal form and the last token's hash (pure functions of their input, compared in full).
  thread_local std::string last_url, last_url_normal;
  if (check.url != last_url || last_url_normal.empty()) {
    auto normal = NormalizeHtu(check.url);
    if (!normal) return Err(normal.error());
    last_url.assign(check.url);
    last_url_normal = std::move(*normal);
  }
  const std::string* want_url = &last_url_normal;
  // Byte-identical URLs normalise alike: only a differing spelling needs the second pass.
  const std::string_view proof_url = claims.Text(*htu);
  if (proof_url != check.url) {
    auto got_url = NormalizeHtu(proof_url);
    if (!got_url || *got_url != *want_url) {
      return Err(DpopError("dpop.htu_mismatch", "proof is for `" +
                                                    std::string(proof_url.substr(0, 200)) +
                                                    "`, request is `" + *want_url + "`"));
    }
  }
  const int64_t issued = iat->type == Type::kInt64 ? iat->int64
                         : iat->type == Type::kUint64
                             ? int64_t(std::min<uint64_t>(iat->uint64, uint64_t{1} << 62))
                             : int64_t(std::clamp(iat->number, -1e15, 1e15));
  const int64_t now = impl_->clock.NowSeconds();
  if (issued > now + impl_->options.skew_seconds ||
      issued < now - impl_->options.max_age_seconds - impl_->options.skew_seconds) {
    return Err(DpopError("dpop.iat_window", "proof issued at " + std::to_string(issued) +
                                                " is outside the accepted window around " +
                                                std::to_string(now)));
  }
  if (!check.access_token.empty()) {
    const auto* ath = claims.Find(kTop, "ath");
    if (!ath || ath->type != Type::kString ||
        claims.Text(*ath) != CachedAccessTokenHash(check.access_token)) {
      return Err(DpopError("dpop.ath_mismatch", "`ath` does not match the presented access token"));
    }
  }
  if (!check.expected_jkt.empty() && h.jwk->thumbprint() != check.expected_jkt) {
    return Err(DpopError("dpop.key_mismatch",
                         "proof key is not the key the credential is bound to (`cnf.jkt`)"));
  }
  DpopProof proof{h.jwk->thumbprint(), std::string(claims.Text(*jti)), issued};
  auto replay_id = internal::ReplayId(proof.jkt, proof.jti);
  if (!replay_id) return Err(replay_id.error());
  Status fresh = impl_->replay.Consume(
      *replay_id, issued + impl_->options.max_age_seconds + impl_->options.skew_seconds);
  if (!fresh.ok()) {
    if (fresh.reason() == "replay.detected") {
      return Err(DpopError("dpop.replayed", "proof `jti` `" + proof.jti + "` was already used"));
    }
    return Err(fresh);
  }
  return proof;
}

Result<std::string> MintDpopProof(const SigningKey& key, std::string_view method,
                                  std::string_view url, int64_t issued_at,
                                  std::string_view access_token) {
  std::string header =
      R"({"alg":")" + std::string(AlgorithmName(key.algorithm())) + R"(","typ":"dpop+jwt","jwk":)";
  boost::json::object jwk = key.public_key().ToJwk();
  jwk.erase("kid");
  jwk.erase("use");
  jwk.erase("alg");
  header += boost::json::serialize(jwk);
  header += '}';
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  std::string payload = "{";
  json::AppendMember(payload, "jti",
                     Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), 16)));
  json::AppendMember(payload, "htm", method);
  json::AppendMember(payload, "htu", url);
  json::AppendMember(payload, "iat", issued_at);
  if (!access_token.empty()) json::AppendMember(payload, "ath", AccessTokenHash(access_token));
  payload += '}';
  return SignCompact(key, header, payload);
}

}  // namespace mandate::credential

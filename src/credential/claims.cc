// Task token and step credential claims to and from JSON (internal/claims.h), and minting.
#include "src/credential/internal/claims.h"

#include <sodium.h>

#include <cstring>

#include "src/credential/internal/payload_reader.h"
#include "src/json/writer.h"

namespace mandate::credential {
namespace internal {
namespace {

Status ClaimInvalid(std::string_view name, std::string_view what) {
  return Unauthenticated("credential.claim_invalid",
                         "credential: claim `" + std::string(name) + "` " + std::string(what));
}

using Type = PayloadReader::Type;

Status ReadString(const PayloadReader& r, uint32_t object, std::string_view name,
                  std::string& out) {
  const auto* v = r.Find(object, name);
  if (v == nullptr) return ClaimInvalid(name, "is missing");
  if (v->type != Type::kString || v->text_size == 0) {
    return ClaimInvalid(name, "must be a non-empty string");
  }
  out.assign(r.Text(*v));
  return {};
}

Status ReadInt(const PayloadReader& r, std::string_view name, int64_t& out) {
  const auto* v = r.Find(PayloadReader::kRoot, name);
  if (v == nullptr) return ClaimInvalid(name, "is missing");
  if (v->type == Type::kInt64) {
    out = v->int64;
  } else if (v->type == Type::kUint64 && v->uint64 < (uint64_t{1} << 62)) {
    out = int64_t(v->uint64);
  } else {
    return ClaimInvalid(name, "must be an integer");
  }
  return {};
}

}  // namespace

void AppendClaimsJson(const CredentialClaims& c, std::string& out) {
  out += '{';
  json::AppendMember(out, "iss", c.issuer);
  json::AppendMember(out, "sub", c.agent);
  json::AppendMember(out, "aud", c.audience);
  json::AppendMember(out, "iat", c.issued_at);
  json::AppendMember(out, "exp", c.expires_at);
  json::AppendMember(out, "jti", c.jti);
  json::AppendMember(out, "task_id", c.task_id);
  if (c.kind == CredentialKind::kTaskToken) {
    json::AppendMember(out, "mandate", c.mandate);
    json::AppendMember(out, "mandate_version", c.mandate_version);
  } else {
    json::AppendMember(out, "step", c.step);
    json::AppendMember(out, "action", c.action);
    json::AppendMember(out, "resource", c.resource);
    if (!c.actor_chain.empty()) {
      out += ",\"act\":";
      for (const auto& actor : c.actor_chain) {
        out += "{\"sub\":";
        json::AppendString(out, actor);
        out += ",\"act\":";
      }
      out.resize(out.size() - 7);  // drop the last `,"act":`
      out.append(c.actor_chain.size(), '}');
    }
    if (c.single_use) out += ",\"single_use\":true";
    if (!c.args.empty()) json::AppendMember(out, "args", c.args);
  }
  out += ",\"cnf\":{\"jkt\":";
  json::AppendString(out, c.jkt);
  out += "}}";
}

Result<CredentialClaims> ParseCredentialClaims(std::string_view payload, CredentialKind kind) {
  // One reader per thread keeps its buffers between credentials: no allocation once warm.
  thread_local PayloadReader reader;
  MANDATE_RETURN_IF_ERROR(reader.Read(payload));
  const PayloadReader& r = reader;
  constexpr uint32_t kTop = PayloadReader::kRoot;
  CredentialClaims c;
  c.kind = kind;
  MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "iss", c.issuer));
  MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "sub", c.agent));
  MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "aud", c.audience));
  MANDATE_RETURN_IF_ERROR(ReadInt(r, "iat", c.issued_at));
  MANDATE_RETURN_IF_ERROR(ReadInt(r, "exp", c.expires_at));
  MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "jti", c.jti));
  MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "task_id", c.task_id));
  if (kind == CredentialKind::kTaskToken) {
    MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "mandate", c.mandate));
    MANDATE_RETURN_IF_ERROR(ReadInt(r, "mandate_version", c.mandate_version));
  } else {
    MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "step", c.step));
    MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "action", c.action));
    MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "resource", c.resource));
    uint32_t level = kTop;
    while (const auto* act = r.Find(level, "act")) {
      if (act->type != Type::kObject) return Err(ClaimInvalid("act", "must be an object"));
      level = r.IndexOf(act);
      std::string actor;
      MANDATE_RETURN_IF_ERROR(ReadString(r, level, "sub", actor));
      c.actor_chain.push_back(std::move(actor));
    }
    if (const auto* once = r.Find(kTop, "single_use")) {
      if (once->type != Type::kBool) return Err(ClaimInvalid("single_use", "must be a boolean"));
      c.single_use = once->boolean;
    }
    if (r.Find(kTop, "args") != nullptr)
      MANDATE_RETURN_IF_ERROR(ReadString(r, kTop, "args", c.args));
  }
  const auto* cnf = r.Find(kTop, "cnf");
  if (cnf == nullptr || cnf->type != Type::kObject) {
    return Err(ClaimInvalid("cnf", "must be an object"));
  }
  MANDATE_RETURN_IF_ERROR(ReadString(r, r.IndexOf(cnf), "jkt", c.jkt));
  return c;
}

}  // namespace internal

namespace {

// 128-bit unpredictable ids without a system call per credential: a per-thread ChaCha20 key
// from the OS generator, and a counter as the nonce.
std::string RandomJti() {
  struct Stream {
    Stream() { crypto_stream_chacha20_keygen(key); }
    unsigned char key[crypto_stream_chacha20_KEYBYTES];
    uint64_t counter = 0;
  };
  thread_local Stream stream;
  unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  const uint64_t n = stream.counter++;
  std::memcpy(nonce, &n, sizeof n);
  unsigned char bytes[16];
  crypto_stream_chacha20(bytes, sizeof bytes, nonce, stream.key);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
}

Status Require(std::string_view value, std::string_view name) {
  if (value.empty()) {
    return InvalidArgument("credential.request_invalid",
                           "credential: `" + std::string(name) + "` is required to mint");
  }
  return {};
}

}  // namespace

CredentialIssuer::CredentialIssuer(std::string issuer, std::shared_ptr<const KeyRing> keys,
                                   const Clock& clock)
    : issuer_(std::move(issuer)), keys_(std::move(keys)), clock_(clock) {}

Result<std::string> CredentialIssuer::MintTaskToken(CredentialClaims claims) const {
  claims.kind = CredentialKind::kTaskToken;
  MANDATE_RETURN_IF_ERROR(Require(claims.mandate, "mandate"));
  if (claims.audience.empty()) claims.audience = issuer_;
  return Mint(claims);
}

Result<std::string> CredentialIssuer::MintStepCredential(CredentialClaims claims,
                                                         int64_t ttl_seconds) const {
  claims.kind = CredentialKind::kStepCredential;
  MANDATE_RETURN_IF_ERROR(Require(claims.audience, "audience"));
  MANDATE_RETURN_IF_ERROR(Require(claims.action, "action"));
  MANDATE_RETURN_IF_ERROR(Require(claims.resource, "resource"));
  MANDATE_RETURN_IF_ERROR(Require(claims.step, "step"));
  if (claims.expires_at == 0) {
    if (claims.issued_at == 0) claims.issued_at = clock_.NowSeconds();
    claims.expires_at = claims.issued_at + ttl_seconds;
  }
  return Mint(claims);
}

Result<std::string> CredentialIssuer::Mint(CredentialClaims& c) const {
  MANDATE_RETURN_IF_ERROR(Require(c.agent, "agent"));
  MANDATE_RETURN_IF_ERROR(Require(c.task_id, "task_id"));
  MANDATE_RETURN_IF_ERROR(Require(c.jkt, "jkt"));
  const int64_t now = clock_.NowSeconds();
  if (c.expires_at <= now) {
    return Err(InvalidArgument("credential.request_invalid",
                               "credential: `expires_at` must be in the future"));
  }
  auto active = keys_->Active();
  if (!active) return Err(Internal("keys.none", "keys: the issuer has no signing key"));
  // Defaults are filled in place: `c` is the by-value argument of the public Mint* call.
  if (c.issuer.empty()) c.issuer = issuer_;
  if (c.issued_at == 0) c.issued_at = now;
  if (c.jti.empty()) c.jti = RandomJti();
  thread_local std::string payload;  // reused: its capacity stays warm between credentials
  payload.clear();
  internal::AppendClaimsJson(c, payload);
  // Sealed when the operator named the audience: the ring then holds the active key's sealing
  // key for it.
  const SealingKey* seal = nullptr;
  std::shared_ptr<const SealingKeySet> sealing;
  if (c.kind == CredentialKind::kStepCredential && keys_->seals()) {
    sealing = keys_->SealingKeys();
    seal = sealing->Find(active->key.kid(), c.audience);
  }
  const std::string& header = c.kind == CredentialKind::kTaskToken ? active->task_header_b64
                              : seal != nullptr                    ? active->sealed_step_header_b64
                                                                   : active->step_header_b64;
  std::string token;
  token.reserve(header.size() + payload.size() * 4 / 3 + 100);
  token = header;
  token += '.';
  AppendBase64Url(payload, token);
  const size_t input = token.size();
  token += '.';
  if (seal != nullptr) {
    AppendSeal(*seal, std::string_view(token.data(), input), token);
  } else {
    MANDATE_RETURN_IF_ERROR(
        active->key.AppendSignature(std::string_view(token.data(), input), token));
  }
  if (token.size() > kMaxTokenBytes) {
    return Err(InvalidArgument("credential.request_invalid",
                               "credential: minted token would exceed 16 KiB"));
  }
  return token;
}

}  // namespace mandate::credential

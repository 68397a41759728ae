// Signing and signature verification: libsodium for Ed25519, OpenSSL EVP for ECDSA and RSA
// (jose.h).
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <vector>

#include "src/credential/internal/key_material.h"
#include "src/credential/jose.h"
#include "src/util/sha256.h"

namespace mandate::credential {
namespace {

using internal::KeyMaterial;
using internal::KeyType;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const EVP_MD* DigestFor(Algorithm alg) {
  return alg == Algorithm::kES384 ? EVP_sha384() : EVP_sha256();
}

Status BadSignature() {
  return Unauthenticated("jws.signature_invalid", "jws: signature does not verify");
}

// ECDSA signatures travel in JWS as fixed-width r || s (RFC 7518 section 3.4) and in OpenSSL as
// DER, a SEQUENCE of two INTEGERs. The two short TLVs are converted here directly: going through
// ECDSA_SIG cost four BIGNUM allocations per operation. Every length fits one byte (P-384: at
// most 2 + 2 * (2 + 49) = 104 bytes).
constexpr size_t kMaxEcdsaDer = 2 + 2 * (2 + 1 + 48);

void AppendDerInteger(const unsigned char* bytes, size_t len, unsigned char*& out) {
  while (len > 1 && *bytes == 0) {
    ++bytes;
    --len;
  }
  const bool sign_pad = (*bytes & 0x80) != 0;  // DER integers are signed
  *out++ = 0x02;
  *out++ = static_cast<unsigned char>(len + (sign_pad ? 1 : 0));
  if (sign_pad) *out++ = 0;
  std::memcpy(out, bytes, len);
  out += len;
}

// REQUIRES: `der` holds kMaxEcdsaDer bytes. Returns the DER length.
size_t JoseToDer(const unsigned char* sig, size_t width, unsigned char* der) {
  unsigned char* out = der + 2;
  AppendDerInteger(sig, width, out);
  AppendDerInteger(sig + width, width, out);
  der[0] = 0x30;
  der[1] = static_cast<unsigned char>(out - der - 2);
  return size_t(out - der);
}

// Reads one DER INTEGER into the big-endian, zero-padded `out` of `width` bytes.
bool ReadDerInteger(const unsigned char*& p, const unsigned char* end, unsigned char* out,
                    size_t width) {
  if (end - p < 2 || p[0] != 0x02 || p[1] == 0 || p[1] > end - p - 2) return false;
  size_t len = p[1];
  const unsigned char* value = p + 2;
  p += 2 + len;
  while (len > 0 && *value == 0) {
    ++value;
    --len;
  }
  if (len > width) return false;
  std::memset(out, 0, width - len);
  std::memcpy(out + width - len, value, len);
  return true;
}

// REQUIRES: `raw` holds 2 * width bytes.
bool DerToJose(const unsigned char* der, size_t der_len, size_t width, unsigned char* raw) {
  if (der_len < 2 || der[0] != 0x30 || size_t(der[1]) != der_len - 2) return false;
  const unsigned char* p = der + 2;
  const unsigned char* end = der + der_len;
  return ReadDerInteger(p, end, raw, width) && ReadDerInteger(p, end, raw + width, width) &&
         p == end;
}

// Per-thread EVP_PKEY_CTX reuse for ECDSA, as `openssl speed` does: under OpenSSL 3.0 setting up
// a fresh context per operation costs more than the signature itself. Bounded per thread.
class ThreadContexts {
 public:
  ~ThreadContexts() { Clear(); }
  EVP_PKEY_CTX* Get(const KeyMaterial& k, bool sign) {
    for (const auto& e : entries_) {
      if (e.id == k.id && e.sign == sign) return e.ctx;
    }
    if (entries_.size() >= 64) Clear();
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, k.pkey, nullptr);
    if (ctx == nullptr || (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1) {
      EVP_PKEY_CTX_free(ctx);
      return nullptr;
    }
    entries_.push_back({k.id, sign, ctx});
    return ctx;
  }

 private:
  void Clear() {
    for (auto& e : entries_) EVP_PKEY_CTX_free(e.ctx);
    entries_.clear();
  }
  struct Entry {
    uint64_t id;
    bool sign;
    EVP_PKEY_CTX* ctx;
  };
  std::vector<Entry> entries_;
};

thread_local ThreadContexts thread_contexts;

// SHA-256 or SHA-384 of `input` into `digest`; returns the digest length.
size_t EcDigest(KeyType type, std::string_view input, unsigned char* digest) {
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (type == KeyType::kEcP384) {
    SHA384(data, input.size(), digest);
    return 48;
  }
  const Sha256Digest sha256 = Sha256(input);
  std::copy(sha256.begin(), sha256.end(), digest);
  return 32;
}

Status VerifyEvp(const KeyMaterial& k, Algorithm alg, std::string_view input,
                 std::string_view signature) {
  const unsigned char* sig = reinterpret_cast<const unsigned char*>(signature.data());
  size_t sig_len = signature.size();
  if (k.type != KeyType::kRsa) {
    // JWS carries ECDSA as fixed-width r || s (RFC 7518 section 3.4); OpenSSL wants DER.
    const size_t width = internal::EcCoordinateBytes(k.type);
    if (signature.size() != 2 * width) return BadSignature();
    unsigned char der[kMaxEcdsaDer];
    const size_t der_len = JoseToDer(sig, width, der);
    unsigned char digest[48];
    const size_t digest_len = EcDigest(k.type, input, digest);
    EVP_PKEY_CTX* ctx = thread_contexts.Get(k, /*sign=*/false);
    if (ctx == nullptr) return Internal("jws.crypto_error", "jws: openssl verify init failed");
    if (EVP_PKEY_verify(ctx, der, der_len, digest, digest_len) != 1) {
      ERR_clear_error();
      return BadSignature();
    }
    return {};
  } else if (signature.size() != size_t(EVP_PKEY_get_size(k.pkey))) {
    return BadSignature();
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, DigestFor(alg), nullptr, k.pkey) != 1) {
    return Internal("jws.crypto_error", "jws: openssl verify init failed");
  }
  if (alg == Algorithm::kPS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  if (EVP_DigestVerify(md.get(), sig, sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1) {
    ERR_clear_error();
    return BadSignature();
  }
  return {};
}

// ECDSA over SHA-256/384 of `input`, written as r || s into `raw` (2 * width bytes).
Status SignEcdsa(const KeyMaterial& k, std::string_view input, unsigned char* raw) {
  unsigned char digest[48];
  const size_t digest_len = EcDigest(k.type, input, digest);
  EVP_PKEY_CTX* ctx = thread_contexts.Get(k, /*sign=*/true);
  unsigned char der[kMaxEcdsaDer + 16];
  size_t der_len = sizeof der;
  if (ctx == nullptr || EVP_PKEY_sign(ctx, der, &der_len, digest, digest_len) != 1) {
    ERR_clear_error();
    return Internal("jws.crypto_error", "jws: openssl sign failed");
  }
  if (!DerToJose(der, der_len, internal::EcCoordinateBytes(k.type), raw)) {
    return Internal("jws.crypto_error", "jws: openssl produced a malformed ecdsa signature");
  }
  return {};
}

}  // namespace

std::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEdDSA:
      return "EdDSA";
    case Algorithm::kES256:
      return "ES256";
    case Algorithm::kES384:
      return "ES384";
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kPS256:
      return "PS256";
    case Algorithm::kHS256:
      return "HS256";
  }
  return "";
}

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  if (name == "EdDSA") return Algorithm::kEdDSA;
  if (name == "ES256") return Algorithm::kES256;
  if (name == "ES384") return Algorithm::kES384;
  if (name == "RS256") return Algorithm::kRS256;
  if (name == "PS256") return Algorithm::kPS256;
  std::string lower(name);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "none") {
    return Err(Unauthenticated("jws.alg_none", "jws: `alg` `none` (unsigned token) is refused"));
  }
  if (lower.rfind("hs", 0) == 0) {
    return Err(Unauthenticated(
        "jws.alg_key_mismatch",
        "jws: hmac `alg` `" + std::string(name) + "` with a public key is algorithm confusion"));
  }
  return Err(Unauthenticated(
      "jws.alg_unsupported",
      "jws: `alg` `" + std::string(name) + "` is not one of EdDSA, ES256, ES384, RS256, PS256"));
}

Status PublicKey::Verify(Algorithm alg, std::string_view signing_input,
                         std::string_view signature) const {
  if (!Accepts(alg)) {
    return Unauthenticated(
        "jws.alg_key_mismatch",
        "jws: `alg` `" + std::string(AlgorithmName(alg)) + "` does not fit the key");
  }
  if (key_->type == KeyType::kOkp) {
    if (signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                    reinterpret_cast<const unsigned char*>(signing_input.data()),
                                    signing_input.size(), key_->ed_public.data()) != 0) {
      return BadSignature();
    }
    return {};
  }
  return VerifyEvp(*key_, alg, signing_input, signature);
}

Status SigningKey::AppendSignature(std::string_view input, std::string& out) const {
  unsigned char sig[2 * 48];
  size_t sig_len = 0;
  if (private_->type == KeyType::kOkp) {
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()),
                         input.size(), private_->ed_secret.data());
    sig_len = crypto_sign_BYTES;
  } else if (private_->type != KeyType::kRsa) {
    MANDATE_RETURN_IF_ERROR(SignEcdsa(*private_, input, sig));
    sig_len = 2 * internal::EcCoordinateBytes(private_->type);
  } else {
    auto rsa = Sign(input);
    if (!rsa) return rsa.error();
    AppendBase64Url(*rsa, out);
    return {};
  }
  AppendBase64Url(std::string_view(reinterpret_cast<char*>(sig), sig_len), out);
  return {};
}

Result<std::string> SigningKey::Sign(std::string_view input) const {
  const KeyMaterial& k = *private_;
  if (k.type == KeyType::kOkp) {
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                         k.ed_secret.data());
    return sig;
  }
  if (k.type != KeyType::kRsa) {
    std::string raw(2 * internal::EcCoordinateBytes(k.type), '\0');
    MANDATE_RETURN_IF_ERROR(SignEcdsa(k, input, reinterpret_cast<unsigned char*>(raw.data())));
    return raw;
  }
  MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestSignInit(md.get(), &pctx, DigestFor(alg_), nullptr, k.pkey) != 1) {
    return Err(Internal("jws.crypto_error", "jws: openssl sign init failed"));
  }
  if (alg_ == Algorithm::kPS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(md.get(), nullptr, &len, data, input.size()) != 1) {
    return Err(Internal("jws.crypto_error", "jws: openssl sign failed"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                     input.size()) != 1) {
    return Err(Internal("jws.crypto_error", "jws: openssl sign failed"));
  }
  sig.resize(len);
  return sig;
}

}  // namespace mandate::credential

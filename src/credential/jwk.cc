// JWK parsing and export, thumbprints and key generation (jose.h).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <memory>
#include <vector>

#include "src/credential/internal/key_material.h"
#include "src/credential/jose.h"
#include "src/json/json.h"
#include "src/util/sha256.h"

namespace mandate::credential {
namespace {

using internal::KeyMaterial;
using internal::KeyType;
using internal::TypeFits;

[[maybe_unused]] const bool kSodiumReady = sodium_init() >= 0;
std::atomic<uint64_t> next_key_id{1};

Status JwkError(std::string message) {
  return InvalidArgument("jwk.invalid", "jwk: " + std::move(message));
}

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;

Result<std::string> MemberBytes(const boost::json::object& jwk, std::string_view name,
                                size_t exact_size = 0) {
  const auto* value = jwk.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    return Err(JwkError("member `" + std::string(name) + "` missing or not a string"));
  }
  auto bytes = name == "d" ? internal::DecodeSecretBase64Url(std::string_view(value->as_string()))
                           : Base64UrlDecode(std::string_view(value->as_string()));
  if (!bytes)
    return Err(JwkError("member `" + std::string(name) + "`: " + bytes.error().message()));
  if (exact_size != 0 && bytes->size() != exact_size) {
    return Err(JwkError("member `" + std::string(name) + "` must be " + std::to_string(exact_size) +
                        " bytes, got " + std::to_string(bytes->size())));
  }
  return bytes;
}

std::string_view CurveName(KeyType type) {
  switch (type) {
    case KeyType::kOkp:
      return "Ed25519";
    case KeyType::kEcP256:
      return "P-256";
    case KeyType::kEcP384:
      return "P-384";
    case KeyType::kRsa:
      return "";
  }
  return "";
}

std::string Thumbprint(const KeyMaterial& k) {
  // RFC 7638 section 3.2: required members only, lexicographic order, no whitespace.
  std::string canonical;
  switch (k.type) {
    case KeyType::kOkp:
      canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + k.x + "\"}";
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      canonical = R"({"crv":")" + std::string(CurveName(k.type)) + R"(","kty":"EC","x":")" + k.x +
                  R"(","y":")" + k.y + "\"}";
      break;
    case KeyType::kRsa:
      canonical = R"({"e":")" + k.e + R"(","kty":"RSA","n":")" + k.n + "\"}";
      break;
  }
  const Sha256Digest digest = Sha256(canonical);
  return Base64UrlEncode(Bytes(digest));
}

// Builds an EC EVP_PKEY from affine coordinates (and the private scalar when given), checking
// that the point lies on the curve.
Result<EVP_PKEY*> MakeEcKey(KeyType type, const std::string& x, const std::string& y,
                            const std::string* d) {
  std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  const char* group = type == KeyType::kEcP384 ? "secp384r1" : "prime256v1";
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  BnPtr priv;
  if (d != nullptr) {
    priv.reset(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(d->data()), int(d->size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv.get());
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  int ok =
      ctx && params && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
      EVP_PKEY_fromdata(ctx.get(), &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  if (!ok) return Err(JwkError("ec key rejected by openssl"));
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1 ||
      (d != nullptr && EVP_PKEY_pairwise_check(check.get()) != 1)) {
    EVP_PKEY_free(pkey);
    return Err(JwkError("ec point is not on the curve or does not match `d`"));
  }
  return pkey;
}

Result<EVP_PKEY*> MakeRsaKey(const std::string& n, const std::string& e) {
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), int(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), int(e.size()), nullptr));
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 16384) {
    return Err(JwkError("rsa modulus must have 2048 to 16384 bits"));
  }
  if (BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 64 || !BN_is_odd(bn_e.get())) {
    return Err(JwkError("rsa exponent `e` is invalid"));
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  int ok = ctx && params && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
           EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  if (!ok) return Err(JwkError("rsa key rejected by openssl"));
  return pkey;
}

std::string BnBytes(const EVP_PKEY* pkey, const char* name, size_t width) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return {};
  std::string out(width == 0 ? size_t(BN_num_bytes(bn)) : width, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), int(out.size()));
  BN_clear_free(bn);
  return out;
}

Result<std::shared_ptr<KeyMaterial>> ParseJwk(const boost::json::object& jwk, bool want_private,
                                              bool allow_private) {
  auto key = std::make_shared<KeyMaterial>();
  const auto* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) return Err(JwkError("member `kty` missing"));
  if (const auto* kid = jwk.if_contains("kid")) {
    if (!kid->is_string()) return Err(JwkError("member `kid` must be a string"));
    key->kid = std::string(kid->as_string());
  }
  if (const auto* alg = jwk.if_contains("alg")) {
    if (!alg->is_string()) return Err(JwkError("member `alg` must be a string"));
    auto parsed = ParseAlgorithm(std::string_view(alg->as_string()));
    if (!parsed) return Err(JwkError("member `alg`: " + parsed.error().message()));
    key->alg = *parsed;
  }
  const bool has_d = jwk.contains("d");
  if (has_d && !allow_private) {
    return Err(InvalidArgument("jwk.private_member", "jwk: a public key must not carry `d`"));
  }
  if (want_private && !has_d) return Err(JwkError("private key needs member `d`"));
  const std::string_view type = kty->as_string();
  if (type == "OKP") {
    const auto* crv = jwk.if_contains("crv");
    if (crv == nullptr || !crv->is_string() || crv->as_string() != "Ed25519") {
      return Err(JwkError("okp key must have `crv` Ed25519"));
    }
    key->type = KeyType::kOkp;
    auto x = MemberBytes(jwk, "x", 32);
    if (!x) return Err(x.error());
    std::copy(x->begin(), x->end(), key->ed_public.begin());
    if (want_private) {
      auto d = MemberBytes(jwk, "d", 32);
      if (!d) return Err(d.error());
      std::array<unsigned char, 32> derived{};
      crypto_sign_seed_keypair(derived.data(), key->ed_secret.data(),
                               reinterpret_cast<const unsigned char*>(d->data()));
      sodium_memzero(d->data(), d->size());
      if (derived != key->ed_public) return Err(JwkError("`x` does not match `d`"));
      key->has_private = true;
    }
    key->x = Base64UrlEncode(*x);
  } else if (type == "EC") {
    const auto* crv = jwk.if_contains("crv");
    if (crv == nullptr || !crv->is_string()) return Err(JwkError("ec key needs `crv`"));
    if (crv->as_string() == "P-256") {
      key->type = KeyType::kEcP256;
    } else if (crv->as_string() == "P-384") {
      key->type = KeyType::kEcP384;
    } else {
      return Err(JwkError("unsupported curve `" + std::string(crv->as_string()) + "`"));
    }
    const size_t width = internal::EcCoordinateBytes(key->type);
    auto x = MemberBytes(jwk, "x", width);
    if (!x) return Err(x.error());
    auto y = MemberBytes(jwk, "y", width);
    if (!y) return Err(y.error());
    Result<std::string> d = std::string();
    if (want_private) {
      d = MemberBytes(jwk, "d", width);
      if (!d) return Err(d.error());
    }
    auto pkey = MakeEcKey(key->type, *x, *y, want_private ? &*d : nullptr);
    if (want_private) OPENSSL_cleanse(d->data(), d->size());
    if (!pkey) return Err(pkey.error());
    key->pkey = *pkey;
    key->has_private = want_private;
    key->x = Base64UrlEncode(*x);
    key->y = Base64UrlEncode(*y);
  } else if (type == "RSA") {
    if (want_private) return Err(JwkError("rsa private keys are not imported"));
    key->type = KeyType::kRsa;
    auto n = MemberBytes(jwk, "n");
    if (!n) return Err(n.error());
    auto e = MemberBytes(jwk, "e");
    if (!e) return Err(e.error());
    auto pkey = MakeRsaKey(*n, *e);
    if (!pkey) return Err(pkey.error());
    key->pkey = *pkey;
    key->n = Base64UrlEncode(*n);
    key->e = Base64UrlEncode(*e);
  } else {
    return Err(InvalidArgument("jwk.kty_unsupported",
                               "jwk: unsupported `kty` `" + std::string(type) + "`"));
  }
  if (key->alg && !TypeFits(key->type, *key->alg)) {
    return Err(
        JwkError("`alg` `" + std::string(AlgorithmName(*key->alg)) + "` does not fit `kty`"));
  }
  key->thumbprint = Thumbprint(*key);
  return key;
}

}  // namespace

internal::KeyMaterial::KeyMaterial() : id(next_key_id.fetch_add(1)) {}

Result<PublicKey> PublicKey::FromJwk(const boost::json::object& jwk, bool allow_private) {
  auto key = ParseJwk(jwk, false, allow_private);
  if (!key) return Err(key.error());
  return PublicKey(std::move(*key));
}

Result<PublicKey> PublicKey::FromJwkText(std::string_view text) {
  auto value = json::Parse(text, {.max_bytes = 64 * 1024, .max_depth = 4});
  if (!value) return Err(JwkError(value.error().message()));
  if (!value->is_object()) return Err(JwkError("not a json object"));
  return FromJwk(value->as_object());
}

bool PublicKey::Accepts(Algorithm alg) const {
  return TypeFits(key_->type, alg) && (!key_->alg || *key_->alg == alg);
}
const std::string& PublicKey::kid() const { return key_->kid; }
const std::string& PublicKey::thumbprint() const { return key_->thumbprint; }

boost::json::object PublicKey::ToJwk() const {
  boost::json::object jwk;
  switch (key_->type) {
    case KeyType::kOkp:
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = key_->x;
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
      jwk["kty"] = "EC";
      jwk["crv"] = CurveName(key_->type);
      jwk["x"] = key_->x;
      jwk["y"] = key_->y;
      break;
    case KeyType::kRsa:
      jwk["kty"] = "RSA";
      jwk["n"] = key_->n;
      jwk["e"] = key_->e;
      break;
  }
  if (!key_->kid.empty()) jwk["kid"] = key_->kid;
  if (key_->alg) jwk["alg"] = AlgorithmName(*key_->alg);
  jwk["use"] = "sig";
  return jwk;
}

Result<SigningKey> SigningKey::Generate(Algorithm alg, std::string kid) {
  auto key = std::make_shared<KeyMaterial>();
  key->kid = std::move(kid);
  key->alg = alg;
  key->has_private = true;
  switch (alg) {
    case Algorithm::kEdDSA:
      key->type = KeyType::kOkp;
      crypto_sign_keypair(key->ed_public.data(), key->ed_secret.data());
      key->x =
          Base64UrlEncode(std::string_view(reinterpret_cast<char*>(key->ed_public.data()), 32));
      break;
    case Algorithm::kES256:
    case Algorithm::kES384: {
      key->type = alg == Algorithm::kES256 ? KeyType::kEcP256 : KeyType::kEcP384;
      key->pkey =
          EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", alg == Algorithm::kES256 ? "P-256" : "P-384");
      if (key->pkey == nullptr) return Err(Internal("jwk.keygen", "jwk: ec key generation failed"));
      const size_t width = internal::EcCoordinateBytes(key->type);
      key->x = Base64UrlEncode(BnBytes(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, width));
      key->y = Base64UrlEncode(BnBytes(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, width));
      break;
    }
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      key->type = KeyType::kRsa;
      key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      if (key->pkey == nullptr)
        return Err(Internal("jwk.keygen", "jwk: rsa key generation failed"));
      key->n = Base64UrlEncode(BnBytes(key->pkey, OSSL_PKEY_PARAM_RSA_N, 0));
      key->e = Base64UrlEncode(BnBytes(key->pkey, OSSL_PKEY_PARAM_RSA_E, 0));
      break;
    case Algorithm::kHS256:
      return Err(InvalidArgument("jwk.keygen", "jwk: HS256 keys are derived (sealing.h)"));
  }
  key->thumbprint = Thumbprint(*key);
  PublicKey pub(key);
  return SigningKey(alg, std::move(pub), std::move(key));
}

Result<SigningKey> SigningKey::FromJwk(const boost::json::object& jwk) {
  auto key = ParseJwk(jwk, true, true);
  if (!key) return Err(key.error());
  Algorithm alg = (*key)->type == KeyType::kOkp      ? Algorithm::kEdDSA
                  : (*key)->type == KeyType::kEcP256 ? Algorithm::kES256
                                                     : Algorithm::kES384;
  if ((*key)->alg) alg = *(*key)->alg;
  (*key)->alg = alg;
  std::shared_ptr<const KeyMaterial> material = std::move(*key);
  return SigningKey(alg, PublicKey(material), material);
}

Result<SigningKey> SigningKey::FromJwkText(std::string_view text) {
  auto value = json::Parse(text, {.max_bytes = 64 * 1024, .max_depth = 4});
  if (!value) return Err(JwkError(value.error().message()));
  if (!value->is_object()) return Err(JwkError("not a json object"));
  return FromJwk(value->as_object());
}

const std::string& SigningKey::kid() const { return private_->kid; }

Result<boost::json::object> SigningKey::ToPrivateJwk() const {
  boost::json::object jwk = public_key_.ToJwk();
  const KeyMaterial& k = *private_;
  if (k.type == KeyType::kOkp) {
    jwk["d"] =
        Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(k.ed_secret.data()), 32));
  } else if (k.type == KeyType::kRsa) {
    return Err(InvalidArgument("jwk.export", "jwk: rsa private keys are not exported"));
  } else {
    jwk["d"] = Base64UrlEncode(
        BnBytes(k.pkey, OSSL_PKEY_PARAM_PRIV_KEY, internal::EcCoordinateBytes(k.type)));
  }
  return jwk;
}

}  // namespace mandate::credential

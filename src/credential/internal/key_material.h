// Key material behind PublicKey and SigningKey. Internal to src/credential.
// Thread-safety: immutable after construction; EVP_PKEY is only read (each operation makes its
// own EVP context), so one KeyMaterial may serve many threads.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/credential/jose.h"

namespace mandate::credential::internal {

enum class KeyType : uint8_t { kOkp, kEcP256, kEcP384, kRsa };

struct KeyMaterial {
  KeyMaterial();
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;
  ~KeyMaterial() { EVP_PKEY_free(pkey); }

  const uint64_t id;  // unique per process, never reused (keys per-thread OpenSSL contexts)
  KeyType type = KeyType::kOkp;
  std::optional<Algorithm> alg;  // from the JWK `alg`, or the issuer's choice
  std::string kid;
  std::string thumbprint;
  std::array<unsigned char, 32> ed_public{};
  std::array<unsigned char, 64> ed_secret{};  // private keys only (seed || public)
  bool has_private = false;
  EVP_PKEY* pkey = nullptr;  // EC and RSA
  // Public JWK members, base64url: x (OKP/EC), y (EC), n and e (RSA).
  std::string x, y, n, e;
};

// Width in bytes of one ECDSA coordinate (32 for P-256, 48 for P-384).
inline size_t EcCoordinateBytes(KeyType type) { return type == KeyType::kEcP384 ? 48 : 32; }

// True when `alg` is an algorithm for keys of `type`.
inline bool TypeFits(KeyType type, Algorithm alg) {
  switch (alg) {
    case Algorithm::kEdDSA:
      return type == KeyType::kOkp;
    case Algorithm::kES256:
      return type == KeyType::kEcP256;
    case Algorithm::kES384:
      return type == KeyType::kEcP384;
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      return type == KeyType::kRsa;
    case Algorithm::kHS256:
      return false;  // a public key's bytes are never an HMAC key (algorithm confusion)
  }
  return false;
}

// Base64url decoding of secret key material through libsodium's constant-time codec
// (`jws.base64_noncanonical`).
[[nodiscard]] Result<std::string> DecodeSecretBase64Url(std::string_view text);

}  // namespace mandate::credential::internal

// Sealing of secrets at rest: libsodium crypto_secretbox (XSalsa20-Poly1305) under the store's
// 32-byte master key, with a fresh random nonce per write. The plaintext carries the record's
// context (e.g. `secret:NAME`), so a ciphertext copied to another name fails to open.
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "src/util/status.h"

namespace mandate::store::internal {

inline constexpr size_t kMasterKeyBytes = 32;

// nonce || box(len(context) || context || value). REQUIRES: key.size() == kMasterKeyBytes.
std::string Seal(std::string_view key, std::string_view context, std::string_view value);

// The value sealed by Seal under the same key and context; DataLoss `secret.unsealable` else.
[[nodiscard]] Result<std::string> Unseal(std::string_view key, std::string_view context,
                                         std::string_view sealed);

}  // namespace mandate::store::internal

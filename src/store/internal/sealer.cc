#include "src/store/internal/sealer.h"

#include <sodium.h>

#include <cstdint>
#include <cstdlib>

namespace mandate::store::internal {
namespace {

const auto* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // no secure randomness: refuse to run rather than seal badly
}

std::string Frame(std::string_view context, std::string_view value) {
  std::string plain;
  uint32_t n = static_cast<uint32_t>(context.size());
  for (int shift = 24; shift >= 0; shift -= 8) plain.push_back(static_cast<char>(n >> shift));
  plain.append(context);
  plain.append(value);
  return plain;
}

}  // namespace

std::string Seal(std::string_view key, std::string_view context, std::string_view value) {
  EnsureSodium();
  std::string plain = Frame(context, value);
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, Bytes(plain), plain.size(), nonce,
                        Bytes(key));
  sodium_memzero(plain.data(), plain.size());
  return out;
}

Result<std::string> Unseal(std::string_view key, std::string_view context,
                           std::string_view sealed) {
  EnsureSodium();
  auto fail = [&] {
    return Err(StatusCode::kDataLoss, "secret.unsealable",
               "sealed value of `" + std::string(context) +
                   "` does not open: altered, moved, or sealed under another master key");
  };
  if (key.size() != kMasterKeyBytes ||
      sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return fail();
  }
  const auto* nonce = Bytes(sealed);
  std::string_view box = sealed.substr(crypto_secretbox_NONCEBYTES);
  std::string plain(box.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), Bytes(box),
                                 box.size(), nonce, Bytes(key)) != 0) {
    return fail();
  }
  std::string expected = Frame(context, "");
  if (plain.compare(0, expected.size(), expected) != 0) return fail();
  std::string value = plain.substr(expected.size());
  sodium_memzero(plain.data(), plain.size());
  return value;
}

}  // namespace mandate::store::internal

// Base64url without padding (jose.h): the table-driven codec for public token bytes, and
// libsodium's constant-time one for secret key material.
#include <sodium.h>

#include <array>
#include <cstdint>

#include "src/credential/internal/key_material.h"
#include "src/credential/jose.h"

namespace mandate::credential {
// Base64url for public token bytes is table-driven: libsodium's codec is constant-time, which
// public tokens do not need, and it cost a tenth of an Ed25519 verification. Secret key material
// (`d`) still goes through libsodium (DecodeSecret below).
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = int8_t(i);
  return table;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

Status NonCanonical() {
  return InvalidArgument("jws.base64_noncanonical", "jws: not canonical unpadded base64url");
}

}  // namespace

namespace internal {

Result<std::string> DecodeSecretBase64Url(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 1, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (text.size() % 4 == 1 ||
      sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return Err(NonCanonical());
  }
  out.resize(len);
  return out;
}

}  // namespace internal

void AppendBase64Url(std::string_view bytes, std::string& out) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t at = out.size();
  out.resize(at + (n * 4 + 2) / 3);
  char* o = out.data() + at;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8) | in[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t(in[i]) << 16;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8);
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
  }
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  AppendBase64Url(bytes, out);
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  std::string out;
  MANDATE_RETURN_IF_ERROR(Base64UrlDecodeInto(text, out));
  return out;
}

Status Base64UrlDecodeInto(std::string_view text, std::string& out) {
  const size_t n = text.size();
  if (n % 4 == 1) return NonCanonical();
  out.resize(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
              d = kDecode[in[i + 3]];
    if ((a | b | c | d) < 0) return NonCanonical();
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    *o++ = char(v >> 16);
    *o++ = char((v >> 8) & 255);
    *o++ = char(v & 255);
  }
  const size_t rest = n - i;
  if (rest >= 2) {
    const int a = kDecode[in[i]], b = kDecode[in[i + 1]];
    const int c = rest == 3 ? kDecode[in[i + 2]] : 0;
    if ((a | b | c) < 0) return NonCanonical();
    // Canonical form: the bits past the last whole byte are zero (RFC 4648 section 3.5).
    if (rest == 2 && (b & 15) != 0) return NonCanonical();
    if (rest == 3 && (c & 3) != 0) return NonCanonical();
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6);
    *o++ = char(v >> 16);
    if (rest == 3) *o++ = char((v >> 8) & 255);
  }
  return {};
}

}  // namespace mandate::credential

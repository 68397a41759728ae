// Lower-case hexadecimal of bytes (digests in audit records, mandate digests).
#pragma once

#include <array>
#include <cstddef>
#include <string>

namespace mandate {

namespace internal {
// "00".."ff": one table load per byte instead of two shifts, two masks and two loads.
inline constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> pairs{};
  constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    pairs[2 * i] = kDigits[i >> 4];
    pairs[2 * i + 1] = kDigits[i & 15];
  }
  return pairs;
}();
}  // namespace internal

// Appends the 2 * n lower-case hex digits of `bytes` to `out`.
inline void AppendHex(const unsigned char* bytes, size_t n, std::string& out) {
  const size_t at = out.size();
  out.resize(at + 2 * n);
  char* p = out.data() + at;  // through a pointer: one size check, not one per digit
  for (size_t i = 0; i < n; ++i, p += 2) {
    p[0] = internal::kHexPairs[2 * bytes[i]];
    p[1] = internal::kHexPairs[2 * bytes[i] + 1];
  }
}

}  // namespace mandate

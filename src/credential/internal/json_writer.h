// Minimal JSON appending for the minting fast path (no DOM, no allocation beyond the output).
// Internal to src/credential. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mandate::credential::internal {

// Appends `"text"` with JSON escaping of quotes, backslashes and control characters.
inline void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

// Appends `,"name":"value"` (or without the comma when `first`).
inline void AppendMember(std::string& out, std::string_view name, std::string_view value) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, name);
  out += ':';
  AppendJsonString(out, value);
}

inline void AppendMember(std::string& out, std::string_view name, int64_t value) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, name);
  out += ':';
  out += std::to_string(value);
}

}  // namespace mandate::credential::internal

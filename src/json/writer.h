// Minimal JSON appending for hot paths (minting credentials, audit records): no DOM, no
// allocation beyond the output. Thread-safety: stateless functions.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mandate::json {

// Appends `"text"` with JSON escaping of quotes, backslashes and control characters. Runs that
// need no escaping (nearly everything) are appended whole.
inline void AppendString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    if (u == '"' || u == '\\') {
      out += '\\';
      out += static_cast<char>(u);
    } else {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

// Appends `,"name":"value"` (or without the comma when `first`).
inline void AppendMember(std::string& out, std::string_view name, std::string_view value) {
  if (out.back() != '{') out += ',';
  AppendString(out, name);
  out += ':';
  AppendString(out, value);
}

// Appends `value` in decimal.
inline void AppendInt(std::string& out, int64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

inline void AppendMember(std::string& out, std::string_view name, int64_t value) {
  if (out.back() != '{') out += ',';
  AppendString(out, name);
  out += ':';
  AppendInt(out, value);
}

}  // namespace mandate::json

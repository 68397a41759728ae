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

// Appends `value` in decimal.
inline void AppendInt(std::string& out, int64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

// Appends `,"name":` — without the comma at the start of `out` or of an object.
inline void AppendKey(std::string& out, std::string_view name) {
  if (!out.empty() && out.back() != '{') out += ',';
  AppendString(out, name);
  out += ':';
}

// Appends `,"name":"value"` / `,"name":value` (comma as AppendKey).
inline void AppendMember(std::string& out, std::string_view name, std::string_view value) {
  AppendKey(out, name);
  AppendString(out, value);
}
inline void AppendMember(std::string& out, std::string_view name, int64_t value) {
  AppendKey(out, name);
  AppendInt(out, value);
}

// Appends `,"name":[...]` with `append_element(out, element)` for each of `elements`.
template <typename Elements, typename AppendElement>
void AppendArrayMember(std::string& out, std::string_view name, const Elements& elements,
                       AppendElement append_element) {
  AppendKey(out, name);
  out += '[';
  bool first = true;
  for (const auto& e : elements) {
    if (!first) out += ',';
    first = false;
    append_element(out, e);
  }
  out += ']';
}

}  // namespace mandate::json

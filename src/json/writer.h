// Minimal JSON appending for hot paths (minting credentials, audit records): no DOM, no
// allocation beyond the output. Thread-safety: stateless functions.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace mandate::json {

namespace internal {
// The length of the leading run of `text` that JSON writes as it is (no quote, backslash or
// control character), eight bytes at a time: audit records and credentials are mostly such runs.
inline size_t PlainPrefix(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    // A byte below 0x20 (its top three bits clear, ASCII only), a quote or a backslash.
    const uint64_t control = (w - 0x2020202020202020ull) & ~w & kHigh;
    if (control | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) break;
  }
  for (; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == '"' || u == '\\') break;
  }
  return i;
}
}  // namespace internal

// Appends `"text"` with JSON escaping of quotes, backslashes and control characters, exactly as
// Boost.JSON serialises a string (the canonical form of audit records). Runs that need no
// escaping (nearly everything) are appended whole.
inline void AppendString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run = internal::PlainPrefix(text);
  if (run == text.size()) {  // nearly always: one append, both quotes included
    const size_t at = out.size();
    out.append(text.size() + 2, '"');
    if (!text.empty()) std::memcpy(out.data() + at + 1, text.data(), text.size());
    return;
  }
  out += '"';
  while (true) {
    out.append(text.data(), run);
    if (run == text.size()) break;
    const auto u = static_cast<unsigned char>(text[run]);
    // The short escapes Boost.JSON writes: `audit verify` re-serialises records with it.
    const char short_escape = u == '"' || u == '\\' ? static_cast<char>(u)
                              : u == '\b'           ? 'b'
                              : u == '\t'           ? 't'
                              : u == '\n'           ? 'n'
                              : u == '\f'           ? 'f'
                              : u == '\r'           ? 'r'
                                                    : 0;
    if (short_escape != 0) {
      const char escaped[2] = {'\\', short_escape};
      out.append(escaped, 2);
    } else {
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
      out.append(escaped, 6);
    }
    text.remove_prefix(run + 1);
    run = internal::PlainPrefix(text);
  }
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
  const bool comma = !out.empty() && out.back() != '{';
  if (internal::PlainPrefix(name) != name.size()) {
    if (comma) out += ',';
    AppendString(out, name);
    out += ':';
    return;
  }
  // Member names are plain words: one append writes `,"name":`.
  const size_t at = out.size() + (comma ? 1 : 0);
  out.append(name.size() + 3 + (comma ? 1 : 0), '"');
  if (comma) out[at - 1] = ',';
  std::memcpy(out.data() + at + 1, name.data(), name.size());
  out.back() = ':';
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

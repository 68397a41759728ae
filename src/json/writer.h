// Minimal JSON appending for hot paths (minting credentials, audit records): no DOM, no
// allocation beyond the output. Thread-safety: stateless functions.
#pragma once

#include <algorithm>
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

// Writes `"text"` at `p`, escaped exactly as Boost.JSON serialises a string (the canonical form
// of audit records); returns the end. REQUIRES: room for StringBound(text.size()) bytes.
inline constexpr size_t StringBound(size_t size) { return 6 * size + 2; }
inline char* WriteString(char* p, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  while (true) {
    const size_t run = internal::PlainPrefix(text);  // nearly everything is one plain run
    if (run != 0) std::memcpy(p, text.data(), run);
    p += run;
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
    *p++ = '\\';
    if (short_escape != 0) {
      *p++ = short_escape;
    } else {
      const char escaped[5] = {'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
      std::memcpy(p, escaped, 5);
      p += 5;
    }
    text.remove_prefix(run + 1);
  }
  *p++ = '"';
  return p;
}

// Appends `"text"` with JSON escaping of quotes, backslashes and control characters, exactly as
// Boost.JSON serialises a string. Runs that need no escaping (nearly everything) are appended
// whole.
inline void AppendString(std::string& out, std::string_view text) {
  const size_t at = out.size();
  if (internal::PlainPrefix(text) == text.size()) {  // nearly always: one append
    out.append(text.size() + 2, '"');
    if (!text.empty()) std::memcpy(out.data() + at + 1, text.data(), text.size());
    return;
  }
  out.resize(at + StringBound(text.size()));
  out.resize(static_cast<size_t>(WriteString(out.data() + at, text) - out.data()));
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

// Writes JSON members through a pointer into room reserved ahead, growing only when a write
// would not fit: one reservation per record instead of an out-of-line std::string call per
// member (which was most of the cost of an audit record). Appends to `out`, which holds exactly
// what was written once the writer is gone.
class JsonWriter {
 public:
  JsonWriter(std::string& out, size_t expected) : out_(out) {
    const size_t at = out.size();
    out.resize(at + expected);
    p_ = out.data() + at;
    end_ = out.data() + out.size();
  }
  ~JsonWriter() { out_.resize(static_cast<size_t>(p_ - out_.data())); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void Raw(std::string_view text) {
    Room(text.size());
    if (!text.empty()) std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void Char(char c) {
    Room(1);
    *p_++ = c;
  }
  void String(std::string_view text) {
    Room(StringBound(text.size()));
    p_ = WriteString(p_, text);
  }
  void Int(int64_t value) {
    Room(24);
    p_ = std::to_chars(p_, p_ + 24, value).ptr;
  }
  // `,"name":` — without the comma right after `{` or at the start of the output. Member names
  // are literals written as they are (plain words: nothing to escape), their length known here.
  template <size_t N>
  void Key(const char (&name)[N]) {
    Room(N + 3);
    if (p_ != out_.data() && p_[-1] != '{') *p_++ = ',';
    *p_++ = '"';
    std::memcpy(p_, name, N - 1);
    p_ += N - 1;
    *p_++ = '"';
    *p_++ = ':';
  }
  template <size_t N>
  void Member(const char (&name)[N], std::string_view value) {
    Key(name);
    String(value);
  }
  template <size_t N>
  void Member(const char (&name)[N], int64_t value) {
    Key(name);
    Int(value);
  }
  // `,"name":[...]` with `write(*this, element)` for each element.
  template <size_t N, typename Elements, typename Write>
  void ArrayMember(const char (&name)[N], const Elements& elements, Write write) {
    Key(name);
    Char('[');
    bool first = true;
    for (const auto& e : elements) {
      if (!first) Char(',');
      first = false;
      write(*this, e);
    }
    Char(']');
  }

 private:
  void Room(size_t n) {
    if (static_cast<size_t>(end_ - p_) >= n) return;
    const size_t at = static_cast<size_t>(p_ - out_.data());
    out_.resize(std::max(2 * out_.size(), at + n));
    p_ = out_.data() + at;
    end_ = out_.data() + out_.size();
  }
  std::string& out_;
  char* p_;
  char* end_;
};

}  // namespace mandate::json

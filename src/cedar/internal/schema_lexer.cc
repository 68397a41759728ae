#include "src/cedar/internal/schema_lexer.h"

#include <cstdint>
#include <string>

#include "src/cedar/schema.h"

namespace mandate::cedar::internal {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the UTF-8 sequence starting at s[i], or 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

bool UnescapeCedarString(std::string_view body, std::string* out, std::string* error) {
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= body.size()) {
      *error = "unterminated escape sequence";
      return false;
    }
    switch (body[i]) {
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case '0':
        out->push_back('\0');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\'':
        out->push_back('\'');
        break;
      case '"':
        out->push_back('"');
        break;
      case 'x': {
        if (i + 2 >= body.size()) {
          *error = "`\\x` needs two hex digits";
          return false;
        }
        int hi = HexValue(body[i + 1]), lo = HexValue(body[i + 2]);
        if (hi < 0 || lo < 0 || hi > 7) {
          *error = "`\\x` needs two hex digits of at most 7f";
          return false;
        }
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      case 'u': {
        if (i + 1 >= body.size() || body[i + 1] != '{') {
          *error = "`\\u` needs `{hex digits}`";
          return false;
        }
        size_t j = i + 2;
        uint32_t cp = 0;
        size_t digits = 0;
        while (j < body.size() && body[j] != '}') {
          int h = HexValue(body[j]);
          if (h < 0 || ++digits > 6) {
            *error = "`\\u{...}` needs 1 to 6 hex digits";
            return false;
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
          ++j;
        }
        if (j >= body.size() || digits == 0) {
          *error = "`\\u{...}` needs 1 to 6 hex digits and a closing `}`";
          return false;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          *error = "`\\u{...}` is not a unicode scalar value";
          return false;
        }
        AppendUtf8(cp, out);
        i = j;
        break;
      }
      default:
        *error = std::string("unknown escape `\\") + body[i] + "`";
        return false;
    }
  }
  return true;
}

Result<std::vector<SchemaToken>> LexSchema(std::string_view text, const SchemaLimits& limits) {
  std::vector<SchemaToken> tokens;
  uint32_t line = 1;
  size_t line_start = 0;
  auto fail = [&](size_t at, const std::string& message) {
    return Err(InvalidArgument("cedar.schema", "line " + std::to_string(line) + ", column " +
                                                   std::to_string(at - line_start + 1) + ": " +
                                                   message));
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (tokens.size() >= limits.max_tokens) {
      return fail(i,
                  "schema exceeds the limit of " + std::to_string(limits.max_tokens) + " tokens");
    }
    SchemaToken token;
    token.span =
        SourceSpan{line, static_cast<uint32_t>(i - line_start + 1), static_cast<uint32_t>(i)};
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < text.size() && IsIdentChar(text[j])) ++j;
      token.kind = SchemaToken::Kind::kIdent;
      token.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (c == '"') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') {
        if (text[j] == '\n') return fail(i, "unterminated string literal");
        if (text[j] == '\\') ++j;
        ++j;
      }
      if (j >= text.size()) return fail(i, "unterminated string literal");
      std::string_view body = text.substr(i + 1, j - i - 1);
      if (body.size() > limits.max_literal_bytes) {
        return fail(i, "string literal exceeds the limit of " +
                           std::to_string(limits.max_literal_bytes) + " bytes");
      }
      for (size_t k = 0; k < body.size();) {
        size_t n = Utf8Length(body, k);
        if (n == 0) return fail(i + 1 + k, "invalid utf-8 in string literal");
        k += n;
      }
      std::string error;
      token.kind = SchemaToken::Kind::kString;
      if (!UnescapeCedarString(body, &token.text, &error)) return fail(i, error);
      i = j + 1;
    } else if (c == ':' && i + 1 < text.size() && text[i + 1] == ':') {
      token.kind = SchemaToken::Kind::kPunct;
      token.text = "::";
      i += 2;
    } else if (std::string_view("{}[]()<>,;:=?@").find(c) != std::string_view::npos) {
      token.kind = SchemaToken::Kind::kPunct;
      token.text = std::string(1, c);
      ++i;
    } else {
      if (static_cast<unsigned char>(c) >= 0x80 && Utf8Length(text, i) == 0) {
        return fail(i, "invalid utf-8");
      }
      return fail(i, std::string("unexpected character `") +
                         std::string(text.substr(i, std::max<size_t>(1, Utf8Length(text, i)))) +
                         "`");
    }
    tokens.push_back(std::move(token));
  }
  SchemaToken end;
  end.span = SourceSpan{line, static_cast<uint32_t>(text.size() - line_start + 1),
                        static_cast<uint32_t>(text.size())};
  tokens.push_back(std::move(end));
  return tokens;
}

}  // namespace mandate::cedar::internal

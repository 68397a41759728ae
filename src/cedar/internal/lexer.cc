#include "src/cedar/internal/lexer.h"

namespace mandate::cedar::internal {
namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

bool IsValidUtf8(std::string_view s) { return InvalidUtf8Offset(s) == std::string_view::npos; }

size_t InvalidUtf8Offset(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return i;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      unsigned char d = s[i + k];
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> out;
  uint32_t line = 1, col = 1;
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < text.size(); ++k, ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++col;
      }
    }
  };
  while (true) {
    // Whitespace and comments.
    while (i < text.size()) {
      char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance(1);
      } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
        while (i < text.size() && text[i] != '\n') advance(1);
      } else {
        break;
      }
    }
    Token t;
    t.line = line;
    t.column = col;
    t.offset = static_cast<uint32_t>(i);
    if (i >= text.size()) {
      t.kind = Tok::kEnd;
      out.push_back(t);
      return out;
    }
    size_t start = i;
    char c = text[i];
    auto two = [&](char next) { return i + 1 < text.size() && text[i + 1] == next; };
    size_t len = 1;
    if (IsIdentStart(c)) {
      while (start + len < text.size() && IsIdentChar(text[start + len])) ++len;
      t.kind = Tok::kIdent;
    } else if (c >= '0' && c <= '9') {
      while (start + len < text.size() && text[start + len] >= '0' && text[start + len] <= '9')
        ++len;
      t.kind = Tok::kInt;
    } else if (c == '"') {
      bool closed = false;
      while (start + len < text.size()) {
        char d = text[start + len];
        if (d == '\\' && start + len + 1 < text.size()) {
          len += 2;
          continue;
        }
        ++len;
        if (d == '"') {
          closed = true;
          break;
        }
      }
      t.kind = closed ? Tok::kString : Tok::kError;
    } else if (c == '?') {
      while (start + len < text.size() && IsIdentChar(text[start + len])) ++len;
      std::string_view s = text.substr(start, len);
      t.kind = s == "?principal"  ? Tok::kSlotPrincipal
               : s == "?resource" ? Tok::kSlotResource
                                  : Tok::kError;
    } else {
      switch (c) {
        case '(':
          t.kind = Tok::kLParen;
          break;
        case ')':
          t.kind = Tok::kRParen;
          break;
        case '{':
          t.kind = Tok::kLBrace;
          break;
        case '}':
          t.kind = Tok::kRBrace;
          break;
        case '[':
          t.kind = Tok::kLBracket;
          break;
        case ']':
          t.kind = Tok::kRBracket;
          break;
        case ',':
          t.kind = Tok::kComma;
          break;
        case ';':
          t.kind = Tok::kSemi;
          break;
        case '.':
          t.kind = Tok::kDot;
          break;
        case '@':
          t.kind = Tok::kAt;
          break;
        case '+':
          t.kind = Tok::kPlus;
          break;
        case '-':
          t.kind = Tok::kMinus;
          break;
        case '*':
          t.kind = Tok::kStar;
          break;
        case ':':
          if (two(':'))
            len = 2, t.kind = Tok::kPathSep;
          else
            t.kind = Tok::kColon;
          break;
        case '=':
          if (two('='))
            len = 2, t.kind = Tok::kEq;
          else
            t.kind = Tok::kAssign;
          break;
        case '!':
          if (two('='))
            len = 2, t.kind = Tok::kNotEq;
          else
            t.kind = Tok::kNot;
          break;
        case '<':
          if (two('='))
            len = 2, t.kind = Tok::kLessEq;
          else
            t.kind = Tok::kLess;
          break;
        case '>':
          if (two('='))
            len = 2, t.kind = Tok::kGreaterEq;
          else
            t.kind = Tok::kGreater;
          break;
        case '&':
          if (two('&'))
            len = 2, t.kind = Tok::kAnd;
          else
            t.kind = Tok::kError;
          break;
        case '|':
          if (two('|'))
            len = 2, t.kind = Tok::kOr;
          else
            t.kind = Tok::kError;
          break;
        default: {
          t.kind = Tok::kError;
          // Keep a whole UTF-8 sequence together in the error token.
          while (start + len < text.size() &&
                 (static_cast<unsigned char>(text[start + len]) & 0xC0) == 0x80) {
            ++len;
          }
        }
      }
    }
    if (start + len > text.size()) len = text.size() - start;
    t.text = text.substr(start, len);
    advance(len);
    out.push_back(t);
  }
}

std::string_view TokDescription(Tok kind) {
  switch (kind) {
    case Tok::kEnd:
      return "end of input";
    case Tok::kIdent:
      return "identifier";
    case Tok::kString:
      return "string literal";
    case Tok::kInt:
      return "number";
    case Tok::kSlotPrincipal:
      return "`?principal`";
    case Tok::kSlotResource:
      return "`?resource`";
    case Tok::kLParen:
      return "`(`";
    case Tok::kRParen:
      return "`)`";
    case Tok::kLBrace:
      return "`{`";
    case Tok::kRBrace:
      return "`}`";
    case Tok::kLBracket:
      return "`[`";
    case Tok::kRBracket:
      return "`]`";
    case Tok::kComma:
      return "`,`";
    case Tok::kSemi:
      return "`;`";
    case Tok::kColon:
      return "`:`";
    case Tok::kPathSep:
      return "`::`";
    case Tok::kDot:
      return "`.`";
    case Tok::kAt:
      return "`@`";
    case Tok::kEq:
      return "`==`";
    case Tok::kNotEq:
      return "`!=`";
    case Tok::kLess:
      return "`<`";
    case Tok::kLessEq:
      return "`<=`";
    case Tok::kGreater:
      return "`>`";
    case Tok::kGreaterEq:
      return "`>=`";
    case Tok::kAnd:
      return "`&&`";
    case Tok::kOr:
      return "`||`";
    case Tok::kNot:
      return "`!`";
    case Tok::kPlus:
      return "`+`";
    case Tok::kMinus:
      return "`-`";
    case Tok::kStar:
      return "`*`";
    case Tok::kAssign:
      return "`=`";
    case Tok::kError:
      return "invalid token";
  }
  return "token";
}

Result<std::string> Unescape(std::string_view body, std::vector<PatternElem>* pattern) {
  std::string out;
  out.reserve(body.size());
  // In pattern mode, flushes the literal run collected so far into the pattern.
  auto flush = [&]() {
    if (pattern && !out.empty()) {
      if (!pattern->empty() && !pattern->back().wildcard) {
        pattern->back().literal += out;
      } else {
        pattern->push_back(PatternElem{false, out});
      }
      out.clear();
    }
  };
  auto bad = [](std::string_view esc) {
    return Err(StatusCode::kInvalidArgument, "cedar.parse",
               "the input `" + std::string(esc) + "` is not a valid escape");
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '*' && pattern) {
      flush();
      if (pattern->empty() || !pattern->back().wildcard) pattern->push_back(PatternElem{true, {}});
      continue;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 >= body.size()) return bad("\\");
    char e = body[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case '*':
        if (!pattern) return bad("\\*");
        out += '*';
        break;
      case 'x': {
        if (i + 2 >= body.size()) return bad(body.substr(i - 1));
        auto hex = [](char h) {
          return h >= '0' && h <= '9'   ? h - '0'
                 : h >= 'a' && h <= 'f' ? h - 'a' + 10
                 : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                        : -1;
        };
        int hi = hex(body[i + 1]), lo = hex(body[i + 2]);
        if (hi < 0 || lo < 0 || hi > 7) return bad(body.substr(i - 1, 4));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      case 'u': {
        size_t close = body.find('}', i);
        if (i + 1 >= body.size() || body[i + 1] != '{' || close == std::string_view::npos ||
            close - i - 2 < 1 || close - i - 2 > 6) {
          return bad(body.substr(i - 1, std::min<size_t>(body.size() - i + 1, 10)));
        }
        uint32_t cp = 0;
        for (size_t k = i + 2; k < close; ++k) {
          char h = body[k];
          int v = h >= '0' && h <= '9'   ? h - '0'
                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                         : -1;
          if (v < 0) return bad(body.substr(i - 1, close - i + 2));
          cp = cp * 16 + v;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return bad(body.substr(i - 1, close - i + 2));
        }
        AppendUtf8(out, cp);
        i = close;
        break;
      }
      default:
        return bad(body.substr(i - 1, 2));
    }
  }
  flush();
  return out;
}

}  // namespace mandate::cedar::internal

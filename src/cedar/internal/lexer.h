// Tokenizer for Cedar policy text. Tracks 1-based line and column of every token.
// Thread-safety: a Lexer is used by one thread; the functions are stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/internal/ast.h"
#include "src/util/status.h"

namespace mandate::cedar::internal {

enum class Tok : uint8_t {
  kEnd,
  kIdent,
  kString,
  kInt,
  kSlotPrincipal,
  kSlotResource,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kSemi,
  kColon,
  kPathSep,
  kDot,
  kAt,
  kEq,
  kNotEq,
  kLess,
  kLessEq,
  kGreater,
  kGreaterEq,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus,
  kStar,
  kAssign,
  kError,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // raw source text of the token
  uint32_t line = 1;
  uint32_t column = 1;
  uint32_t offset = 0;
};

// Splits `text` into tokens ending with kEnd. Invalid characters become kError tokens.
std::vector<Token> Tokenize(std::string_view text);

// Human description of a token kind for "expected ..." messages.
std::string_view TokDescription(Tok kind);

// Unescapes the body of a string literal (without quotes). With `pattern` (a `like` pattern),
// fills it instead: `*` is a wildcard and `\*` a literal star; the returned string is empty.
Result<std::string> Unescape(std::string_view body, std::vector<PatternElem>* pattern = nullptr);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);
// Offset of the first byte that starts an invalid UTF-8 sequence, or npos.
size_t InvalidUtf8Offset(std::string_view s);

}  // namespace mandate::cedar::internal

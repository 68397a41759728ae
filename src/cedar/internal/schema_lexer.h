// Tokens of the Cedar schema syntax: identifiers, string literals (Cedar escapes decoded),
// punctuation (`::` is one token), with `//` comments skipped.
// Thread-safety: stateless function; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/cedar/internal/ast.h"
#include "src/util/status.h"

namespace mandate::cedar {
struct SchemaLimits;
}

namespace mandate::cedar::internal {

struct SchemaToken {
  enum class Kind : uint8_t { kIdent, kString, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // identifier, decoded string, or punctuation
  SourceSpan span;
};

// Ends with one kEnd token. Errors (reason `cedar.schema`) say `line L, column C: ...`.
Result<std::vector<SchemaToken>> LexSchema(std::string_view text, const SchemaLimits& limits);

// Decodes a Cedar string literal body (without quotes): \n \r \t \\ \0 \' \" \xHH \u{H..}.
// Returns false with `error` set on a bad escape or invalid code point.
bool UnescapeCedarString(std::string_view body, std::string* out, std::string* error);

}  // namespace mandate::cedar::internal

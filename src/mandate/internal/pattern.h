// Resource patterns: literal text, `*` (any run of characters without `/`), `**` (any run) and
// `{input}` (exactly one value of a task input, always matched literally, so an input value
// containing `*` is not a wildcard).
// Thread-safety: compiled patterns are immutable; matching is pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/mandate/mandate.h"

namespace mandate::internal {

inline constexpr size_t kMaxResourceBytes = 2048;
inline constexpr int kMaxWildcards = 6;

struct PatternToken {
  enum Kind : uint8_t { kLiteral, kStar, kGlobStar, kInput };
  Kind kind = kLiteral;
  std::string text;  // kLiteral
  int input = -1;    // kInput: index into the mandate's inputs
};

struct ResourcePattern {
  std::string source;
  std::vector<PatternToken> tokens;
  int wildcards = 0;  // number of `*` and `**`
  bool has_inputs = false;
};

// The values bound to each task input (index = input index); one value for scalars, several
// for sets, none when an optional input was not supplied.
using InputValues = std::vector<std::vector<std::string>>;

// Compiles `text`; on error returns false and sets `error` (a lowercase message).
bool CompilePattern(std::string_view text, const std::vector<TypedField>& inputs,
                    ResourcePattern* out, std::string* error);

// True when `resource` matches. Fails closed (false) on oversized resources or when matching
// would take too long.
bool MatchPattern(const ResourcePattern& pattern, std::string_view resource,
                  const InputValues& inputs);

// Replaces every `{input}` by its bound values (as literal tokens): one pattern per combination.
std::vector<ResourcePattern> ResolvePattern(const ResourcePattern& pattern,
                                            const InputValues& inputs);

// True when every resource `inner` matches is matched by `outer` (sound, may say false for exotic
// equal languages: it fails closed). Both must be resolved (no kInput tokens).
bool PatternContains(const ResourcePattern& outer, const ResourcePattern& inner);

}  // namespace mandate::internal

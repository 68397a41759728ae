// A reference check over Cedar condition text, not a second expression language: it finds the
// `context.<part>.<name>` paths outside string literals so that a misspelt argument or input name
// is reported at its own line and column even before (and besides) Cedar's schema validation.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/mandate/mandate.h"

namespace mandate::internal {

struct ContextRef {
  std::string part;   // `args`, `inputs`, `task`, `call`, `step`, `now`, or an unknown word
  std::string name;   // the attribute after the part (may be empty); for task.count the step id
  size_t offset = 0;  // byte offset of `name` (or of `part` when name is empty) in the text
  size_t part_offset = 0;
};

std::vector<ContextRef> FindContextRefs(std::string_view cedar);

// The position of byte `offset` of a scalar's value, given the scalar's span and the source text
// (handles plain, quoted and `|` block scalars; folded ones approximately).
SourceSpan SpanInScalar(const SourceSpan& scalar, std::string_view source, std::string_view value,
                        size_t offset);

}  // namespace mandate::internal

// Reading a mandate source into a YAML node tree with hostile-input bounds. JSON sources are
// first checked by the strict JSON parser (duplicates, UTF-8, depth) and then read by yaml-cpp
// too (JSON is YAML's flow syntax), so both syntaxes share one decoder and one kind of position.
// Thread-safety: stateless functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string_view>
#include <vector>

#include "src/mandate/mandate.h"

namespace mandate::internal {

// Parses `text` into `root`. On failure appends diagnostics (with line/column) and returns false.
// Bounds: size, UTF-8 validity, no NUL bytes, yaml-cpp errors, node count (every alias visit
// counts, so alias bombs stop early), depth, scalar size.
bool ParseSource(std::string_view text, const std::string& file, Format format,
                 const LoadOptions& options, YAML::Node* root, std::vector<Diagnostic>* out);

// True when `text` is valid UTF-8; otherwise sets the 0-based byte offset of the first bad byte.
bool IsValidUtf8(std::string_view text, size_t* bad_offset);

// 1-based line and column of byte `offset` of `text`.
void LineColumnAt(std::string_view text, size_t offset, int* line, int* column);

}  // namespace mandate::internal

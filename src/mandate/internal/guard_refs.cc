#include "src/mandate/internal/guard_refs.h"

#include <cctype>

namespace mandate::internal {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// Reads `.ident` at i (after spaces); returns false if there is none.
bool Member(std::string_view s, size_t* i, std::string* name, size_t* at) {
  size_t j = SkipSpace(s, *i);
  if (j >= s.size() || s[j] != '.') return false;
  j = SkipSpace(s, j + 1);
  size_t start = j;
  while (j < s.size() && IsWordChar(s[j])) ++j;
  if (j == start) return false;
  *name = std::string(s.substr(start, j - start));
  *at = start;
  *i = j;
  return true;
}

}  // namespace

std::vector<ContextRef> FindContextRefs(std::string_view s) {
  std::vector<ContextRef> refs;
  constexpr std::string_view kContext = "context";
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {  // string literal with backslash escapes
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {  // comment to the end of the line
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    const bool word_start = i == 0 || (!IsWordChar(s[i - 1]) && s[i - 1] != '.');
    if (word_start && s.substr(i, kContext.size()) == kContext &&
        (i + kContext.size() == s.size() || !IsWordChar(s[i + kContext.size()]))) {
      i += kContext.size();
      ContextRef ref;
      if (!Member(s, &i, &ref.part, &ref.part_offset)) continue;
      ref.offset = ref.part_offset;
      Member(s, &i, &ref.name, &ref.offset);
      if (ref.part == "task" && ref.name == "count") {
        std::string step;
        size_t at = 0;
        if (Member(s, &i, &step, &at)) {
          ref.name = "count." + step;
          ref.offset = at;
        }
      }
      refs.push_back(std::move(ref));
      continue;
    }
    ++i;
  }
  return refs;
}

SourceSpan SpanInScalar(const SourceSpan& scalar, std::string_view source, std::string_view value,
                        size_t offset) {
  SourceSpan span = scalar;
  if (scalar.line <= 0) return span;
  // The start of the scalar's line in the source.
  size_t line_start = 0;
  for (int line = 1; line < scalar.line && line_start != std::string_view::npos; ++line) {
    line_start = source.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  if (line_start == std::string_view::npos) return span;
  const size_t at = line_start + static_cast<size_t>(scalar.column - 1);
  const char indicator = at < source.size() ? source[at] : '\0';
  size_t value_line = 0, value_column = 0;
  for (size_t k = 0; k < offset && k < value.size(); ++k) {
    if (value[k] == '\n') {
      ++value_line;
      value_column = 0;
    } else {
      ++value_column;
    }
  }
  if (indicator == '|' || indicator == '>') {
    // Block scalar: content starts on the next line, indented.
    size_t content = source.find('\n', at);
    if (content == std::string_view::npos) return span;
    ++content;
    size_t indent = 0;
    while (content + indent < source.size() && source[content + indent] == ' ') ++indent;
    span.line = scalar.line + 1 + static_cast<int>(value_line);
    span.column = static_cast<int>(indent + value_column) + 1;
    return span;
  }
  const int quote = (indicator == '"' || indicator == '\'') ? 1 : 0;
  span.line = scalar.line + static_cast<int>(value_line);
  span.column = value_line == 0 ? scalar.column + quote + static_cast<int>(value_column)
                                : static_cast<int>(value_column) + 1;
  return span;
}

}  // namespace mandate::internal

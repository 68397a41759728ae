// Request-target parsing for enforcement points: a strict split of an HTTP request target into a
// normalized path and query parameters. Strict on purpose: the path that is authorized must be the
// path the upstream serves, so anything two parsers could read differently (dot segments, empty
// segments, encoded slashes, backslashes, bad escapes, repeated query keys) is rejected.
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/util/status.h"

namespace mandate::enforce::internal {

// The raw_ members view the target given to ParseTarget: valid while it is.
struct ParsedTarget {
  std::vector<std::string> segments;           // percent-decoded path segments, no empty ones
  std::vector<std::string_view> raw_segments;  // the same segments as received (still encoded)
  std::string_view raw_path;                   // the path as received (still encoded)
  std::string_view raw_query;                  // without the `?`, empty if none
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, unique keys
};

// Parses an origin-form target (`/a/b?x=1`); the result views `target`. Reasons:
// `route.target_invalid`.
[[nodiscard]] Result<ParsedTarget> ParseTarget(std::string_view target);

// Percent-decodes `text`; `plus_is_space` for query components. Reasons: `route.target_invalid`.
[[nodiscard]] Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace mandate::enforce::internal

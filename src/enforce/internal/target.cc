#include "src/enforce/internal/target.h"

#include <algorithm>

#include <boost/url/pct_string_view.hpp>
#include <set>

namespace mandate::enforce::internal {
namespace {

constexpr size_t kMaxTargetBytes = 8192;
constexpr size_t kMaxSegments = 64;
constexpr size_t kMaxQueryParams = 64;

tl::unexpected<Status> Invalid(std::string message) {
  return Err(StatusCode::kInvalidArgument, "route.target_invalid", std::move(message));
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  auto pct = boost::urls::make_pct_string_view(text);
  if (!pct) return Invalid("invalid percent escape in `" + std::string(text) + "`");
  boost::urls::encoding_opts opts(plus_is_space, false, true);
  std::string out = pct->decode(opts);
  if (out.find('\0') != std::string::npos) return Invalid("encoded nul byte");
  return out;
}

Result<ParsedTarget> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return Invalid("target must start with `/`");
  if (target.size() > kMaxTargetBytes) return Invalid("target longer than 8192 bytes");
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '#') {
      return Invalid("target holds a control, space, backslash, fragment or non-ascii byte");
    }
  }
  ParsedTarget parsed;
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  parsed.raw_path = path;
  if (qpos != std::string_view::npos) parsed.raw_query = target.substr(qpos + 1);

  // Path segments: "/" alone is the root; otherwise every segment must be non-empty.
  if (path.size() > 1) {
    const size_t count = static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
    if (count > kMaxSegments) return Invalid("more than 64 path segments");
    parsed.segments.reserve(count);
    parsed.raw_segments.reserve(count);
    size_t start = 1;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      std::string_view raw = path.substr(start, end - start);
      if (raw.empty()) return Invalid("empty path segment");
      auto decoded = PercentDecode(raw, /*plus_is_space=*/false);
      if (!decoded) return Err(decoded.error());
      if (*decoded == "." || *decoded == "..") return Invalid("dot segment in path");
      if (decoded->find('/') != std::string::npos || decoded->find('\\') != std::string::npos) {
        return Invalid("encoded slash in path segment");
      }
      parsed.segments.push_back(std::move(*decoded));
      parsed.raw_segments.push_back(raw);
      start = end + 1;
    }
  }

  std::set<std::string, std::less<>> seen;
  std::string_view query = parsed.raw_query;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    if (!key) return Err(key.error());
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true);
      if (!decoded) return Err(decoded.error());
      value = std::move(*decoded);
    }
    if (key->empty()) return Invalid("empty query parameter name");
    if (!seen.insert(*key).second) return Invalid("repeated query parameter `" + *key + "`");
    parsed.query.emplace_back(std::move(*key), std::move(value));
    if (parsed.query.size() > kMaxQueryParams) return Invalid("more than 64 query parameters");
  }
  return parsed;
}

}  // namespace mandate::enforce::internal

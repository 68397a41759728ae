// SPIFFE ID parsing per the SPIFFE ID specification, section 2 (identity.h).
#include "src/identity/identity.h"

namespace mandate::identity {
namespace {

constexpr std::string_view kScheme = "spiffe://";
constexpr size_t kMaxIdBytes = 2048;
constexpr size_t kMaxTrustDomainBytes = 255;

tl::unexpected<Status> Bad(std::string reason, std::string_view text, std::string what) {
  std::string message = "spiffe id `";
  message.append(text.substr(0, 120)).append(text.size() > 120 ? "...`: " : "`: ").append(what);
  return Err(InvalidArgument(std::move(reason), std::move(message)));
}

bool TrustDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}
bool PathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

}  // namespace

Result<SpiffeId> ParseSpiffeId(std::string_view text) {
  if (text.empty()) return Bad("spiffe.empty", text, "empty");
  if (text.size() > kMaxIdBytes) {
    return Bad("spiffe.too_long", text, "longer than 2048 bytes");
  }
  if (text.substr(0, kScheme.size()) != kScheme) {
    return Bad("spiffe.scheme", text, "scheme must be `spiffe://`");
  }
  std::string_view rest = text.substr(kScheme.size());
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    if (rest.find('#') == std::string_view::npos || q < rest.find('#')) {
      return Bad("spiffe.query", text, "a query component is not allowed");
    }
  }
  if (rest.find('#') != std::string_view::npos) {
    return Bad("spiffe.fragment", text, "a fragment component is not allowed");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.empty()) return Bad("spiffe.trust_domain_missing", text, "trust domain is empty");
  if (authority.find('@') != std::string_view::npos) {
    return Bad("spiffe.userinfo", text, "userinfo is not allowed in the trust domain");
  }
  if (authority.find('%') != std::string_view::npos) {
    return Bad("spiffe.percent_encoded", text, "percent-encoding is not allowed");
  }
  if (authority.front() != '[' && authority.find(':') != std::string_view::npos) {
    return Bad("spiffe.port", text, "a port is not allowed in the trust domain");
  }
  for (char c : authority) {
    if (!TrustDomainChar(c)) {
      return Bad("spiffe.trust_domain_char", text,
                 "trust domain may hold only lowercase letters, digits, `.`, `-` and `_`");
    }
  }
  if (authority.size() > kMaxTrustDomainBytes) {
    return Bad("spiffe.trust_domain_too_long", text, "trust domain longer than 255 bytes");
  }
  if (!path.empty()) {
    if (path.find('%') != std::string_view::npos) {
      return Bad("spiffe.percent_encoded", text, "percent-encoding is not allowed");
    }
    size_t start = 1;  // path[0] == '/'
    while (true) {
      const size_t end = path.find('/', start);
      const std::string_view segment =
          path.substr(start, end == std::string_view::npos ? end : end - start);
      if (segment.empty()) {
        if (end == std::string_view::npos) {
          return Bad("spiffe.path_trailing_slash", text, "path must not end with `/`");
        }
        return Bad("spiffe.path_empty_segment", text, "path must not contain empty segments");
      }
      if (segment == "." || segment == "..") {
        return Bad("spiffe.path_dot_segment", text, "path must not contain `.` or `..` segments");
      }
      for (char c : segment) {
        if (!PathChar(c)) {
          return Bad("spiffe.path_char", text,
                     "path segments may hold only letters, digits, `.`, `-` and `_`");
        }
      }
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  return SpiffeId{std::string(authority), std::string(path)};
}

}  // namespace mandate::identity

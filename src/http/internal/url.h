// An absolute http/https URL split into what a connection needs. Parsing is Boost.URL's.
// Thread-safety: value types and stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/util/status.h"

namespace mandate::http::internal {

struct Endpoint {
  bool tls = false;
  std::string host;  // IPv6 without brackets
  uint16_t port = 0;
  // "https://host:port": the key of a connection pool.
  std::string Key() const;
  // The Host header value: host, or host:port when the port is not the scheme's default.
  std::string HostHeader() const;
};

struct ParsedUrl {
  Endpoint endpoint;
  std::string target;  // origin-form: path (at least "/") plus "?query" when present
};

// Rejects (reason `http.client.bad_url`) anything but absolute http/https URLs with a host;
// userinfo is refused so credentials never travel in URLs.
[[nodiscard]] Result<ParsedUrl> ParseUrl(std::string_view url);

// Percent-decodes `text` (and `+` as space when `plus_is_space`), rejecting malformed escapes.
[[nodiscard]] Result<std::string> PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace mandate::http::internal

#include "src/http/internal/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace mandate::http::internal {
namespace {

Status BadUrl(std::string_view url, std::string_view why) {
  std::string message = "url `";
  message.append(url);
  message.append("`: ");
  message.append(why);
  return InvalidArgument("http.client.bad_url", std::move(message));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

namespace {

std::string HostText(const std::string& host) {
  if (host.find(':') == std::string::npos) return host;
  std::string text;
  text.push_back('[');
  text.append(host);
  text.push_back(']');
  return text;
}

}  // namespace

std::string Endpoint::Key() const {
  std::string key = tls ? "https://" : "http://";
  key.append(HostText(host));
  key.push_back(':');
  key.append(std::to_string(port));
  return key;
}

std::string Endpoint::HostHeader() const {
  std::string text = HostText(host);
  if ((tls && port == 443) || (!tls && port == 80)) return text;
  text.push_back(':');
  text.append(std::to_string(port));
  return text;
}

Result<ParsedUrl> ParseUrl(std::string_view url) {
  auto parsed = boost::urls::parse_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) return Err(BadUrl(url, parsed.error().message()));
  const boost::urls::url_view& u = *parsed;
  ParsedUrl out;
  if (u.scheme_id() == boost::urls::scheme::https) {
    out.endpoint.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return Err(BadUrl(url, "scheme must be http or https"));
  }
  if (!u.has_authority() || u.host().empty()) return Err(BadUrl(url, "missing host"));
  // Boost.URL 1.81 accepts `http://host:12ab/` as port 12 with path `ab/`: after an authority
  // the path must be empty or start with a slash (RFC 3986 path-abempty).
  if (!u.encoded_path().empty() && u.encoded_path().front() != '/') {
    return Err(BadUrl(url, "invalid port or path"));
  }
  if (u.has_userinfo()) return Err(BadUrl(url, "userinfo is not allowed"));
  if (u.host_type() == boost::urls::host_type::ipv6) {
    out.endpoint.host = u.host_ipv6_address().to_string();
  } else if (u.host_type() == boost::urls::host_type::ipvfuture) {
    return Err(BadUrl(url, "unsupported host"));
  } else {
    out.endpoint.host = u.host();
  }
  if (u.has_port()) {
    std::string_view port_text(u.port().data(), u.port().size());
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Err(BadUrl(url, "invalid port"));
    }
    out.endpoint.port = static_cast<uint16_t>(value);
  } else {
    out.endpoint.port = out.endpoint.tls ? 443 : 80;
  }
  out.target = u.encoded_path().empty() ? std::string("/") : std::string(u.encoded_path());
  if (u.has_query()) {
    out.target.push_back('?');
    out.target.append(u.encoded_query().data(), u.encoded_query().size());
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Err(InvalidArgument("http.bad_request",
                                   "malformed percent-encoding in `" + std::string(text) + "`"));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace mandate::http::internal

#include "src/http/proxy.h"

#include <array>

namespace mandate::http {
namespace {

constexpr std::array<std::string_view, 10> kHopByHop = {
    "connection",     "keep-alive",         "proxy-connection", "te",
    "trailer",        "transfer-encoding",  "upgrade",          "host",
    "content-length", "proxy-authorization"};

}  // namespace

// Headers named in Connection are hop-by-hop too (RFC 9110 section 7.6.1).
bool IsHopByHopHeader(std::string_view name, std::string_view connection_header) {
  for (auto hop : kHopByHop) {
    if (EqualsIgnoreCase(name, hop)) return true;
  }
  size_t start = 0;
  while (start < connection_header.size()) {
    size_t comma = connection_header.find(',', start);
    std::string_view token = connection_header.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!token.empty() && EqualsIgnoreCase(name, token)) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

Response Forward(ClientPool& pool, const Request& request, const ProxyOptions& options,
                 std::string_view target) {
  ClientRequest upstream;
  upstream.method = std::string(request.method());
  std::string base = options.upstream;
  while (!base.empty() && base.back() == '/') base.pop_back();
  upstream.url = base + std::string(target.empty() ? request.target() : target);
  std::string_view connection = request.Header("Connection").value_or("");
  for (const auto& [name, value] : request.Headers()) {
    if (!IsHopByHopHeader(name, connection)) upstream.headers.emplace_back(name, value);
  }
  if (options.add_forwarded_headers) {
    upstream.headers.emplace_back("X-Forwarded-For", request.connection().remote_address);
    upstream.headers.emplace_back("X-Forwarded-Proto", request.connection().tls ? "https" : "http");
  }
  if (options.edit_request_headers) options.edit_request_headers(upstream.headers);
  upstream.body = std::string(request.body());

  auto answer = pool.Send(upstream);
  if (!answer) {
    const Status& error = answer.error();
    if (error.code() == StatusCode::kDeadlineExceeded) {
      return Response::Error(504, "http.upstream_timeout", "upstream did not answer in time");
    }
    if (error.reason() == "http.client.too_large") {
      return Response::Error(502, "http.upstream_too_large", "upstream response too large");
    }
    return Response::Error(502, "http.upstream_unavailable", "upstream unavailable");
  }
  Response response;
  response.status = answer->status;
  response.content_type.clear();
  std::string_view upstream_connection = answer->Header("Connection").value_or("");
  for (auto& [name, value] : answer->headers) {
    if (IsHopByHopHeader(name, upstream_connection)) continue;
    if (EqualsIgnoreCase(name, "content-type")) {
      response.content_type = value;
      continue;
    }
    response.headers.emplace_back(name, value);
  }
  if (options.edit_response_headers) options.edit_response_headers(response.headers);
  response.body = std::move(answer->body);
  return response;
}

}  // namespace mandate::http

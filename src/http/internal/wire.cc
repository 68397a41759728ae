#include "src/http/internal/wire.h"

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace mandate::http::internal {
namespace {

void AppendNumber(size_t value, std::string* out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, end);
}

void AppendHeader(std::string_view name, std::string_view value, std::string* out) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

std::string WithoutNewlines(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

bool StatusForbidsBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

bool AppendResponseHead(const Response& response, bool http10, bool keep_alive, size_t body_size,
                        std::string* out) {
  bool valid = true;
  out->append(http10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  AppendNumber(static_cast<size_t>(status), out);
  out->push_back(' ');
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out->append(reason.data(), reason.size());
  out->append("\r\n");
  if (!response.content_type.empty()) {
    if (IsValidHeader("Content-Type", response.content_type)) {
      AppendHeader("Content-Type", response.content_type, out);
    } else {
      valid = false;
    }
  }
  for (const auto& [name, value] : response.headers) {
    if (!IsValidHeader(name, value)) {
      valid = false;
      continue;
    }
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
        EqualsIgnoreCase(name, "connection")) {
      continue;  // framing belongs to the server
    }
    AppendHeader(name, value, out);
  }
  if (!StatusForbidsBody(status)) {
    out->append("Content-Length: ");
    AppendNumber(body_size, out);
    out->append("\r\n");
  }
  if (!keep_alive) {
    out->append("Connection: close\r\n");
  } else if (http10) {
    out->append("Connection: keep-alive\r\n");
  }
  out->append("\r\n");
  return valid;
}

std::string FormatSseEvent(const SseEvent& event) {
  std::string out;
  if (!event.id.empty()) {
    out.append("id: ");
    out.append(WithoutNewlines(event.id));
    out.push_back('\n');
  }
  if (!event.event.empty()) {
    out.append("event: ");
    out.append(WithoutNewlines(event.event));
    out.push_back('\n');
  }
  if (event.retry_ms && *event.retry_ms >= 0) {
    out.append("retry: ");
    AppendNumber(static_cast<size_t>(*event.retry_ms), &out);
    out.push_back('\n');
  }
  // Each line of data (split on CRLF, CR or LF) becomes its own `data:` line.
  std::string_view data = event.data;
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    out.append("data: ");
    out.append(data.substr(start, end == std::string_view::npos ? end : end - start));
    out.push_back('\n');
    if (end == std::string_view::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  out.push_back('\n');
  return out;
}

void AppendChunk(std::string_view payload, std::string* out) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), payload.size(), 16);
  out->append(digits, end);
  out->append("\r\n");
  out->append(payload);
  out->append("\r\n");
}

}  // namespace mandate::http::internal

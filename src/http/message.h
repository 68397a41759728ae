// Message pieces shared by the HTTP client, server and proxy: header lists and the JSON error
// body every HTTP error of the service carries.
// Thread-safety: value types and stateless functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/util/status.h"

namespace mandate::http {

// One Server-Sent Events frame. `data` may hold newlines (each line becomes a `data:` line).
struct SseEvent {
  std::string id;     // omitted when empty
  std::string event;  // omitted when empty
  std::string data;
  std::optional<int> retry_ms;
};

// Headers in wire order; a name may repeat. Names compare case-insensitively.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// RFC 9110 §5.6.2: a tchar, and a non-empty string of them (a field name, a method).
bool IsTokenChar(char c);
bool IsToken(std::string_view s);

// The first value of header `name`, if present.
std::optional<std::string_view> FindHeader(const HeaderList& headers, std::string_view name);

// True if `name` is an RFC 9110 token and `value` holds no CR, LF or NUL (no header injection).
bool IsValidHeader(std::string_view name, std::string_view value);

// `{"error":{"code":"<code>","message":"<message>"}}`, JSON-escaped.
std::string ErrorJson(std::string_view code, std::string_view message);
// A health check's body: {"status":"ok"} when `ready` is ok, else
// {"status":"unavailable","error":{"code":reason,"message":message}}.
std::string HealthJson(const Status& ready);

}  // namespace mandate::http

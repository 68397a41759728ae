// Byte-level framing the server writes: response heads, SSE frames, chunks.
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "src/http/server.h"

namespace mandate::http::internal {

// Appends the status line and headers of `response` (ending with the blank line) to `out`.
// Headers that fail IsValidHeader are not written and make the function return false.
// `http10` answers an HTTP/1.0 client; `keep_alive` decides the Connection header;
// `body_size` is announced in Content-Length unless the status forbids a body.
bool AppendResponseHead(const Response& response, bool http10, bool keep_alive, size_t body_size,
                        std::string* out);

// True when the status code must not carry a body (1xx, 204, 304).
bool StatusForbidsBody(int status);

// The text/event-stream frame for `event` (WHATWG HTML "server-sent events"): `id:`, `event:`,
// `retry:`, one `data:` per line, then a blank line. CR and LF inside id/event are dropped.
std::string FormatSseEvent(const SseEvent& event);

// Wraps `payload` as one HTTP/1.1 chunk (`<hex size>\r\n<payload>\r\n`), appended to `out`.
void AppendChunk(std::string_view payload, std::string* out);

}  // namespace mandate::http::internal

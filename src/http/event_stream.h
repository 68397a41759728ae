// Server-Sent Events framing for code that holds a whole text/event-stream body at once (a proxy
// that rewrites an upstream's buffered answer): the same parser and formatter the server and
// EventSubscription use, so there is one reading of the format (WHATWG HTML, "Server-sent
// events"). Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "src/http/message.h"
#include "src/util/status.h"

namespace mandate::http {

// Calls `on_event` for each complete event of `body` (an unterminated last event is dispatched
// too). Errors (`http.sse_invalid`): a line or event longer than `max_event_bytes`.
[[nodiscard]] Status ParseEventStream(std::string_view body, size_t max_event_bytes,
                                      const std::function<void(const SseEvent&)>& on_event);

// One event as wire text, ending with the blank line.
std::string FormatEventStream(const SseEvent& event);

}  // namespace mandate::http

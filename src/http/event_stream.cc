#include "src/http/event_stream.h"

#include "src/http/internal/sse_parser.h"
#include "src/http/internal/wire.h"

namespace mandate::http {

Status ParseEventStream(std::string_view body, size_t max_event_bytes,
                        const std::function<void(const SseEvent&)>& on_event) {
  internal::SseParser parser(max_event_bytes);
  MANDATE_RETURN_IF_ERROR(parser.Feed(body, on_event));
  return parser.Feed("\n\n", on_event);  // a stream cut after its last data line still counts
}

std::string FormatEventStream(const SseEvent& event) { return internal::FormatSseEvent(event); }

}  // namespace mandate::http

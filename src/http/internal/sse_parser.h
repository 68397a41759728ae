// Incremental parser of text/event-stream bodies (WHATWG HTML, "Server-sent events":
// interpreting an event stream). Thread-safety: not thread-safe; one per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "src/http/message.h"
#include "src/util/status.h"

namespace mandate::http::internal {

class SseParser {
 public:
  explicit SseParser(size_t max_line_bytes = 1 << 20) : max_line_bytes_(max_line_bytes) {}
  // Feeds body bytes; calls `on_event` for each complete event. Errors (`http.sse_invalid`):
  // a line or event longer than the limit. `id` of an event is the last event ID in effect.
  [[nodiscard]] Status Feed(std::string_view bytes,
                            const std::function<void(const SseEvent&)>& on_event);
  const std::string& last_event_id() const { return last_event_id_; }
  // The `retry:` value last received, in milliseconds (0 when none).
  int retry_ms() const { return retry_ms_; }

 private:
  void Line(std::string_view line, const std::function<void(const SseEvent&)>& on_event);

  size_t max_line_bytes_;
  std::string line_;
  bool after_cr_ = false;
  std::string data_;
  std::string event_type_;
  std::string last_event_id_;
  int retry_ms_ = 0;
};

}  // namespace mandate::http::internal

// An incremental Server-Sent Events parser (WHATWG HTML "event stream" format) for the
// revocation stream: bytes in, complete events out. Lines are bounded so a hostile stream cannot
// grow memory without limit.
// Thread-safety: not thread-safe; one parser per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "src/util/status.h"

namespace mandate::enforce::internal {

struct SseEvent {
  std::string type = "message";  // `event:`
  std::string id;                // `id:` (last seen in the stream, as the spec says)
  std::string data;              // `data:` lines joined with `\n`
};

class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = 1 << 20) : max_event_bytes_(max_event_bytes) {}
  // Feeds bytes; calls `on_event` for each complete event. Reasons: `sse.too_large`.
  Status Feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);
  const std::string& last_event_id() const { return last_id_; }

 private:
  void Line(std::string_view line, const std::function<void(const SseEvent&)>& on_event);
  size_t max_event_bytes_;
  std::string buffer_;  // bytes of the current unfinished line
  std::string type_;
  std::string data_;
  bool has_data_ = false;
  std::string last_id_;
  bool after_cr_ = false;
};

}  // namespace mandate::enforce::internal

#include "src/enforce/internal/sse.h"

namespace mandate::enforce::internal {

Status SseParser::Feed(std::string_view bytes,
                       const std::function<void(const SseEvent&)>& on_event) {
  for (char c : bytes) {
    if (after_cr_ && c == '\n') {  // CRLF: the CR already ended the line
      after_cr_ = false;
      continue;
    }
    after_cr_ = false;
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      Line(buffer_, on_event);
      buffer_.clear();
      continue;
    }
    buffer_.push_back(c);
    if (buffer_.size() + data_.size() > max_event_bytes_) {
      return Status(StatusCode::kResourceExhausted, "sse.too_large",
                    "server-sent event larger than " + std::to_string(max_event_bytes_) + " bytes");
    }
  }
  return Status();
}

void SseParser::Line(std::string_view line, const std::function<void(const SseEvent&)>& on_event) {
  if (line.empty()) {  // blank line: dispatch
    if (has_data_) {
      SseEvent event;
      if (!type_.empty()) event.type = type_;
      event.id = last_id_;
      event.data = data_;
      on_event(event);
    }
    type_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment (heartbeat)
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    type_ = std::string(value);
  } else if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  }
  // `retry` and unknown fields are ignored.
}

}  // namespace mandate::enforce::internal

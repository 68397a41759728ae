#include "src/http/internal/sse_parser.h"

namespace mandate::http::internal {

Status SseParser::Feed(std::string_view bytes,
                       const std::function<void(const SseEvent&)>& on_event) {
  for (char c : bytes) {
    if (after_cr_ && c == '\n') {  // the LF of a CRLF already ended the line
      after_cr_ = false;
      continue;
    }
    after_cr_ = false;
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      Line(line_, on_event);
      line_.clear();
      continue;
    }
    line_.push_back(c);
    if (line_.size() > max_line_bytes_ || data_.size() > max_line_bytes_) {
      return InvalidArgument("http.sse_invalid", "event stream line or event over " +
                                                     std::to_string(max_line_bytes_) + " bytes");
    }
  }
  return Status();
}

void SseParser::Line(std::string_view line, const std::function<void(const SseEvent&)>& on_event) {
  if (line.empty()) {  // dispatch
    if (!data_.empty()) {
      SseEvent event;
      event.id = last_event_id_;
      event.event = event_type_;
      event.data = data_.substr(0, data_.size() - 1);  // drop the last LF
      on_event(event);
    }
    data_.clear();
    event_type_.clear();
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
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    event_type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = std::string(value);
  } else if (field == "retry") {
    if (!value.empty() && value.size() < 10 &&
        value.find_first_not_of("0123456789") == std::string_view::npos) {
      retry_ms_ = std::stoi(std::string(value));
    }
  }
}

}  // namespace mandate::http::internal

#include "src/enforce/internal/line_io.h"

#include <unistd.h>

#include <cerrno>

namespace mandate::enforce::internal {

std::optional<std::string> LineReader::Next() {
  oversized_ = false;
  bool discarding = false;
  while (true) {
    size_t nl = buffer_.find('\n', start_);
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(start_, nl - start_);
      start_ = nl + 1;
      if (discarding) {
        oversized_ = true;
        return std::string();
      }
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (start_ > 0) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    if (buffer_.size() > max_) {
      discarding = true;
      buffer_.clear();
    }
    if (eof_) {
      if (buffer_.empty() && !discarding) return std::nullopt;
      std::string line = discarding ? std::string() : std::move(buffer_);
      buffer_.clear();
      oversized_ = discarding;
      if (line.empty() && !discarding) return std::nullopt;
      return line;
    }
    char chunk[65536];
    ssize_t n = ::read(fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

bool LineWriter::Write(std::string_view line) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return false;
  std::string out(line);
  out.push_back('\n');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void LineWriter::Close() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace mandate::enforce::internal

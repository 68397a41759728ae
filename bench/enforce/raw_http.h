// A bare HTTP/1.1 client connection for the bench tools: non-blocking socket, one request in
// flight, Content-Length framing only. The tools drive many of these from ONE thread with
// ppoll(), so the load generator and the probe take one core-slice, not a thread per
// connection, and their own timing noise stays out of what they measure.
// Thread-safety: none; one thread owns a connection.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

namespace mandate::bench {

using Clock = std::chrono::steady_clock;

struct HostPort {
  std::string host;  // an IPv4 address
  uint16_t port = 0;
  std::string target;  // origin-form, "/" when absent
};

inline std::optional<HostPort> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return std::nullopt;
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  rest = rest.substr(0, slash);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  int port = std::atoi(rest.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return std::nullopt;
  return HostPort{rest.substr(0, colon), static_cast<uint16_t>(port), target};
}

class RawConnection {
 public:
  explicit RawConnection(HostPort target) : target_(std::move(target)) {}
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool Connect() {
    Close();
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(target_.port);
    if (fd_ < 0 || inet_pton(AF_INET, target_.host.c_str(), &addr.sin_addr) != 1) return false;
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    failed_ = false;
    in_flight_ = false;
    return fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK) == 0;
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // Writes the whole request (small: the loopback socket buffer takes it at once).
  bool Send(const std::string& request) {
    in_.clear();
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = write(fd_, request.data() + off, request.size() - off);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    in_flight_ = true;
    sent_at_ = Clock::now();
    return true;
  }

  // Reads what is there; true once a whole response is in (status(), reason(), keep_alive()).
  // failed() when the connection broke or the answer is not Content-Length framed.
  bool Read() {
    char buf[8192];
    while (true) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      failed_ = true;
      return false;
    }
    size_t head_end = in_.find("\r\n\r\n");
    if (head_end == std::string::npos || in_.size() < 12) return false;
    std::string head = in_.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head.find("\r\ntransfer-encoding:") != std::string::npos) {
      failed_ = true;
      return false;
    }
    size_t length = 0;
    if (size_t p = head.find("\r\ncontent-length:"); p != std::string::npos) {
      length = std::strtoul(head.c_str() + p + 17, nullptr, 10);
    }
    if (in_.size() < head_end + 4 + length) return false;
    status_ = std::atoi(in_.c_str() + 9);
    body_.assign(in_, head_end + 4, length);
    reason_ = HeaderValue(head, "x-mandate-reason");
    keep_alive_ = HeaderValue(head, "connection") != "close";
    in_flight_ = false;
    return true;
  }

  int fd() const { return fd_; }
  bool in_flight() const { return in_flight_; }
  bool failed() const { return failed_; }
  int status() const { return status_; }
  const std::string& reason() const { return reason_; }
  const std::string& body() const { return body_; }
  bool keep_alive() const { return keep_alive_; }
  Clock::time_point sent_at() const { return sent_at_; }
  const HostPort& target() const { return target_; }

 private:
  // `head` is lowercased; the value of the first `name` header, trimmed.
  static std::string HeaderValue(const std::string& head, const std::string& name) {
    size_t p = head.find("\r\n" + name + ":");
    if (p == std::string::npos) return {};
    size_t start = head.find_first_not_of(' ', p + name.size() + 3);
    if (start == std::string::npos) return {};
    return head.substr(start, head.find("\r\n", start) - start);
  }

  HostPort target_;
  int fd_ = -1;
  std::string in_;
  bool in_flight_ = false;
  bool failed_ = false;
  bool keep_alive_ = true;
  int status_ = 0;
  std::string reason_;
  std::string body_;
  Clock::time_point sent_at_{};
};

// ppoll with a time point (microsecond timeouts; poll's milliseconds would be too coarse).
inline void PollUntil(std::vector<pollfd>& fds, Clock::time_point until) {
  const auto wait_ns = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(until - Clock::now()).count());
  const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                         static_cast<long>(wait_ns % 1'000'000'000)};
  ppoll(fds.data(), fds.size(), &timeout, nullptr);
}

}  // namespace mandate::bench

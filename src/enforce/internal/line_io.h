// Newline-delimited message I/O on file descriptors for the stdio MCP transport (one JSON-RPC
// message per line, as MCP's stdio transport defines it).
// Thread-safety: a LineReader belongs to one thread; LineWriter serialises writers.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mandate::enforce::internal {

class LineReader {
 public:
  LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_(max_line_bytes) {}
  // The next line without its `\n` (and `\r`); nullopt at end of input. A line longer than the
  // limit is returned as "" with `oversized()` true (its bytes are discarded).
  std::optional<std::string> Next();
  bool oversized() const { return oversized_; }

 private:
  int fd_;
  size_t max_;
  std::string buffer_;
  size_t start_ = 0;
  bool eof_ = false;
  bool oversized_ = false;
};

class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  // Writes `line` + `\n` atomically with respect to other writers. False if the peer is gone.
  bool Write(std::string_view line);
  void Close();

 private:
  std::mutex mu_;
  int fd_;  // GUARDED_BY(mu_)
};

}  // namespace mandate::enforce::internal

#include "src/util/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mandate {

Result<std::string> ReadFileBytes(const std::string& path, size_t max_bytes) {
  auto unreadable = [&](int error) {
    return Err(NotFound("file.unreadable", "cannot read `" + path + "`: " + std::strerror(error)));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(errno);
  std::string bytes;
  char chunk[64 << 10];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return unreadable(error);
    }
    if (n == 0) break;
    // Pipes and devices have no size to check up front: count what arrives.
    if (static_cast<size_t>(n) > max_bytes - bytes.size()) {
      ::close(fd);
      return Err(InvalidArgument("file.too_large", "`" + path + "` is larger than " +
                                                       std::to_string(max_bytes) + " bytes"));
    }
    bytes.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

Result<std::string> ReadTrimmedFile(const std::string& path, size_t max_bytes) {
  auto text = ReadFileBytes(path, max_bytes);
  if (!text) return text;
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return text;
}

}  // namespace mandate

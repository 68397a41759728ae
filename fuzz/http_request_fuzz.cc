// libFuzzer target for the server's HTTP/1.1 request reader (src/http/internal/request_reader.h).
// The input is a connection's byte stream; its first byte picks how it arrives (all at once, or
// in reads of 1 to 255 bytes). Requests are read one after another as the server does. Nothing
// may crash; a request read must respect the limits; and how the bytes were split must not
// change what is read, nor where a request ends.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "src/http/internal/request_reader.h"

namespace {

using mandate::http::internal::RequestReader;

constexpr RequestReader::Limits kLimits{.max_header_bytes = 2048, .max_body_bytes = 1024};

// Each request of the stream as read: its parts, or its refusal; then the stream stops.
std::vector<std::string> ReadAll(std::string_view stream, size_t step) {
  std::vector<std::string> read;
  RequestReader reader(kLimits);
  std::string pending;
  size_t offered = 0;
  bool whole = false;
  for (;;) {
    pending.erase(0, reader.Feed(pending, whole));
    if (reader.failed()) {
      read.push_back("refused " + std::to_string(reader.error().status) + " " +
                     reader.error().message);
      return read;
    }
    if (reader.done()) {
      if (reader.body().size() > kLimits.max_body_bytes) std::abort();
      std::string r = std::string(reader.method()) + " " + std::string(reader.target()) + " " +
                      std::to_string(reader.version()) + (reader.keep_alive() ? " ka" : " close");
      for (const auto& f : reader.fields()) {
        if (f.name.empty() || reader.Field(f.name) == std::nullopt) std::abort();
        r += "\n" + std::string(f.name) + ":" + std::string(f.value);
      }
      read.push_back(r + "\n\n" + std::string(reader.body()));
      reader.Reset();
      whole = false;
      continue;
    }
    if (!whole && reader.head_done()) {
      whole = true;
      continue;
    }
    if (offered == stream.size()) {
      read.push_back("incomplete");
      return read;
    }
    const size_t n = std::min(step, stream.size() - offered);
    pending.append(stream.substr(offered, n));
    offered += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t step = data[0] == 0 ? SIZE_MAX : data[0];
  if (ReadAll(stream, step) != ReadAll(stream, SIZE_MAX)) std::abort();
  return 0;
}

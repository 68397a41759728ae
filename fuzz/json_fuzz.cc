// Strict JSON parsing never crashes and never accepts what Boost.JSON rejects.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = mandate::json::Parse(
      std::string_view(reinterpret_cast<const char*>(data), size), {.max_bytes = 1 << 16});
  if (parsed) (void)mandate::json::Serialize(*parsed);
  return 0;
}

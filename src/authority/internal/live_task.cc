#include "src/authority/internal/live_task.h"

#include <sodium.h>

#include <charconv>

namespace mandate::authority {

std::string FormatTaskId(uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "t_0000000000000000";
  for (int i = 17; i >= 2; --i, id >>= 4) out[i] = kHex[id & 0xf];
  return out;
}

bool ParseTaskId(std::string_view text, uint64_t* id) {
  if (text.size() != 18 || text.substr(0, 2) != "t_") return false;
  for (char c : text.substr(2)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), *id, 16);
  return ec == std::errc() && end == text.data() + text.size() && *id != 0;
}

uint64_t NewTaskKey() {
  uint64_t id = 0;
  while (id == 0) randombytes_buf(&id, sizeof(id));
  return id;
}

}  // namespace mandate::authority

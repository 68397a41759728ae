#include "src/authority/internal/live_task.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <charconv>

namespace mandate::authority {

namespace {
const std::shared_ptr<const std::string>& EmptyString() {
  static const auto* empty =
      new std::shared_ptr<const std::string>(std::make_shared<std::string>());
  return *empty;
}

void PutCount(std::string& out, size_t n) {
  const auto v = static_cast<uint32_t>(n);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetCount(std::string_view in, size_t& at) {
  uint32_t v = 0;
  for (int i = 0; i < 4 && at < in.size(); ++i, ++at) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[at])) << (8 * i);
  }
  return v;
}
}  // namespace

SharedString::SharedString() : s_(EmptyString()) {}
SharedString::SharedString(std::string s) : s_(std::make_shared<const std::string>(std::move(s))) {}

SharedString StringInterner::Intern(std::string_view value) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = strings_.try_emplace(std::string(value));
  if (auto live = it->second.lock()) return SharedString(std::move(live));
  auto fresh = std::make_shared<const std::string>(value);
  it->second = fresh;
  // Values no task holds any more are dropped whenever the table doubles.
  if (strings_.size() >= purge_at_) {
    std::erase_if(strings_, [](const auto& entry) { return entry.second.expired(); });
    purge_at_ = std::max<size_t>(1024, 2 * strings_.size());
  }
  return SharedString(std::move(fresh));
}

PackedInputs::PackedInputs(const TaskInputs& inputs) {
  static std::atomic<uint64_t> next_id{0};
  id_ = next_id.fetch_add(1, std::memory_order_relaxed) + 1;
  size_t size = 4;
  for (const auto& values : inputs.values) {
    size += 4;
    for (const auto& v : values) size += 4 + v.size();
  }
  bytes_.reserve(size);
  PutCount(bytes_, inputs.values.size());
  for (const auto& values : inputs.values) {
    PutCount(bytes_, values.size());
    for (const auto& v : values) {
      PutCount(bytes_, v.size());
      bytes_ += v;
    }
  }
}

TaskInputs PackedInputs::Unpack() const {
  TaskInputs out;
  UnpackInto(out);
  return out;
}

void PackedInputs::UnpackInto(TaskInputs& out) const {
  if (bytes_.empty()) {
    out.values.clear();
    return;
  }
  size_t at = 0;
  out.values.resize(GetCount(bytes_, at));
  for (auto& values : out.values) {
    values.resize(GetCount(bytes_, at));
    for (auto& v : values) {
      const size_t n = GetCount(bytes_, at);
      v.assign(bytes_, at, n);
      at += n;
    }
  }
}

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

// Immutable Cedar values memoised by the exact bytes they are built from. A decision rebuilds
// the same `context.task.count` record, step and label sets and `context.inputs` record for
// every call of a task, and for every task at the same point of the same mandate; building them
// is most of the allocations of a decision. Per thread (no lock), direct-mapped and bounded; a
// hit compares the whole key, so it can never return another key's value.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "src/cedar/cedar.h"

namespace mandate::authority {

class ValueMemo {
 public:
  // The value for `key`, built by `build()` on a miss. A copy (one shared pointer): a later Get
  // may reuse the slot.
  template <typename Build>
  cedar::Value Get(std::string_view key, Build&& build) {
    if (!slots_) slots_ = std::make_unique<Slot[]>(kSlots);  // only threads that decide pay
    Slot& slot = slots_[Hash(key) % kSlots];
    if (slot.key != key) {
      slot.value = build();
      slot.key.assign(key);
    }
    return slot.value;
  }

 private:
  // A memo key is short (a mandate id, a tag and a few bytes of progress): 8 bytes at a time,
  // multiply and fold, about a third of std::hash's instructions. It only picks the slot; a hit
  // still compares the whole key.
  static uint64_t Hash(std::string_view key) {
    uint64_t h = key.size() * 0x9e3779b97f4a7c15;
    size_t at = 0;
    for (; at + 8 <= key.size(); at += 8) {
      uint64_t word;
      std::memcpy(&word, key.data() + at, 8);
      h = (h ^ word) * 0xff51afd7ed558ccd;
      h ^= h >> 32;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, key.data() + at, key.size() - at);
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53;
    return h ^ (h >> 29);
  }

  // About four values per task (counts, labels read, steps done, inputs): room for a thousand
  // tasks in flight on one thread, each task's values found again at its next call.
  static constexpr size_t kSlots = 4096;
  struct Slot {
    std::string key;  // empty: unused (every key starts with its mandate's memo id)
    cedar::Value value;
  };
  std::unique_ptr<Slot[]> slots_;
};

// A memo key: a mandate's process-unique memo id (so values of two mandates, or of a mandate
// compiled again after another was freed at the same address, never mix), then raw bytes.
class MemoKey {
 public:
  explicit MemoKey(uint64_t memo_id) { Append(&memo_id, sizeof memo_id); }
  // False when the bytes do not fit: the caller builds the value without the memo.
  bool Append(const void* bytes, size_t n) {
    if (n > sizeof buffer_ - size_) return fits_ = false;
    std::memcpy(buffer_ + size_, bytes, n);
    size_ += n;
    return fits_;
  }
  bool fits() const { return fits_; }
  std::string_view view() const { return {buffer_, size_}; }

 private:
  char buffer_[256];
  size_t size_ = 0;
  bool fits_ = true;
};

}  // namespace mandate::authority

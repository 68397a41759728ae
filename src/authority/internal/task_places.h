// TaskPlaces: where a TaskTable's tasks live, in blocks. Past the first 16 MiB (about 50,000
// tasks), blocks of 2 MiB that the kernel is asked to back with huge pages (MADV_HUGEPAGE; with
// transparent huge pages in `madvise` or `always` mode): at a million live tasks the task a
// decision reads is a TLB miss on 4 KiB pages and almost never on 2 MiB ones, without the
// operator tuning malloc (docs/operations.md). Smaller tables keep 64 KiB blocks, where a huge
// page would mostly hold nothing. No allocation header per task, and a Task aligned to cache
// lines stays aligned. A returned place is reused by the next task; the blocks go when the table
// does.
//
// Thread-safety: Take and Give are safe from any thread (one mutex; task start and end only).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace mandate::authority {

template <typename Task>
class TaskPlaces {
 public:
  static constexpr size_t kHugeBlockBytes = size_t{2} << 20;
  static constexpr size_t kSmallBlockBytes = size_t{64} << 10;
  static constexpr size_t kSmallBytesTotal = size_t{16} << 20;  // then huge blocks
  static_assert(kSmallBlockBytes / sizeof(Task) > 0 && kSmallBlockBytes % alignof(Task) == 0);

  TaskPlaces() = default;
  TaskPlaces(const TaskPlaces&) = delete;
  TaskPlaces& operator=(const TaskPlaces&) = delete;
  ~TaskPlaces() {
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const Block& block = blocks_[b];
      const size_t constructed = b + 1 == blocks_.size() ? used_ : block.capacity;
      for (size_t i = 0; i < constructed; ++i) block.tasks[i].~Task();
      LeakCheckRoot(block.tasks, block.bytes, false);
      munmap(block.tasks, block.bytes);
    }
  }

  // A place holding `task`, owned by the caller until it is given back.
  Task* Take(Task&& task) {
    std::lock_guard lock(mu_);
    if (!spare_.empty()) {
      Task* place = spare_.back();
      spare_.pop_back();
      *place = std::move(task);
      return place;
    }
    if (blocks_.empty() || used_ == blocks_.back().capacity) {
      const bool huge = mapped_ >= kSmallBytesTotal;
      const size_t bytes = huge ? kHugeBlockBytes : kSmallBlockBytes;
      blocks_.push_back({static_cast<Task*>(MapBlock(bytes, huge)), bytes / sizeof(Task), bytes});
      mapped_ += bytes;
      used_ = 0;
    }
    return new (&blocks_.back().tasks[used_++]) Task(std::move(task));
  }

  // Ends the task at `place` (its members are released now) and keeps the place for reuse.
  void Give(Task* place) {
    *place = Task();
    std::lock_guard lock(mu_);
    spare_.push_back(place);
  }

 private:
  // `bytes` aligned to `bytes` (a huge page must be), from a mapping twice as large trimmed on
  // both sides.
  static void* MapBlock(size_t bytes, bool huge) {
    const size_t span = 2 * bytes;
    void* mapped = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    char* raw = static_cast<char*>(mapped);
    const uintptr_t at = reinterpret_cast<uintptr_t>(raw);
    char* block = raw + ((bytes - at % bytes) % bytes);
    if (block > raw) munmap(raw, static_cast<size_t>(block - raw));
    char* end = block + bytes;
    if (raw + span > end) munmap(end, static_cast<size_t>(raw + span - end));
    if (huge) (void)madvise(block, bytes, MADV_HUGEPAGE);  // a hint: 4 KiB pages work too
    LeakCheckRoot(block, bytes, true);
    return block;
  }

  // Tasks hold heap memory (strings, progress) that only these blocks point to: the leak
  // checker of a sanitizer build must scan them as it scans the heap, or it reports that memory
  // as leaked (and misses real leaks behind it).
  static void LeakCheckRoot([[maybe_unused]] void* block, [[maybe_unused]] size_t bytes,
                            [[maybe_unused]] bool add) {
#if defined(__SANITIZE_ADDRESS__)
    if (add) {
      __lsan_register_root_region(block, bytes);
    } else {
      __lsan_unregister_root_region(block, bytes);
    }
#endif
  }

  struct Block {
    Task* tasks;
    size_t capacity;  // tasks
    size_t bytes;
  };
  std::mutex mu_;
  std::vector<Block> blocks_;  // GUARDED_BY(mu_)
  size_t mapped_ = 0;          // GUARDED_BY(mu_): bytes of all blocks
  size_t used_ = 0;            // GUARDED_BY(mu_): places constructed in the last block
  std::vector<Task*> spare_;   // GUARDED_BY(mu_): constructed, not in use
};

}  // namespace mandate::authority

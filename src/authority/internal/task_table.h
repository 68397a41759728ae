// TaskTable: every live task in memory, sharded so decisions on different tasks run in
// parallel while the calls of one task are serialised (a task's progress must move atomically
// with its decision).
//
// Each shard is an open-addressed table of {id, task} slots probed linearly from the id's own
// bits (task ids are random, so they need no hashing): finding a task reads one slot line and
// then the task, where a node-based map read its bucket, the node before the task's and the
// task's own node, each a cache miss (and a TLB miss) once a million tasks are live. Prefetch
// starts loading the slot as soon as the id is known, PrefetchPlace the task itself. The tasks
// live in TaskPlaces (huge pages where the kernel gives them), so a task's address is stable
// for as long as it is in the table.
//
// Thread-safety: every method is safe from any thread. `WithTask` runs its function under the
// shard's lock: the function must be short and must not call back into the table.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "src/authority/internal/task_places.h"
#include "src/util/adaptive_mutex.h"

namespace mandate::authority {

template <typename Task>
class TaskTable {
 public:
  TaskTable() = default;
  TaskTable(const TaskTable&) = delete;
  TaskTable& operator=(const TaskTable&) = delete;

  // Runs f(Task*) with the task locked; f gets nullptr when the task is unknown.
  template <typename F>
  auto WithTask(uint64_t id, F&& f) {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    Slot* slot = shard.Find(id);
    return f(slot == nullptr ? nullptr : slot->task);
  }

  // Starts loading the slot where task `id` would be (no lock: a hint that never faults, even
  // when the shard grows meanwhile).
  void Prefetch(uint64_t id) const {
    const Shard& shard = ShardOf(id);
    const Slot* slots = shard.slots.load(std::memory_order_relaxed);
    const uint64_t mask = shard.mask.load(std::memory_order_relaxed);
    if (slots != nullptr) __builtin_prefetch(&slots[Home(id) & mask]);
  }

  // Where task `id` lives now (nullptr when unknown), read under the shard's lock: a hint for
  // PrefetchPlace. A place stays put while its task lives; afterwards another task may get it.
  const Task* PlaceOf(uint64_t id) {
    return WithTask(id, [](const Task* t) { return t; });
  }

  // Starts loading the task at `place` without any lock: a prefetch never faults, so a place
  // its task has left (or memory since returned) costs one useless load, never a wrong answer.
  static void PrefetchPlace(const Task* place) {
    if (place == nullptr) return;
    const char* bytes = reinterpret_cast<const char*>(place);
    for (size_t at = 0; at < sizeof(Task); at += 64) __builtin_prefetch(bytes + at);
  }

  // Inserts or replaces the task with this id.
  void Put(uint64_t id, Task task) {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    if (Slot* slot = shard.Find(id)) {
      *slot->task = std::move(task);
      return;
    }
    shard.Insert(id, places_.Take(std::move(task)));
  }

  // Removes a task (terminal tasks leave memory once persisted).
  void Erase(uint64_t id) {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    if (Task* place = shard.Erase(id)) places_.Give(place);
  }

  // Lists task `id` for the next TakeChanged. REQUIRES: called from inside WithTask(id, ...)
  // (the shard's lock is held), at most once per task between two TakeChanged calls (the
  // caller keeps a flag in the task).
  void ListChanged(uint64_t id) { ShardOf(id).changed.push_back(id); }

  // Calls f(uint64_t id, Task&) for every task listed since the last call that is still in the
  // table, one shard locked at a time. The cost follows the changes, not the live tasks: a
  // periodic checkpoint that visited all of a million tasks read a million cache lines.
  template <typename F>
  void TakeChanged(F&& f) {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      for (uint64_t id : shard.changed) {
        if (Slot* slot = shard.Find(id)) f(id, *slot->task);
      }
      shard.changed.clear();
      if (shard.changed.capacity() > 4096) shard.changed = {};  // a burst keeps no memory
    }
  }

  // Calls f(uint64_t id, Task&) for every task, one shard locked at a time.
  template <typename F>
  void ForEach(F&& f) {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      for (Slot& slot : shard.storage) {
        if (slot.id != 0) f(slot.id, *slot.task);
      }
    }
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      n += shard.count;
    }
    return n;
  }

  void Reserve(size_t tasks) {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      shard.Grow(tasks / kShards + 1);
    }
  }

 private:
  static constexpr size_t kShards = 256;
  struct Slot {
    uint64_t id = 0;  // 0: empty (task ids are never 0)
    Task* task = nullptr;
  };
  // The shard is chosen by the low bits, the home slot by the bits above them.
  static uint64_t Home(uint64_t id) { return id >> 8; }
  static_assert(kShards == 256);

  struct Shard {
    mutable AdaptiveMutex mu;
    std::vector<Slot> storage;      // GUARDED_BY(mu); a power of two long, at most 3/4 full
    size_t count = 0;               // GUARDED_BY(mu)
    std::vector<uint64_t> changed;  // GUARDED_BY(mu): listed by ListChanged
    // storage.data() and its size - 1, readable without the lock by Prefetch.
    std::atomic<const Slot*> slots{nullptr};
    std::atomic<uint64_t> mask{0};

    Slot* Find(uint64_t id) {
      if (storage.empty()) return nullptr;
      const uint64_t m = storage.size() - 1;
      for (uint64_t i = Home(id) & m;; i = (i + 1) & m) {
        Slot& slot = storage[i];
        if (slot.id == id) return &slot;
        if (slot.id == 0) return nullptr;
      }
    }
    void Insert(uint64_t id, Task* place) {
      if (4 * (count + 1) > 3 * storage.size()) Grow(count + 1);
      const uint64_t m = storage.size() - 1;
      uint64_t i = Home(id) & m;
      while (storage[i].id != 0) i = (i + 1) & m;
      storage[i] = {id, place};
      ++count;
    }
    // Backward-shift deletion: no tombstones, so a lookup stops at the first empty slot.
    // Returns the erased task's place (null: no such task).
    Task* Erase(uint64_t id) {
      Slot* found = Find(id);
      if (found == nullptr) return nullptr;
      const uint64_t m = storage.size() - 1;
      uint64_t hole = static_cast<uint64_t>(found - storage.data());
      for (uint64_t i = (hole + 1) & m; storage[i].id != 0; i = (i + 1) & m) {
        const uint64_t home = Home(storage[i].id) & m;
        // The entry at i may move into the hole when its home is not in (hole, i].
        if (((i - home) & m) >= ((i - hole) & m)) {
          std::swap(storage[hole], storage[i]);
          hole = i;
        }
      }
      Task* place = storage[hole].task;  // the erased task, moved along to the last hole
      storage[hole] = Slot();
      --count;
      return place;
    }
    // Room for `tasks` at most 3/4 full.
    void Grow(size_t tasks) {
      size_t capacity = 16;
      while (3 * capacity < 4 * tasks) capacity *= 2;
      if (capacity <= storage.size()) return;
      std::vector<Slot> old = std::exchange(storage, std::vector<Slot>(capacity));
      const uint64_t m = capacity - 1;
      for (Slot& slot : old) {
        if (slot.id == 0) continue;
        uint64_t i = Home(slot.id) & m;
        while (storage[i].id != 0) i = (i + 1) & m;
        storage[i] = std::move(slot);
      }
      slots.store(storage.data(), std::memory_order_relaxed);
      mask.store(m, std::memory_order_relaxed);
    }
  };
  Shard& ShardOf(uint64_t id) { return shards_[id % kShards]; }
  const Shard& ShardOf(uint64_t id) const { return shards_[id % kShards]; }
  TaskPlaces<Task> places_;  // owns every task; the slots point into it
  std::array<Shard, kShards> shards_;
};

}  // namespace mandate::authority

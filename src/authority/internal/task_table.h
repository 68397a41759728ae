// TaskTable: every live task in memory, sharded so decisions on different tasks run in
// parallel while the calls of one task are serialised (a task's progress must move atomically
// with its decision).
//
// Thread-safety: every method is safe from any thread. `WithTask` runs its function under the
// shard's lock: the function must be short and must not call back into the table.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mandate::authority {

template <typename Task>
class TaskTable {
 public:
  // Runs f(Task*) with the task locked; f gets nullptr when the task is unknown.
  template <typename F>
  auto WithTask(uint64_t id, F&& f) {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    auto it = shard.tasks.find(id);
    return f(it == shard.tasks.end() ? nullptr : &it->second);
  }

  // Inserts or replaces the task with this id.
  void Put(uint64_t id, Task task) {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    shard.tasks.insert_or_assign(id, std::move(task));
  }

  // Removes a task (terminal tasks leave memory once persisted).
  void Erase(uint64_t id) {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    shard.tasks.erase(id);
  }

  // Calls f(uint64_t id, Task&) for every task, one shard locked at a time.
  template <typename F>
  void ForEach(F&& f) {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      for (auto& [id, task] : shard.tasks) f(id, task);
    }
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      n += shard.tasks.size();
    }
    return n;
  }

  void Reserve(size_t tasks) {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      shard.tasks.reserve(tasks / kShards + 1);
    }
  }

 private:
  static constexpr size_t kShards = 256;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, Task> tasks;  // GUARDED_BY(mu)
  };
  // Task ids are random, so the low bits spread evenly.
  Shard& ShardOf(uint64_t id) { return shards_[id % kShards]; }
  std::array<Shard, kShards> shards_;
};

}  // namespace mandate::authority

#include "src/authority/internal/task_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace mandate::authority {
namespace {

size_t CountOf(TaskTable<std::string>& table) {
  size_t n = 0;
  table.ForEach([&](uint64_t, std::string&) { ++n; });
  return n;
}

// Random inserts, replacements and erasures against a std::map, with ids that collide on their
// home slot (the same bits above the shard's) so probe chains and backward shifts are exercised.
TEST(TaskTableTest, AgreesWithAMapUnderChurn) {
  TaskTable<std::string> table;
  std::map<uint64_t, std::string> model;
  std::mt19937_64 random(7);
  auto some_id = [&] {
    const uint64_t bits = random() % 4096;  // few distinct ids: many hits and collisions
    return ((bits % 64) << 8 | (bits / 64) << 40 | (bits % 3)) + 1;
  };
  for (int round = 0; round < 50'000; ++round) {
    const uint64_t id = some_id();
    switch (random() % 3) {
      case 0:
      case 1:
        table.Put(id, std::to_string(round));
        model[id] = std::to_string(round);
        break;
      case 2:
        table.Erase(id);
        model.erase(id);
        break;
    }
    if (round % 997 == 0) {
      ASSERT_EQ(table.size(), model.size());
      for (const auto& [key, value] : model) {
        table.Prefetch(key);
        ASSERT_EQ(table.WithTask(key, [](std::string* s) { return s ? *s : "missing"; }), value);
      }
    }
  }
  for (uint64_t i = 1; i < 9000; ++i) {
    const bool present = model.count(i) != 0;
    ASSERT_EQ(table.WithTask(i, [](std::string* s) { return s != nullptr; }), present) << i;
  }
  EXPECT_EQ(CountOf(table), model.size());
}

// A task's place is stable while it lives (bound connections keep it as a prefetch hint), and
// prefetching a place its task has left, or none, is harmless.
TEST(TaskTableTest, PlacesAreStableHintsForPrefetching) {
  TaskTable<std::string> table;
  EXPECT_EQ(table.PlaceOf(7), nullptr);
  TaskTable<std::string>::PrefetchPlace(nullptr);
  table.Put(7, "seven");
  const std::string* place = table.PlaceOf(7);
  ASSERT_NE(place, nullptr);
  for (uint64_t id = 100; id < 5000; ++id) table.Put(id, "other");  // the shards grow
  EXPECT_EQ(table.PlaceOf(7), place);
  EXPECT_EQ(table.WithTask(7, [](std::string* s) { return s; }), place);
  table.Erase(7);
  TaskTable<std::string>::PrefetchPlace(place);  // left by its task: a useless load, no fault
  EXPECT_EQ(table.PlaceOf(7), nullptr);
}

// A checkpoint visits the tasks listed as changed, not every live task; a task that ended
// meanwhile is skipped, and a listing lasts until the next TakeChanged.
TEST(TaskTableTest, TakeChangedVisitsListedTasksOnce) {
  TaskTable<std::string> table;
  for (uint64_t id = 1; id <= 2000; ++id) table.Put(id, "v" + std::to_string(id));
  for (uint64_t id : {5, 300, 1999, 77}) {
    table.WithTask(id, [&](std::string* s) {
      *s += "!";
      table.ListChanged(id);
    });
  }
  table.Erase(77);
  std::map<uint64_t, std::string> seen;
  table.TakeChanged([&](uint64_t id, std::string& s) { seen[id] = s; });
  EXPECT_EQ(seen, (std::map<uint64_t, std::string>{{5, "v5!"}, {300, "v300!"}, {1999, "v1999!"}}));
  size_t again = 0;
  table.TakeChanged([&](uint64_t, std::string&) { ++again; });
  EXPECT_EQ(again, 0u);
}

TEST(TaskTableTest, UnknownIdsAndEmptyShards) {
  TaskTable<std::string> table;
  table.Prefetch(42);  // an empty shard: nothing to load, no fault
  EXPECT_FALSE(table.WithTask(42, [](std::string* s) { return s != nullptr; }));
  table.Erase(42);
  table.Reserve(100'000);
  table.Put(42, "a");
  EXPECT_EQ(table.size(), 1u);
  table.Erase(42);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(CountOf(table), 0u);
}

// Past the small blocks (16 MiB of tasks) places come from huge-page blocks; every task keeps
// its value and its address through inserts and erasures around that boundary.
TEST(TaskTableTest, LargeTablesMoveToHugeBlocks) {
  struct alignas(64) Big {
    uint64_t value = 0;
    char padding[4088] = {};
  };
  TaskTable<Big> table;
  constexpr uint64_t kTasks = 5000;  // 20 MiB of tasks
  for (uint64_t i = 1; i <= kTasks; ++i) table.Put(i * 0x9e3779b97f4a7c15 | 1, Big{i, {}});
  for (uint64_t i = 1; i <= kTasks; i += 2) table.Erase(i * 0x9e3779b97f4a7c15 | 1);
  for (uint64_t i = kTasks + 1; i <= kTasks + 1000; ++i) {
    table.Put(i * 0x9e3779b97f4a7c15 | 1, Big{i, {}});
  }
  EXPECT_EQ(table.size(), kTasks / 2 + 1000);
  for (uint64_t i = 1; i <= kTasks + 1000; ++i) {
    const uint64_t want = (i <= kTasks && i % 2 == 1) ? 0 : i;
    EXPECT_EQ(table.WithTask(i * 0x9e3779b97f4a7c15 | 1, [](Big* b) { return b ? b->value : 0; }),
              want);
  }
}

}  // namespace
}  // namespace mandate::authority

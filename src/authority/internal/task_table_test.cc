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

}  // namespace
}  // namespace mandate::authority

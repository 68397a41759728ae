#include "src/authority/internal/live_task.h"

#include <gtest/gtest.h>

#include <thread>

namespace mandate::authority {
namespace {

TEST(PackedInputsTest, RoundTripsEveryShape) {
  TaskInputs inputs;
  inputs.values = {{"V-1"},
                   {},
                   {"a@example.com", "b@example.com", ""},
                   {std::string(70'000, 'x')},
                   {std::string("nul\0inside", 10)}};
  EXPECT_EQ(PackedInputs(inputs).Unpack().values, inputs.values);
}

TEST(PackedInputsTest, EmptyIsNoInputs) {
  EXPECT_TRUE(PackedInputs().Unpack().values.empty());
  EXPECT_TRUE(PackedInputs(TaskInputs{}).Unpack().values.empty());
}

// The decision path memoises a task's unpacked inputs by this id: one id must never name two
// contents, while copies (the tasks of one StartTasks batch) may share theirs.
TEST(PackedInputsTest, EachPackingHasItsOwnIdAndCopiesShareIt) {
  TaskInputs a;
  a.values = {{"V-1"}};
  TaskInputs b;
  b.values = {{"V-2"}};
  const PackedInputs first(a), second(b), again(a);
  EXPECT_NE(first.id(), 0u);
  EXPECT_NE(first.id(), second.id());
  EXPECT_NE(first.id(), again.id());  // the same content packed again: a new id, still sound
  const PackedInputs copy = first;
  EXPECT_EQ(copy.id(), first.id());
  EXPECT_EQ(copy.bytes(), first.bytes());
  EXPECT_EQ(PackedInputs().id(), 0u);
}

TEST(SharedStringTest, ReadsAsTheString) {
  SharedString s("spiffe://example.org/agents/a");
  const std::string& view = s;
  EXPECT_EQ(view, "spiffe://example.org/agents/a");
  EXPECT_TRUE(s == std::string_view("spiffe://example.org/agents/a"));
  EXPECT_FALSE(s == std::string_view("spiffe://example.org/agents/b"));
  EXPECT_TRUE(SharedString().empty());
}

TEST(StringInternerTest, SharesOneCopyPerValue) {
  StringInterner interner;
  SharedString a = interner.Intern("agent-a");
  SharedString b = interner.Intern("agent-a");
  SharedString c = interner.Intern("agent-c");
  EXPECT_EQ(&a.str(), &b.str());
  EXPECT_NE(&a.str(), &c.str());
  EXPECT_EQ(c.str(), "agent-c");
}

TEST(StringInternerTest, ForgetsValuesNoTaskHolds) {
  StringInterner interner;
  // Far more distinct values than the purge threshold, none kept: they must not pile up, and a
  // value interned again after being dropped is still right.
  for (int i = 0; i < 10'000; ++i)
    EXPECT_EQ(interner.Intern(std::to_string(i)).str(), std::to_string(i));
  SharedString kept = interner.Intern("kept");
  for (int i = 0; i < 10'000; ++i) (void)interner.Intern("x" + std::to_string(i));
  EXPECT_EQ(&interner.Intern("kept").str(), &kept.str());
}

TEST(StringInternerTest, SafeFromManyThreads) {
  StringInterner interner;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2'000; ++i)
        ASSERT_EQ(interner.Intern(std::to_string(i % 50)).str(), std::to_string(i % 50));
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace mandate::authority

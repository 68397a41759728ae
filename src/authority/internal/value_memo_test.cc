#include "src/authority/internal/value_memo.h"

#include <gtest/gtest.h>

#include <string>

namespace mandate::authority {
namespace {

cedar::Value Str(const std::string& s) { return cedar::Value::String(s); }

TEST(ValueMemoTest, BuildsOnceForTheSameKey) {
  ValueMemo memo;
  MemoKey key(7);
  key.Append("count", 5);
  int builds = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(memo.Get(key.view(), [&] { return ++builds, Str("a"); }), Str("a"));
  }
  EXPECT_EQ(builds, 1);
}

TEST(ValueMemoTest, NeverReturnsAnotherKeysValue) {
  // Every key of many maps to one of a few slots: a slot taken by another key rebuilds.
  ValueMemo memo;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5000; ++i) {
      MemoKey key(1);
      key.Append(&i, sizeof i);
      const std::string want = std::to_string(i);
      ASSERT_EQ(memo.Get(key.view(), [&] { return Str(want); }), Str(want)) << i;
    }
  }
}

TEST(ValueMemoTest, MandatesWithTheSameBytesDoNotShare) {
  ValueMemo memo;
  MemoKey first(1), second(2);
  first.Append("x", 1);
  second.Append("x", 1);
  EXPECT_EQ(memo.Get(first.view(), [] { return Str("first"); }), Str("first"));
  EXPECT_EQ(memo.Get(second.view(), [] { return Str("second"); }), Str("second"));
}

TEST(ValueMemoTest, KeysTooLongAreRefusedNotTruncated) {
  MemoKey key(1);
  volatile size_t size = 300;  // not a constant: g++ 12 -O3 warns about the copy it never makes
  std::string big(size, 'x');
  EXPECT_FALSE(key.Append(big.data(), big.size()));
  EXPECT_FALSE(key.fits());
  EXPECT_EQ(key.view().size(), sizeof(uint64_t));
}

}  // namespace
}  // namespace mandate::authority

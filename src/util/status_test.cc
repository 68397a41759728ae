#include "src/util/status.h"

#include <gtest/gtest.h>

#include "src/util/clock.h"

namespace mandate {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.reason(), "ok");
}

TEST(StatusTest, ReasonDefaultsToCodeName) {
  Status s(StatusCode::kNotFound, "", "task `t1` is unknown");
  EXPECT_EQ(s.reason(), "not_found");
  EXPECT_EQ(s.ToString(), "not_found: task `t1` is unknown");
}

TEST(StatusTest, ContextChainsWithColons) {
  Status s = InvalidArgument("mandate.unknown_argument", "unknown argument `amout`")
                 .WithContext("step `pay`")
                 .WithContext("mandate `payments`");
  EXPECT_EQ(s.message(), "mandate `payments`: step `pay`: unknown argument `amout`");
  EXPECT_EQ(s.reason(), "mandate.unknown_argument");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Err(StatusCode::kInvalidArgument, "odd", "odd input");
  return x / 2;
}

TEST(ResultTest, CarriesValueOrStatus) {
  EXPECT_EQ(*Half(4), 2);
  ASSERT_FALSE(Half(3).has_value());
  EXPECT_EQ(Half(3).error().reason(), "odd");
}

TEST(FakeClockTest, Advances) {
  FakeClock clock(1000);
  clock.AdvanceSeconds(2);
  EXPECT_EQ(clock.NowMicros(), 2'001'000);
  EXPECT_EQ(clock.NowSeconds(), 2);
}

}  // namespace
}  // namespace mandate

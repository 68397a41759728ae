#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "src/credential/credential.h"

namespace mandate::credential {
namespace {

// The cache against a plain map, over random identifiers from a small pool (so they repeat,
// expire, come back and are erased from the middle of probe runs) and a clock that moves on.
TEST(ReplayCache, AgreesWithAMapOverRandomUse) {
  FakeClock clock;
  ReplayCache cache(clock, 1 << 20);
  std::map<std::string, int64_t> model;  // id -> expires_at
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    if (rng() % 64 == 0) clock.AdvanceSeconds(1);
    const int64_t now = clock.NowSeconds();
    const std::string id = "j" + std::to_string(rng() % 5'000);
    const int64_t expires_at = now + static_cast<int64_t>(rng() % 40);
    auto it = model.find(id);
    const bool replay = it != model.end() && it->second >= now;
    const Status s = cache.Consume(id, expires_at);
    ASSERT_EQ(s.ok(), !replay) << "step " << step << " id " << id;
    if (replay) {
      EXPECT_EQ(s.reason(), "replay.detected");
    } else {
      model[id] = expires_at;
    }
  }
}

TEST(ReplayCache, GrowsAndRemembersEveryIdentifier) {
  FakeClock clock;
  ReplayCache cache(clock, 1 << 20);
  const int64_t later = clock.NowSeconds() + 60;
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(cache.Consume(std::to_string(i), later).ok());
  EXPECT_EQ(cache.size(), 100'000u);
  for (int i = 0; i < 100'000; i += 7) {
    EXPECT_EQ(cache.Consume(std::to_string(i), later).reason(), "replay.detected") << i;
  }
  clock.AdvanceSeconds(61);
  EXPECT_TRUE(cache.Consume("0", clock.NowSeconds() + 1).ok());  // expired: usable again
}

TEST(ReplayCache, FullOfLiveEntriesRefusesThenRecovers) {
  FakeClock clock;
  ReplayCache cache(clock, 16);
  const int64_t now = clock.NowSeconds();
  int refused = 0;
  for (int i = 0; i < 64; ++i) {
    Status s = cache.Consume("id-" + std::to_string(i), now + 10);
    if (!s.ok()) {
      EXPECT_EQ(s.reason(), "replay.cache_full");
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_LE(cache.size(), 32u);
  clock.AdvanceSeconds(11);
  EXPECT_TRUE(cache.Consume("id-0", clock.NowSeconds() + 10).ok());
}

TEST(ReplayCache, RefusesIdentifiersItCannotHold) {
  FakeClock clock;
  ReplayCache cache(clock);
  EXPECT_EQ(cache.Consume("", clock.NowSeconds() + 1).reason(), "replay.id_invalid");
  EXPECT_EQ(cache.Consume(std::string(16, 'x'), clock.NowSeconds() + 1).reason(),
            "replay.id_invalid");
  EXPECT_TRUE(cache.Consume(std::string(15, 'x'), clock.NowSeconds() + 1).ok());
  EXPECT_EQ(cache.Consume(std::string(15, 'x'), clock.NowSeconds() + 1).reason(),
            "replay.detected");
}

}  // namespace
}  // namespace mandate::credential

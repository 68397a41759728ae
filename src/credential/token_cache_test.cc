#include <gtest/gtest.h>

#include <set>

#include "src/credential/internal/caches.h"

namespace mandate::credential::internal {
namespace {

std::shared_ptr<const VerifiedTokenCache::Entry> MakeEntry(std::string token, int64_t until) {
  CredentialClaims claims;
  claims.jti = token;
  claims.kid = "kid";
  return std::make_shared<const VerifiedTokenCache::Entry>(
      VerifiedTokenCache::Entry{std::move(token), std::move(claims), until});
}

TEST(TokenHash, CoversEveryByteAndDependsOnTheSeed) {
  const std::string token(650, 'a');
  std::set<uint64_t> seen;
  for (size_t i = 0; i < token.size(); ++i) {
    std::string changed = token;
    changed[i] = 'b';
    seen.insert(TokenHash(changed, 7));
  }
  seen.insert(TokenHash(token, 7));
  EXPECT_EQ(seen.size(), token.size() + 1);  // one byte anywhere moves the hash
  EXPECT_NE(TokenHash(token, 7), TokenHash(token, 8));
  EXPECT_NE(TokenHash("", 7), TokenHash(std::string(1, '\0'), 7));  // the length counts
}

TEST(VerifiedTokenCache, HitsOnlyTheExactTokenUntilItExpires) {
  VerifiedTokenCache cache(1024);
  cache.Insert(MakeEntry("header.payload.signature", 100), 10);
  auto hit = cache.Find("header.payload.signature", 99);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->claims.jti, "header.payload.signature");
  EXPECT_EQ(cache.Find("header.payload.signaturf", 99), nullptr);
  EXPECT_EQ(cache.Find("header.payload.signature", 100), nullptr);  // expired: dropped
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(MakeEntry("t", 100), 10);
  cache.Erase("t");
  EXPECT_EQ(cache.Find("t", 11), nullptr);
}

TEST(VerifiedTokenCache, StaysBoundedAndEvictsExpiredEntriesFirst) {
  VerifiedTokenCache cache(640);  // 64 shards of 11
  for (int i = 0; i < 5000; ++i) cache.Insert(MakeEntry("live-" + std::to_string(i), 1000), 10);
  EXPECT_LE(cache.size(), 64u * 11u);
  EXPECT_GT(cache.size(), 64u * 11u / 2);
  // Expired entries make room before any live one has to go.
  // 64 shards of 9: 400 expired entries fill them; 64 live ones (at most ~5 per shard) must
  // all find room.
  VerifiedTokenCache mixed(512);
  for (int i = 0; i < 400; ++i) mixed.Insert(MakeEntry("old-" + std::to_string(i), 20), 10);
  for (int i = 0; i < 64; ++i) mixed.Insert(MakeEntry("new-" + std::to_string(i), 1000), 30);
  int live = 0;
  for (int i = 0; i < 64; ++i) live += mixed.Find("new-" + std::to_string(i), 30) != nullptr;
  EXPECT_EQ(live, 64);
}

}  // namespace
}  // namespace mandate::credential::internal

// The verified-token cache and its hash (internal/caches.h).
#include <sodium.h>

#include <cstring>

#include "src/credential/internal/caches.h"

namespace mandate::credential::internal {
namespace {

constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint64_t Lane(uint64_t lane, uint64_t word) {
  lane = (lane ^ word) * kMul;
  return (lane << 31) | (lane >> 33);
}

// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
inline uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint64_t RandomSeed() {
  uint64_t seed = 0;
  randombytes_buf(&seed, sizeof seed);
  return seed;
}

}  // namespace

uint64_t TokenHash(std::string_view bytes, uint64_t seed) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t a = seed, b = seed ^ kMul, c = seed + 0x632BE59BD9B4E019ull, d = ~seed;
  for (; n >= 32; p += 32, n -= 32) {
    a = Lane(a, Load64(p));
    b = Lane(b, Load64(p + 8));
    c = Lane(c, Load64(p + 16));
    d = Lane(d, Load64(p + 24));
  }
  for (; n >= 8; p += 8, n -= 8) a = Lane(a, Load64(p));
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  a = Lane(a, tail);
  return Mix(a ^ Mix(b) ^ (Mix(c) * 3) ^ (Mix(d) * 5) ^ bytes.size());
}

VerifiedTokenCache::VerifiedTokenCache(size_t capacity)
    : seed_(RandomSeed()), shard_capacity_(capacity / kShards + 1) {}

std::shared_ptr<const VerifiedTokenCache::Entry> VerifiedTokenCache::Find(std::string_view token,
                                                                          int64_t now) const {
  const uint64_t h = TokenHash(token, seed_);
  Shard& shard = ShardFor(h);
  std::lock_guard lock(shard.mu);
  auto it = shard.map.find(h);
  if (it == shard.map.end() || it->second->token != token) return nullptr;
  if (now >= it->second->expires_at) {
    shard.map.erase(it);
    return nullptr;
  }
  return it->second;
}

void VerifiedTokenCache::Insert(std::shared_ptr<const Entry> entry, int64_t now) {
  const uint64_t h = TokenHash(entry->token, seed_);
  Shard& shard = ShardFor(h);
  std::lock_guard lock(shard.mu);
  if (shard.map.size() >= shard_capacity_) {
    std::erase_if(shard.map, [now](const auto& e) { return now >= e.second->expires_at; });
    // Still full of live entries: drop an eighth (the cache accelerates, it never decides).
    for (size_t drop = shard.map.size() >= shard_capacity_ ? shard_capacity_ / 8 + 1 : 0;
         drop > 0 && !shard.map.empty(); --drop) {
      shard.map.erase(shard.map.begin());
    }
  }
  // A different token with the same 64-bit hash simply replaces the older entry.
  shard.map.insert_or_assign(h, std::move(entry));
}

void VerifiedTokenCache::Erase(std::string_view token) {
  const uint64_t h = TokenHash(token, seed_);
  Shard& shard = ShardFor(h);
  std::lock_guard lock(shard.mu);
  auto it = shard.map.find(h);
  if (it != shard.map.end() && it->second->token == token) shard.map.erase(it);
}

size_t VerifiedTokenCache::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.map.size();
  }
  return n;
}

}  // namespace mandate::credential::internal

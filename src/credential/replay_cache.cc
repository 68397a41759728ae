// ReplayCache (credential.h): per shard, an open-addressed table of fixed-size identifiers
// (linear probing, backward-shift deletion) and a first-in first-out list of their expiries.
// Every fresh DPoP proof and every single-use credential inserts one identifier into a table
// of up to a million; a node-based map cost an allocation and two to three cache misses per
// insert (the bucket, the node, the expiry queue's string), this one a probe of one cache line.
#include <array>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "src/credential/credential.h"

namespace mandate::credential {
namespace {

constexpr size_t kReplayShards = 16;
constexpr size_t kMaxIdBytes = 15;  // internal::ReplayId's 120 bits
constexpr size_t kFirstSlots = 64;  // per shard; doubles at half full

struct ReplayKey {
  std::array<char, kMaxIdBytes> bytes{};
  uint8_t size = 0;  // 0: an empty slot (identifiers are never empty)
  bool operator==(const ReplayKey&) const = default;
};

ReplayKey KeyOf(std::string_view id) {
  ReplayKey key;
  std::memcpy(key.bytes.data(), id.data(), id.size());
  key.size = static_cast<uint8_t>(id.size());
  return key;
}

// Identifiers are keyed-PRF outputs in production, but any bytes in tests: mix them all.
uint64_t HashOf(const ReplayKey& key) {
  uint64_t a = 0, b = 0;
  std::memcpy(&a, key.bytes.data(), 8);
  std::memcpy(&b, key.bytes.data() + 8, kMaxIdBytes - 8);
  uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL) ^ key.size;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

struct Slot {
  ReplayKey key;
  int64_t expires_at = 0;
};

}  // namespace

struct ReplayCache::Shard {
  std::mutex mu;
  std::vector<Slot> slots;  // GUARDED_BY(mu); size a power of two, at most half full
  size_t count = 0;         // GUARDED_BY(mu)
  struct Expiry {
    int64_t at;
    ReplayKey key;
  };
  std::deque<Expiry> by_expiry;  // GUARDED_BY(mu), insertion order

  size_t Mask() const { return slots.size() - 1; }
  // The slot holding `key`, or the empty slot where it would go.
  size_t Probe(const ReplayKey& key) const {
    size_t i = HashOf(key) & Mask();
    while (slots[i].key.size != 0 && !(slots[i].key == key)) i = (i + 1) & Mask();
    return i;
  }
  void Erase(size_t hole) {
    // Backward shift: pull later members of the probe run into the hole whenever their home
    // slot does not lie cyclically between the hole and where they are.
    for (size_t j = (hole + 1) & Mask(); slots[j].key.size != 0; j = (j + 1) & Mask()) {
      const size_t home = HashOf(slots[j].key) & Mask();
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = Slot{};
    --count;
  }
  void Insert(const ReplayKey& key, int64_t expires_at) {
    if (slots.empty() || 2 * (count + 1) > slots.size()) {
      std::vector<Slot> old(std::max(kFirstSlots, 2 * slots.size()));
      old.swap(slots);
      count = 0;
      for (const Slot& s : old) {
        if (s.key.size != 0) Insert(s.key, s.expires_at);
      }
    }
    slots[Probe(key)] = {key, expires_at};
    ++count;
  }
  // Drops every expired member, in the table and in the expiry list.
  void DropExpired(int64_t now) {
    std::vector<Slot> live;
    for (const Slot& s : slots) {
      if (s.key.size != 0 && s.expires_at >= now) live.push_back(s);
    }
    std::fill(slots.begin(), slots.end(), Slot{});
    count = 0;
    for (const Slot& s : live) Insert(s.key, s.expires_at);
    std::erase_if(by_expiry, [&](const Expiry& e) { return e.at < now; });
  }
};

ReplayCache::ReplayCache(const Clock& clock, size_t capacity)
    : clock_(clock),
      shard_capacity_(capacity / kReplayShards + 1),
      shards_(std::make_unique<Shard[]>(kReplayShards)) {}
ReplayCache::~ReplayCache() = default;

Status ReplayCache::Consume(std::string_view id, int64_t expires_at) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return Internal("replay.id_invalid", "replay: identifiers are 1 to 15 bytes (ReplayId)");
  }
  const ReplayKey key = KeyOf(id);
  Shard& shard = shards_[(HashOf(key) >> 56) % kReplayShards];
  const int64_t now = clock_.NowSeconds();
  std::lock_guard lock(shard.mu);
  // Expiries are nearly monotonic in insertion order: sweep from the front. An entry re-used
  // after it expired carries a later expiry than its first listing, which then leaves it be.
  while (!shard.by_expiry.empty() && shard.by_expiry.front().at < now) {
    if (!shard.slots.empty()) {
      const size_t i = shard.Probe(shard.by_expiry.front().key);
      if (shard.slots[i].key.size != 0 && shard.slots[i].expires_at < now) shard.Erase(i);
    }
    shard.by_expiry.pop_front();
  }
  if (!shard.slots.empty()) {
    const size_t i = shard.Probe(key);
    if (shard.slots[i].key.size != 0) {
      if (shard.slots[i].expires_at >= now) {
        return Unauthenticated("replay.detected",
                               "replay: `" + std::string(id) + "` was already used");
      }
      shard.Erase(i);
    }
  }
  if (shard.count >= shard_capacity_) {
    shard.DropExpired(now);  // full: drop every expired entry once before refusing
    if (shard.count >= shard_capacity_) {
      return Status(StatusCode::kResourceExhausted, "replay.cache_full",
                    "replay: cache full of unexpired entries; refusing rather than forgetting");
    }
  }
  shard.Insert(key, expires_at);
  shard.by_expiry.push_back({expires_at, key});
  return {};
}

size_t ReplayCache::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kReplayShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].count;
  }
  return n;
}

}  // namespace mandate::credential

// Bounded concurrent caches behind the verifiers. Internal to src/credential.
// Thread-safety: all methods are safe from many threads (sharded mutexes).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "src/credential/credential.h"
#include "src/credential/internal/jws_parts.h"
#include "src/credential/jose.h"

namespace mandate::credential::internal {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A bounded map from exact strings (a token, a header) to shared immutable values. Lookups
// compare the full key, so a hash collision can never return another token's entry. When a
// shard is full it is cleared: the cache is an accelerator, never the source of truth.
template <typename Value>
class BoundedMap {
 public:
  explicit BoundedMap(size_t capacity) : shard_capacity_(capacity / kShards + 1) {}

  std::shared_ptr<const Value> Find(std::string_view key) const {
    const size_t h = StringHash{}(key);
    const Shard& shard = shards_[h % kShards];
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    return it == shard.map.end() ? nullptr : it->second;
  }
  void Insert(std::string_view key, std::shared_ptr<const Value> value) {
    const size_t h = StringHash{}(key);
    Shard& shard = shards_[h % kShards];
    std::lock_guard lock(shard.mu);
    if (shard.map.size() >= shard_capacity_) shard.map.clear();
    shard.map.insert_or_assign(std::string(key), std::move(value));
  }
  void Erase(std::string_view key) {
    const size_t h = StringHash{}(key);
    Shard& shard = shards_[h % kShards];
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) shard.map.erase(it);
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const Value>, StringHash, std::equal_to<>>
        map;  // GUARDED_BY(mu)
  };
  size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

// A decoded protected header, with the embedded `jwk` when there is one (DPoP).
struct CachedHeader {
  DecodedHeader decoded;
  std::optional<PublicKey> jwk;
  Status jwk_error;  // why `jwk` is absent when the header had one
};

// A fast non-cryptographic 64-bit hash of a whole token (four independent multiply lanes, so
// a 600-byte credential hashes in a few dozen nanoseconds; std::hash took several hundred).
// It only picks a bucket: callers compare the full bytes. `seed` is random per process.
uint64_t TokenHash(std::string_view bytes, uint64_t seed);

// Verified task tokens and step credentials by exact token bytes: sharded, bounded and
// expiring. A hit requires the whole token to match byte for byte, so a hash collision can only
// cost a miss. Entries are dropped once expired (`expires_at`, seconds, skew included); when a
// shard is full its expired entries go first, then the oldest-looking eighth. Revocation is not
// the cache's business: the verifier checks it on every hit.
class VerifiedTokenCache {
 public:
  struct Entry {
    std::string token;
    CredentialClaims claims;  // claims.kid: the key that verified it; a hit needs it published
    int64_t expires_at;       // seconds, when the entry stops being served
  };

  explicit VerifiedTokenCache(size_t capacity);
  // The entry for exactly `token` if present and not expired at `now` (seconds).
  std::shared_ptr<const Entry> Find(std::string_view token, int64_t now) const;
  void Insert(std::shared_ptr<const Entry> entry, int64_t now);
  void Erase(std::string_view token);
  size_t size() const;

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, std::shared_ptr<const Entry>> map;  // GUARDED_BY(mu)
  };
  Shard& ShardFor(uint64_t h) const { return shards_[h % kShards]; }
  const uint64_t seed_;
  const size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

// The identifier a ReplayCache records for the `jti` of a proof or credential bound to the key
// with thumbprint `jkt`: a keyed digest of 15 bytes (no allocation inside a std::string; the
// key is random per process, so nobody can make two identifiers collide, and a collision would
// only refuse, never admit).
Result<std::string> ReplayId(std::string_view jkt, std::string_view jti);

// Decodes a protected header through `cache` (headers repeat: one per issuer key or agent key).
// `allow_sealed` as DecodeProtectedHeader's; one cache must always be used with the same value.
Result<std::shared_ptr<const CachedHeader>> DecodeHeaderCached(BoundedMap<CachedHeader>& cache,
                                                               std::string_view header_b64,
                                                               bool allow_sealed = false);

}  // namespace mandate::credential::internal

// Bounded concurrent caches behind the verifiers. Internal to src/credential.
// Thread-safety: all methods are safe from many threads (sharded mutexes).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "src/credential/internal/jws_parts.h"
#include "src/credential/jose.h"

namespace mandate::credential::internal {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Hashes only the last 48 bytes: for a compact JWS that is the tail of the signature, unique per
// token. Equality still compares the whole key, so this only chooses buckets.
struct TokenTailHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>{}(s.size() > 48 ? s.substr(s.size() - 48) : s);
  }
};

// A bounded map from exact strings (a token, a header) to shared immutable values. Lookups
// compare the full key, so a hash collision can never return another token's entry. When a
// shard is full it is cleared: the cache is an accelerator, never the source of truth.
template <typename Value, typename Hash = StringHash>
class BoundedMap {
 public:
  explicit BoundedMap(size_t capacity) : shard_capacity_(capacity / kShards + 1) {}

  std::shared_ptr<const Value> Find(std::string_view key) const {
    const size_t h = Hash{}(key);
    const Shard& shard = shards_[h % kShards];
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    return it == shard.map.end() ? nullptr : it->second;
  }
  void Insert(std::string_view key, std::shared_ptr<const Value> value) {
    const size_t h = Hash{}(key);
    Shard& shard = shards_[h % kShards];
    std::lock_guard lock(shard.mu);
    if (shard.map.size() >= shard_capacity_) shard.map.clear();
    shard.map.insert_or_assign(std::string(key), std::move(value));
  }
  void Erase(std::string_view key) {
    const size_t h = Hash{}(key);
    Shard& shard = shards_[h % kShards];
    std::lock_guard lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) shard.map.erase(it);
  }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const Value>, Hash, std::equal_to<>>
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

// Decodes a protected header through `cache` (headers repeat: one per issuer key or agent key).
Result<std::shared_ptr<const CachedHeader>> DecodeHeaderCached(BoundedMap<CachedHeader>& cache,
                                                               std::string_view header_b64);

}  // namespace mandate::credential::internal

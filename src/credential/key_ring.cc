// The issuer's signing keys: creation, rotation with overlap, JWKS publishing (credential.h).
#include <sodium.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <mutex>

#include "src/credential/credential.h"

namespace mandate::credential {
namespace {

class InMemorySigningKeyStore final : public SigningKeyStore {
 public:
  Result<std::vector<StoredSigningKey>> LoadSigningKeys() override {
    std::lock_guard lock(mu_);
    std::vector<StoredSigningKey> out;
    for (const auto& [kid, key] : keys_) out.push_back(key);
    return out;
  }
  Status SaveSigningKey(const StoredSigningKey& key) override {
    std::lock_guard lock(mu_);
    keys_[key.kid] = key;
    return {};
  }
  Status DeleteSigningKey(std::string_view kid) override {
    std::lock_guard lock(mu_);
    keys_.erase(std::string(kid));
    return {};
  }

 private:
  std::mutex mu_;
  std::map<std::string, StoredSigningKey> keys_;  // GUARDED_BY(mu_)
};

std::string RandomKid() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof bytes));
}

std::string HeaderB64(Algorithm alg, const SigningKey& key, std::string_view typ) {
  return Base64UrlEncode(R"({"alg":")" + std::string(AlgorithmName(alg)) + R"(","kid":")" +
                         key.kid() + R"(","typ":")" + std::string(typ) + "\"}");
}

}  // namespace

std::unique_ptr<SigningKeyStore> NewInMemorySigningKeyStore() {
  return std::make_unique<InMemorySigningKeyStore>();
}

struct KeyRing::State {
  State(SigningKeyStore& s, const Clock& c, KeyRingOptions o) : store(s), clock(c), options(o) {}
  struct Entry {
    StoredSigningKey stored;
    std::shared_ptr<const ActiveSigningKey> signing;
  };
  SigningKeyStore& store;
  const Clock& clock;
  const KeyRingOptions options;  // fixed at Open: read without the lock
  mutable std::mutex mu;
  std::vector<Entry> keys;                         // GUARDED_BY(mu), oldest first
  std::shared_ptr<const ActiveSigningKey> active;  // GUARDED_BY(mu)
  std::shared_ptr<const KeySet> published;         // GUARDED_BY(mu)
  std::shared_ptr<const SealingKeySet> sealing =
      std::make_shared<const SealingKeySet>();  // GUARDED_BY(mu)

  // REQUIRES: mu held.
  void Publish() {
    std::sort(keys.begin(), keys.end(), [](const Entry& a, const Entry& b) {
      return a.stored.created_at < b.stored.created_at;
    });
    auto set = std::make_shared<KeySet>();
    auto sealed = std::make_shared<SealingKeySet>();
    for (const auto& e : keys) {
      set->Add(e.signing->key.public_key());
      for (const auto& audience : options.sealed_audiences) {
        // Only an RSA key cannot be derived from, and the ring never holds one: a key that
        // cannot be derived leaves its audience signed (Ed25519/ES256), never unprotected.
        if (auto derived = DeriveSealingKey(e.signing->key, audience, e.stored.retire_at)) {
          sealed->Add(std::move(*derived));
        }
      }
    }
    published = std::move(set);
    sealing = std::move(sealed);
    active = keys.empty() ? nullptr : keys.back().signing;
  }

  static Result<std::shared_ptr<const ActiveSigningKey>> Load(const StoredSigningKey& stored) {
    auto key = SigningKey::FromJwkText(stored.private_jwk);
    if (!key) return Err(key.error().WithContext("signing key `" + stored.kid + "`"));
    auto active = std::make_shared<ActiveSigningKey>(
        ActiveSigningKey{*key, HeaderB64(key->algorithm(), *key, kTaskTokenType),
                         HeaderB64(key->algorithm(), *key, kStepCredentialType),
                         HeaderB64(Algorithm::kHS256, *key, kStepCredentialType)});
    return std::shared_ptr<const ActiveSigningKey>(std::move(active));
  }

  // REQUIRES: mu held. Adopts what another process (`mandate keys rotate` on the same store)
  // saved: new keys, changed retirement times, deleted keys. Parsed keys are reused by kid.
  Status RefreshLocked() {
    auto stored = store.LoadSigningKeys();
    if (!stored) return stored.error();
    bool changed = stored->size() != keys.size();
    std::vector<Entry> next;
    for (const auto& s : *stored) {
      auto known = std::find_if(keys.begin(), keys.end(),
                                [&](const Entry& e) { return e.stored.kid == s.kid; });
      if (known != keys.end()) {
        changed = changed || known->stored.retire_at != s.retire_at;
        next.push_back({s, known->signing});
        continue;
      }
      auto loaded = Load(s);
      if (!loaded) return loaded.error();
      next.push_back({s, *loaded});
      changed = true;
    }
    if (changed) {
      keys = std::move(next);
      Publish();
    }
    return {};
  }

  // REQUIRES: mu held.
  Status RotateLocked() {
    const int64_t now = clock.NowSeconds();
    auto key = SigningKey::Generate(options.algorithm, RandomKid());
    if (!key) return key.error();
    auto jwk = key->ToPrivateJwk();
    if (!jwk) return jwk.error();
    StoredSigningKey stored{key->kid(), boost::json::serialize(*jwk), now, 0};
    auto loaded = Load(stored);
    if (!loaded) return loaded.error();
    if (!keys.empty()) {
      StoredSigningKey previous = keys.back().stored;
      previous.retire_at = now + options.overlap_seconds;
      if (Status s = store.SaveSigningKey(previous); !s.ok()) return s;
      keys.back().stored = previous;
    }
    // Same-second rotations must still order the new key last.
    if (!keys.empty() && keys.back().stored.created_at >= now) {
      stored.created_at = keys.back().stored.created_at + 1;
    }
    if (Status s = store.SaveSigningKey(stored); !s.ok()) return s;
    keys.push_back({stored, *loaded});
    Publish();
    return {};
  }
};

KeyRing::KeyRing(SigningKeyStore& store, const Clock& clock, KeyRingOptions options)
    : state_(std::make_unique<State>(store, clock, options)) {}
KeyRing::~KeyRing() = default;

Result<std::shared_ptr<KeyRing>> KeyRing::Open(SigningKeyStore& store, const Clock& clock,
                                               KeyRingOptions options) {
  if (options.algorithm != Algorithm::kEdDSA && options.algorithm != Algorithm::kES256) {
    return Err(InvalidArgument("keys.algorithm", "keys: the issuer signs with EdDSA or ES256"));
  }
  auto ring = std::make_shared<KeyRing>(store, clock, options);
  auto stored = store.LoadSigningKeys();
  if (!stored) return Err(stored.error());
  {
    std::lock_guard lock(ring->state_->mu);
    for (const auto& s : *stored) {
      auto loaded = State::Load(s);
      if (!loaded) return Err(loaded.error());
      ring->state_->keys.push_back({s, *loaded});
    }
    ring->state_->Publish();
  }
  MANDATE_RETURN_IF_ERROR(ring->RotateIfDue());
  return ring;
}

Status KeyRing::Rotate() {
  std::lock_guard lock(state_->mu);
  MANDATE_RETURN_IF_ERROR(state_->RefreshLocked());
  return state_->RotateLocked();
}

Status KeyRing::RotateIfDue() {
  std::lock_guard lock(state_->mu);
  MANDATE_RETURN_IF_ERROR(state_->RefreshLocked());
  const int64_t now = state_->clock.NowSeconds();
  bool changed = false;
  for (auto it = state_->keys.begin(); it != state_->keys.end();) {
    const bool is_newest = std::next(it) == state_->keys.end();
    if (!is_newest && it->stored.retire_at == 0) {
      // Superseded without a retirement time (two rotations raced): start its overlap now.
      it->stored.retire_at = now + state_->options.overlap_seconds;
      if (Status s = state_->store.SaveSigningKey(it->stored); !s.ok()) return s;
      changed = true;  // the sealing keys carry the retirement time
    }
    if (!is_newest && it->stored.retire_at != 0 && it->stored.retire_at <= now) {
      if (Status s = state_->store.DeleteSigningKey(it->stored.kid); !s.ok()) return s;
      it = state_->keys.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) state_->Publish();
  if (state_->keys.empty() ||
      now - state_->keys.back().stored.created_at >= state_->options.rotation_period_seconds) {
    return state_->RotateLocked();
  }
  return {};
}

std::shared_ptr<const ActiveSigningKey> KeyRing::Active() const {
  std::lock_guard lock(state_->mu);
  return state_->active;
}

std::shared_ptr<const KeySet> KeyRing::PublicKeys() const {
  std::lock_guard lock(state_->mu);
  return state_->published;
}

std::shared_ptr<const SealingKeySet> KeyRing::SealingKeys() const {
  std::lock_guard lock(state_->mu);
  return state_->sealing;
}

bool KeyRing::seals() const { return !state_->options.sealed_audiences.empty(); }

std::vector<StoredSigningKey> KeyRing::Describe() const {
  std::lock_guard lock(state_->mu);
  std::vector<StoredSigningKey> out;
  for (const auto& e : state_->keys)
    out.push_back({e.stored.kid, "", e.stored.created_at, e.stored.retire_at});
  return out;
}

}  // namespace mandate::credential

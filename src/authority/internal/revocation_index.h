// RevocationIndex: the in-memory view of every revocation event, so the decision path checks
// revocation with a few hash lookups and no I/O.
//
// Scopes other than `task` and `credential` are kept as "not before" times: revoking an
// agent, a mandate, an owner or everything at time T revokes every task of that scope that
// was started at or before T (and so every credential those tasks hold); tasks started after
// the kill are governed by the mandate and the trust sources as usual. Task revocations are
// kept on the task itself (TaskTable, store); credential revocations by jti.
// Thread-safety: safe from any thread (readers share a lock; events are rare).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "src/store/store.h"

namespace mandate::authority {

class RevocationIndex {
 public:
  // Folds in one event (replayed at start or just committed). Idempotent.
  void Apply(const store::RevocationEvent& event);

  // The event that revokes a task of this agent/mandate/owner started at `created_micros`,
  // if any: its id and scope.
  struct Hit {
    int64_t event_id = 0;
    store::RevocationScope scope = store::RevocationScope::kAll;
  };
  std::optional<Hit> CoversTask(std::string_view agent, std::string_view mandate,
                                std::string_view owner, int64_t created_micros) const;
  bool IsCredentialRevoked(std::string_view jti) const;
  int64_t last_event_id() const;

 private:
  // Looked up by string_view (no key string built per decision).
  struct Hash : std::hash<std::string_view> {
    using is_transparent = void;
  };
  template <typename V>
  using ByName = std::unordered_map<std::string, V, Hash, std::equal_to<>>;
  using Times = ByName<std::pair<int64_t, int64_t>>;  // value -> (time, id)
  mutable std::shared_mutex mu_;
  // Whether any scope or credential revocation exists: set under mu_ after the event is in,
  // read without it, so the usual decision (nothing revoked by scope) takes no lock shared
  // with every other deciding thread.
  std::atomic<bool> any_scope_{false}, any_credential_{false};
  Times agents_, mandates_, owners_;         // GUARDED_BY(mu_)
  ByName<int64_t> jtis_;                     // GUARDED_BY(mu_)
  int64_t all_before_ = -1, all_event_ = 0;  // GUARDED_BY(mu_)
  int64_t last_event_id_ = 0;                // GUARDED_BY(mu_)
};

}  // namespace mandate::authority

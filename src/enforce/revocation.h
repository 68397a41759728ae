// Revocation at the enforcement point: a local deny set fed by the authority's revocation
// stream (`GET /v1/revocations/stream`, Server-Sent Events, resumable with `Last-Event-ID`).
//
// The feed fails closed: until the first connection, and once the stream has been lost for
// longer than the grace period, `Ready()` is an error and every request is refused. On
// reconnect the stream resumes from the last event id, so no revocation is missed.
// Thread-safety: DenySet and RevocationFeed are thread-safe (one writer, many readers).
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::enforce {

// One `event: revocation` of the stream (docs/api.md).
struct RevocationEvent {
  int64_t id = 0;
  std::string scope;  // task, agent, mandate, owner, credential, all
  std::string value;
  std::vector<std::string> tasks;  // every task the revocation reached (with delegated ones)
  std::vector<std::string> jtis;   // every credential id it reached
  int64_t at = 0;
};

// Reads the `data:` of one event. Reasons: `revocation.event_invalid`.
[[nodiscard]] Result<RevocationEvent> ParseRevocationEvent(std::string_view data);

class DenySet {
 public:
  void Apply(const RevocationEvent& event);
  bool IsTaskRevoked(std::string_view task_id) const;
  bool IsCredentialRevoked(std::string_view jti) const;
  // True once a revocation of scope `all` came at or after `issued_at_seconds`: a credential
  // issued by then belongs to a task it ended. Checked on the credential itself because a
  // replayed `all` (after a reconnect) lists no tasks: every task ever would be too many.
  bool IsIssuedBeforeRevokeAll(int64_t issued_at_seconds) const;
  // Highest event id applied (0 before any): the `Last-Event-ID` to resume from.
  int64_t last_event_id() const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  // Looked up by string_view without a copy: every call checks both.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Set = std::unordered_set<std::string, Hash, std::equal_to<>>;
  Set tasks_;                   // GUARDED_BY(mu_)
  Set jtis_;                    // GUARDED_BY(mu_)
  int64_t last_event_id_ = 0;   // GUARDED_BY(mu_)
  int64_t revoked_all_at_ = 0;  // GUARDED_BY(mu_): microseconds of the latest `all`, 0: none
};

class RevocationFeed {
 public:
  RevocationFeed(const Clock& clock, int64_t grace_micros);

  // Stream state, reported by the transport that reads the stream.
  void OnConnected();
  void OnDisconnected();
  // Applies one SSE event (`event` type, `id`, `data`); non-revocation events are ignored.
  Status OnEvent(std::string_view type, std::string_view id, std::string_view data);

  // OK while connected or within the grace period after losing the stream; otherwise
  // Unavailable with reason `revocation.stream_lost` (or `revocation.not_synced` before the
  // first connection).
  Status Ready() const;
  const DenySet& deny_set() const { return deny_set_; }
  int64_t last_event_id() const { return deny_set_.last_event_id(); }

 private:
  const Clock& clock_;
  const int64_t grace_micros_;
  DenySet deny_set_;
  mutable std::shared_mutex mu_;
  bool ever_connected_ = false;  // GUARDED_BY(mu_)
  bool connected_ = false;       // GUARDED_BY(mu_)
  int64_t lost_at_micros_ = 0;   // GUARDED_BY(mu_)
};

}  // namespace mandate::enforce

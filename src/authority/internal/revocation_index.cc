#include "src/authority/internal/revocation_index.h"

#include <mutex>

namespace mandate::authority {
namespace {

template <typename Times>
void Raise(Times& times, const store::RevocationEvent& event) {
  auto [it, inserted] = times.try_emplace(event.value, event.time_micros, event.id);
  if (!inserted && it->second.first < event.time_micros) it->second = {event.time_micros, event.id};
}

}  // namespace

void RevocationIndex::Apply(const store::RevocationEvent& event) {
  std::unique_lock lock(mu_);
  if (event.id > last_event_id_) last_event_id_ = event.id;
  switch (event.scope) {
    case store::RevocationScope::kCredential:
      jtis_.emplace(event.value, event.id);
      any_credential_.store(true, std::memory_order_release);
      break;
    case store::RevocationScope::kTask:
      break;  // kept on the task itself
    case store::RevocationScope::kAgent:
      Raise(agents_, event);
      break;
    case store::RevocationScope::kMandate:
      Raise(mandates_, event);
      break;
    case store::RevocationScope::kOwner:
      Raise(owners_, event);
      break;
    case store::RevocationScope::kAll:
      if (event.time_micros > all_before_) {
        all_before_ = event.time_micros;
        all_event_ = event.id;
      }
      break;
  }
  if (event.scope != store::RevocationScope::kCredential &&
      event.scope != store::RevocationScope::kTask) {
    any_scope_.store(true, std::memory_order_release);
  }
}

std::optional<RevocationIndex::Hit> RevocationIndex::CoversTask(std::string_view agent,
                                                                std::string_view mandate,
                                                                std::string_view owner,
                                                                int64_t created_micros) const {
  if (!any_scope_.load(std::memory_order_acquire)) return std::nullopt;
  std::shared_lock lock(mu_);
  if (created_micros <= all_before_) return Hit{all_event_, store::RevocationScope::kAll};
  auto check = [&](const Times& times, std::string_view key,
                   store::RevocationScope scope) -> std::optional<Hit> {
    if (times.empty()) return std::nullopt;
    auto it = times.find(key);
    if (it != times.end() && created_micros <= it->second.first)
      return Hit{it->second.second, scope};
    return std::nullopt;
  };
  if (auto hit = check(agents_, agent, store::RevocationScope::kAgent)) return hit;
  if (auto hit = check(mandates_, mandate, store::RevocationScope::kMandate)) return hit;
  return check(owners_, owner, store::RevocationScope::kOwner);
}

bool RevocationIndex::IsCredentialRevoked(std::string_view jti) const {
  if (!any_credential_.load(std::memory_order_acquire)) return false;
  std::shared_lock lock(mu_);
  return jtis_.find(jti) != jtis_.end();
}

int64_t RevocationIndex::last_event_id() const {
  std::shared_lock lock(mu_);
  return last_event_id_;
}

}  // namespace mandate::authority

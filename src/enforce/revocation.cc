#include "src/enforce/revocation.h"

#include <algorithm>
#include <boost/json.hpp>
#include <mutex>

#include "src/json/json.h"

namespace mandate::enforce {
namespace {

tl::unexpected<Status> EventError(std::string message) {
  return Err(StatusCode::kInvalidArgument, "revocation.event_invalid", std::move(message));
}

Result<std::vector<std::string>> StringList(const boost::json::object& obj, std::string_view key) {
  std::vector<std::string> out;
  const boost::json::value* v = obj.if_contains(key);
  if (v == nullptr) return out;
  std::string name = "`";
  name.append(key);
  name.append("`");
  if (!v->is_array()) return EventError(name + " must be an array");
  for (const boost::json::value& item : v->as_array()) {
    if (!item.is_string()) return EventError(name + " must hold strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace

Result<RevocationEvent> ParseRevocationEvent(std::string_view data) {
  auto doc = json::Parse(data);
  if (!doc) return EventError(doc.error().message());
  if (!doc->is_object()) return EventError("event data must be a json object");
  const boost::json::object& obj = doc->as_object();
  RevocationEvent event;
  const boost::json::value* id = obj.if_contains("id");
  if (id == nullptr || !id->is_int64() || id->as_int64() <= 0) {
    return EventError("`id` must be a positive integer");
  }
  event.id = id->as_int64();
  if (const boost::json::value* v = obj.if_contains("scope"); v && v->is_string()) {
    event.scope = std::string(v->as_string());
  }
  if (const boost::json::value* v = obj.if_contains("value"); v && v->is_string()) {
    event.value = std::string(v->as_string());
  }
  if (const boost::json::value* v = obj.if_contains("at"); v && v->is_int64()) {
    event.at = v->as_int64();
  }
  auto tasks = StringList(obj, "tasks");
  if (!tasks) return Err(tasks.error());
  auto jtis = StringList(obj, "jtis");
  if (!jtis) return Err(jtis.error());
  event.tasks = std::move(*tasks);
  event.jtis = std::move(*jtis);
  // A task or credential revocation names its target in `value` even if the lists are empty.
  if (event.scope == "task" && !event.value.empty()) event.tasks.push_back(event.value);
  if (event.scope == "credential" && !event.value.empty()) event.jtis.push_back(event.value);
  return event;
}

void DenySet::Apply(const RevocationEvent& event) {
  std::unique_lock lock(mu_);
  for (const std::string& t : event.tasks) tasks_.insert(t);
  for (const std::string& j : event.jtis) jtis_.insert(j);
  if (event.scope == "all") revoked_all_at_ = std::max(revoked_all_at_, event.at);
  if (event.id > last_event_id_) last_event_id_ = event.id;
}

bool DenySet::IsIssuedBeforeRevokeAll(int64_t issued_at_seconds) const {
  std::shared_lock lock(mu_);
  return revoked_all_at_ != 0 && issued_at_seconds <= revoked_all_at_ / 1'000'000;
}

bool DenySet::IsTaskRevoked(std::string_view task_id) const {
  std::shared_lock lock(mu_);
  return tasks_.find(task_id) != tasks_.end();
}

bool DenySet::IsCredentialRevoked(std::string_view jti) const {
  std::shared_lock lock(mu_);
  return jtis_.find(jti) != jtis_.end();
}

int64_t DenySet::last_event_id() const {
  std::shared_lock lock(mu_);
  return last_event_id_;
}

size_t DenySet::size() const {
  std::shared_lock lock(mu_);
  return tasks_.size() + jtis_.size();
}

RevocationFeed::RevocationFeed(const Clock& clock, int64_t grace_micros)
    : clock_(clock), grace_micros_(grace_micros) {}

void RevocationFeed::OnConnected() {
  std::unique_lock lock(mu_);
  connected_ = true;
  ever_connected_ = true;
}

void RevocationFeed::OnDisconnected() {
  std::unique_lock lock(mu_);
  if (connected_) lost_at_micros_ = clock_.NowMicros();
  connected_ = false;
}

Status RevocationFeed::OnEvent(std::string_view type, std::string_view id, std::string_view data) {
  if (type != "revocation") return Status();
  auto event = ParseRevocationEvent(data);
  if (!event) return event.error();
  // An `all` without its time ends at least everything issued before it arrived: fail closed.
  if (event->scope == "all" && event->at <= 0) event->at = clock_.NowMicros();
  deny_set_.Apply(*event);
  return Status();
}

Status RevocationFeed::Ready() const {
  std::shared_lock lock(mu_);
  if (!ever_connected_) {
    return Status(StatusCode::kUnavailable, "revocation.not_synced",
                  "the revocation stream has not connected yet");
  }
  if (connected_) return Status();
  if (clock_.NowMicros() - lost_at_micros_ <= grace_micros_) return Status();
  return Status(StatusCode::kUnavailable, "revocation.stream_lost",
                "the revocation stream was lost longer than the grace period");
}

}  // namespace mandate::enforce

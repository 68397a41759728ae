#include "src/authority/internal/audit_records.h"

#include <algorithm>
#include <boost/json.hpp>
#include <span>

#include "src/credential/jose.h"
#include "src/json/json.h"
#include "src/json/writer.h"
#include "src/util/hex.h"
#include "src/util/sha256.h"

namespace mandate::authority {

void WriteProgressJson(json::JsonWriter& out, const TaskProgress& p, size_t steps) {
  out.Char('{');
  out.Member("calls", p.calls);
  out.Member("steps_done", p.steps_done);
  out.Member("labels_read", p.labels_read);
  out.Member("last_step", p.last_step);
  const auto number = [](json::JsonWriter& o, uint16_t n) { o.Int(n); };
  out.ArrayMember("counts", std::span(p.counts).first(std::min(steps, p.counts.size())), number);
  // Loops past the last one entered are at 0, which ProgressFromJson restores by default.
  size_t loops_used = p.loop_iterations.size();
  while (loops_used > 0 && p.loop_iterations[loops_used - 1] == 0) --loops_used;
  out.ArrayMember("loops", std::span(p.loop_iterations).first(loops_used), number);
  out.Char('}');
}

boost::json::object ProgressToJson(const TaskProgress& p, size_t steps) {
  std::string text;
  {
    json::JsonWriter w(text, 256);
    WriteProgressJson(w, p, steps);
  }
  return boost::json::parse(text).as_object();  // one encoder; checkpoints are not the hot path
}

bool ProgressFromJson(const boost::json::value& json, TaskProgress* p) {
  const auto* o = json.if_object();
  if (o == nullptr) return false;
  auto number = [&](std::string_view key, int64_t lo, int64_t hi, int64_t* out) {
    const auto* v = o->if_contains(key);
    if (v == nullptr || !v->is_int64() || v->as_int64() < lo || v->as_int64() > hi) return false;
    *out = v->as_int64();
    return true;
  };
  int64_t calls, steps, labels, last;
  if (!number("calls", 0, UINT32_MAX, &calls) || !number("steps_done", 0, UINT32_MAX, &steps) ||
      !number("labels_read", 0, UINT32_MAX, &labels) ||
      !number("last_step", -1, kMaxChainSteps, &last)) {
    return false;
  }
  TaskProgress out;
  out.calls = static_cast<uint32_t>(calls);
  out.steps_done = static_cast<uint32_t>(steps);
  out.labels_read = static_cast<uint32_t>(labels);
  out.last_step = static_cast<int8_t>(last);
  auto fill = [&](std::string_view key, auto& array) {
    const auto* v = o->if_contains(key);
    if (v == nullptr || !v->is_array() || v->as_array().size() > array.size()) return false;
    size_t i = 0;
    for (const auto& e : v->as_array()) {
      if (!e.is_int64() || e.as_int64() < 0 || e.as_int64() > UINT16_MAX) return false;
      array[i++] = static_cast<uint16_t>(e.as_int64());
    }
    return true;
  };
  if (!fill("counts", out.counts) || !fill("loops", out.loop_iterations)) return false;
  *p = out;
  return true;
}

CallDigests DigestArguments(const boost::json::object* args, bool with_claim) {
  static const boost::json::object kNoArgs;
  const Sha256Digest digest = json::CanonicalSha256(args ? *args : kNoArgs);
  CallDigests out;
  AppendHex(digest.data(), digest.size(), out.hex);
  if (with_claim) {
    out.claim = credential::Base64UrlEncode(Bytes(digest));
  }
  return out;
}

uint64_t AppendDecision(Authority::Impl& impl, const AuditCallRecord& call, const Decision& d) {
  // Written as text (a DOM per decision showed up in profiles), into a buffer this thread
  // keeps, and handed over as views: the record's members are serialised straight from the
  // strings the call already holds.
  thread_local std::string detail;
  detail.clear();
  {
    json::JsonWriter w(detail, 512);
    w.Char('{');
    if (call.mandate) {
      w.Member("mandate", call.mandate->name);
      w.Member("version", call.mandate->version);
    }
    if (d.task_revoked) {
      w.Key("task_revoked");
      w.Raw("true");
    }
    if (call.progress != nullptr && call.mandate != nullptr) {
      w.Key("progress");
      WriteProgressJson(w, *call.progress, call.mandate->steps.size());
    }
    w.Char('}');
  }
  std::vector<std::string> reasons, policy_ids;  // empty, and never allocated, for an allow
  for (const Reason& reason : d.reasons) {
    reasons.push_back(reason.code + ": " + reason.message);
    if (!reason.rule.empty()) policy_ids.push_back(reason.rule);
  }
  const audit::RecordView r{
      .kind = audit::RecordKind::kDecision,
      .time_micros = 0,
      .agent = call.agent,
      .principal = !call.principal.empty() ? call.principal
                   : call.mandate          ? std::string_view(call.mandate->owner)
                                           : std::string_view(),
      .task = call.task_id,
      .step = d.step,
      .system = call.call.system,
      .action = call.call.action,
      .resource = call.call.resource,
      .args_digest = call.args_digest,
      .decision = d.shadow ? std::string_view("shadow_allow") : OutcomeName(d.outcome),
      .reasons = reasons,
      .policy_ids = policy_ids,
      .detail = detail};
  auto ticket = impl.deps.audit->Append(r);
  // A failed append leaves ticket 0; WaitDurable(0) then reports the log's failure.
  return ticket ? static_cast<uint64_t>(*ticket) : 0;
}

uint64_t Authority::Impl::AuditLifecycle(std::string_view event, uint64_t task_id,
                                         const LiveTask& task, std::string_view reason,
                                         const boost::json::object* credential) {
  const Mandate& m = *mandates[task.mandate].mandate;
  audit::Record r;
  r.kind = audit::RecordKind::kLifecycle;
  r.agent = task.agent;
  r.principal = task.principal.empty() ? m.owner : task.principal;
  r.task = FormatTaskId(task_id);
  r.decision = std::string(event);
  if (!reason.empty()) r.reasons.emplace_back(reason);
  boost::json::object detail{{"mandate", m.name},
                             {"version", m.version},
                             {"parent", task.parent ? FormatTaskId(task.parent) : ""},
                             {"deadline_us", task.deadline_us}};
  if (credential != nullptr) detail["credential"] = *credential;
  r.detail = json::Serialize(detail);
  auto ticket = deps.audit->Append(std::move(r));
  return ticket ? static_cast<uint64_t>(*ticket) : 0;
}

uint64_t AuditRevocation(Authority::Impl& impl, const store::RevocationEvent& event,
                         const std::vector<std::string>& tasks) {
  audit::Record r;
  r.kind = audit::RecordKind::kRevocation;
  r.agent = event.actor;
  r.decision = "revoke";
  r.reasons.push_back(event.reason);
  boost::json::array ids;
  for (const auto& t : tasks) ids.emplace_back(t);
  r.detail = json::Serialize(boost::json::object{{"revocation_id", event.id},
                                                 {"scope", store::RevocationScopeName(event.scope)},
                                                 {"value", event.value},
                                                 {"tasks", std::move(ids)}});
  auto ticket = impl.deps.audit->Append(std::move(r));
  return ticket ? static_cast<uint64_t>(*ticket) : 0;
}

Status ReplayDecisions(Authority::Impl& impl) {
  int64_t from = INT64_MAX;
  impl.tasks.ForEach([&](uint64_t, LiveTask& t) { from = std::min(from, t.progress_seq + 1); });
  if (from == INT64_MAX) return Status();
  while (true) {
    auto rows = impl.deps.store->ReadAudit(impl.options.audit_chain, from, 4096);
    if (!rows) return rows.error().WithContext("replaying the audit trail");
    for (const store::AuditRow& row : *rows) {
      auto body = json::Parse(row.body, {.max_bytes = 1 << 24, .max_depth = 64});
      if (!body || !body->is_object()) continue;
      const auto& o = body->as_object();
      const auto* kind = o.if_contains("kind");
      const auto* decision = o.if_contains("decision");
      const auto* task = o.if_contains("task");
      const auto* detail = o.if_contains("detail");
      if (!kind || !decision || !task || !detail || !detail->is_object() || *kind != "decision" ||
          (*decision != "allow")) {
        continue;
      }
      const auto* progress = detail->as_object().if_contains("progress");
      uint64_t key = 0;
      if (progress == nullptr || !task->is_string() || !ParseTaskId(task->as_string(), &key))
        continue;
      impl.tasks.WithTask(key, [&](LiveTask* t) {
        if (t == nullptr || row.sequence <= t->progress_seq) return;
        if (ProgressFromJson(*progress, &t->progress)) {
          t->progress_seq = row.sequence;
          impl.MarkChanged(key, *t);
        }
      });
    }
    if (rows->size() < 4096) break;
    from = rows->back().sequence + 1;
  }
  return Status();
}

}  // namespace mandate::authority

// `POST /v1/ep/audit` (docs/api.md): an enforcement point delivers the records of the decisions
// it took itself (held step credentials decided locally, its own refusals) to this authority's
// hash-chained audit trail. Enforcement-point token only. The batch is checked whole before
// anything is appended; the answer (200) comes only once every record is durable, so the
// enforcement point forgets a record only when the trail holds it. Resent batches (an answer
// lost on the way back) are recognised by (instance, sequence) and not appended twice; after a
// restart the last sequence of each instance is recalled from the tail of the trail, where an
// answer lost to the crash left its records. The records carry no task progress, so restart
// replay never applies them.
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <mutex>

#include "src/json/json.h"
#include "src/json/writer.h"
#include "src/server/internal_api.h"
#include "src/store/store.h"

namespace mandate::server {
namespace {

constexpr size_t kMaxRecords = 10'000;
constexpr size_t kMaxFieldBytes = 16 << 10;
constexpr size_t kMaxInstances = 10'000;  // remembered instances; beyond, the oldest is forgotten
// Records read back at start to recall what each instance delivered. A batch whose answer the
// crash lost was appended in the process's last moments, so it lies within this tail unless the
// trail grew by more than this in the time between its append and the crash.
constexpr int64_t kRecalledRecords = 20'000;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, "audit.batch_invalid", std::move(message));
}

// A string member of a record: absent is empty; anything but a bounded string is an error.
Result<std::string> Field(const boost::json::object& o, std::string_view key, size_t index) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) return std::string();
  if (!v->is_string() || v->as_string().size() > kMaxFieldBytes) {
    return Err(Invalid("record " + std::to_string(index) + ": `" + std::string(key) +
                       "` must be a string of at most 16 KiB"));
  }
  return std::string(v->as_string());
}

bool IsHexDigest(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool IsToken(std::string_view s, size_t max) {  // identifiers the records name the sender by
  return !s.empty() && s.size() <= max &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
             std::string_view::npos;
}

struct Batch {
  std::string enforcement_point;
  std::string instance;
  int64_t first_sequence = 0;
  std::vector<audit::Record> records;
};

Result<Batch> ReadBatch(const boost::json::object& body) {
  static const std::vector<std::string_view> kTop = {"enforcement_point", "instance",
                                                     "first_sequence", "records"};
  static const std::vector<std::string_view> kRecord = {
      "time_micros", "agent",    "task",   "step",       "system", "action",
      "resource",    "decision", "reason", "credential", "proof",  "args_digest"};
  for (const auto& member : body) {
    if (std::find(kTop.begin(), kTop.end(), member.key()) == kTop.end())
      return Err(Invalid("unknown member `" + std::string(member.key()) + "`"));
  }
  Batch batch;
  const auto* ep = body.if_contains("enforcement_point");
  const auto* instance = body.if_contains("instance");
  const auto* first = body.if_contains("first_sequence");
  const auto* records = body.if_contains("records");
  if (ep == nullptr || !ep->is_string() || !IsToken(ep->as_string(), 64))
    return Err(Invalid("`enforcement_point` must be a name (letters, digits, `-_.`)"));
  if (instance == nullptr || !instance->is_string() || !IsToken(instance->as_string(), 128))
    return Err(Invalid("`instance` must be an identifier (letters, digits, `-_.`)"));
  if (first == nullptr || !first->is_int64() || first->as_int64() < 1)
    return Err(Invalid("`first_sequence` must be an integer >= 1"));
  if (records == nullptr || !records->is_array() || records->as_array().empty() ||
      records->as_array().size() > kMaxRecords)
    return Err(Invalid("`records` must be an array of 1 to 10000 records"));
  batch.enforcement_point = std::string(ep->as_string());
  batch.instance = std::string(instance->as_string());
  batch.first_sequence = first->as_int64();
  size_t index = 0;
  for (const boost::json::value& v : records->as_array()) {
    if (!v.is_object())
      return Err(Invalid("record " + std::to_string(index) + " is not an object"));
    const boost::json::object& o = v.as_object();
    for (const auto& member : o) {
      if (std::find(kRecord.begin(), kRecord.end(), member.key()) == kRecord.end()) {
        return Err(Invalid("record " + std::to_string(index) + ": unknown member `" +
                           std::string(member.key()) + "`"));
      }
    }
    const auto* time = o.if_contains("time_micros");
    if (time == nullptr || !time->is_int64() || time->as_int64() <= 0)
      return Err(Invalid("record " + std::to_string(index) + ": `time_micros` must be > 0"));
    std::string fields[11];
    const char* names[11] = {"agent",    "task",   "step",       "system", "action",     "resource",
                             "decision", "reason", "credential", "proof",  "args_digest"};
    for (size_t f = 0; f < 11; ++f) {
      auto value = Field(o, names[f], index);
      if (!value) return Err(value.error());
      fields[f] = std::move(*value);
    }
    const std::string& decision = fields[6];
    if (decision != "allow" && decision != "deny" && decision != "error")
      return Err(
          Invalid("record " + std::to_string(index) + ": `decision` must be allow, deny or error"));
    if (!fields[10].empty() && !IsHexDigest(fields[10]))
      return Err(
          Invalid("record " + std::to_string(index) + ": `args_digest` must be SHA-256 hex"));
    // The detail names who decided and how; the enforcement point cannot write anything else
    // into it (no `progress`: restart replay must never apply these records).
    std::string detail = "{";
    json::AppendMember(detail, "decided_by", batch.enforcement_point);
    json::AppendMember(detail, "instance", batch.instance);
    json::AppendMember(detail, "sequence", batch.first_sequence + static_cast<int64_t>(index));
    if (!fields[8].empty()) json::AppendMember(detail, "credential", fields[8]);
    if (!fields[9].empty()) json::AppendMember(detail, "proof", fields[9]);
    detail += '}';
    audit::Record r{.kind = audit::RecordKind::kDecision,
                    .time_micros = time->as_int64(),
                    .agent = std::move(fields[0]),
                    .principal = "",
                    .task = std::move(fields[1]),
                    .step = std::move(fields[2]),
                    .system = std::move(fields[3]),
                    .action = std::move(fields[4]),
                    .resource = std::move(fields[5]),
                    .args_digest = std::move(fields[10]),
                    .decision = decision,
                    .reasons = {},
                    .policy_ids = {},
                    .detail = std::move(detail)};
    if (!fields[7].empty()) r.reasons.push_back(std::move(fields[7]));
    batch.records.push_back(std::move(r));
    ++index;
  }
  return batch;
}

// The highest sequence appended per enforcement-point instance, and its ticket.
class Delivered {
 public:
  struct Last {
    int64_t sequence = 0;
    audit::Ticket ticket = 0;
    uint64_t touched = 0;
  };
  std::mutex mu;
  std::map<std::string, Last> last;  // GUARDED_BY(mu)
  uint64_t clock = 0;                // GUARDED_BY(mu), orders touches for eviction

  Last& For(const std::string& instance) {  // REQUIRES: mu held
    if (last.size() >= kMaxInstances && !last.contains(instance)) {
      auto oldest = std::min_element(last.begin(), last.end(), [](const auto& a, const auto& b) {
        return a.second.touched < b.second.touched;
      });
      last.erase(oldest);
    }
    Last& l = last[instance];
    l.touched = ++clock;
    return l;
  }
};

// Fills `delivered` from the last kRecalledRecords records of the trail (their `detail` names the
// instance and sequence, ReadBatch above). Only records an enforcement point delivered carry both.
Status Recall(ApiContext& api, Delivered& delivered) {
  if (api.store == nullptr || api.audit == nullptr) return Status();
  auto head = api.store->GetAuditHead(api.audit_chain);
  if (!head) return head.error();
  const int64_t from = std::max<int64_t>(1, head->sequence - kRecalledRecords + 1);
  auto rows = api.store->ReadAudit(api.audit_chain, from, static_cast<size_t>(kRecalledRecords));
  if (!rows) return rows.error();
  std::lock_guard lock(delivered.mu);
  for (const store::AuditRow& row : *rows) {
    if (row.body.find("\"instance\":") == std::string::npos) continue;  // most records: cheap skip
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(row.body, ec);
    const boost::json::object* record = ec ? nullptr : body.if_object();
    const boost::json::value* detail = record ? record->if_contains("detail") : nullptr;
    if (detail == nullptr || !detail->is_object()) continue;
    const auto& d = detail->as_object();
    const auto* instance = d.if_contains("instance");
    const auto* sequence = d.if_contains("sequence");
    if (!d.contains("decided_by") || instance == nullptr || !instance->is_string() ||
        sequence == nullptr || !sequence->is_int64()) {
      continue;
    }
    Delivered::Last& last = delivered.For(std::string(instance->as_string()));
    last.sequence = std::max(last.sequence, sequence->as_int64());
  }
  return Status();
}

void ReceiveBatch(ApiContext& api, Delivered& delivered, const http::Request& req,
                  http::Responder responder) {
  if (!IsEnforcementPoint(req, api)) {
    return responder.Send(
        http::Response::Error(401, "authentication.enforcement_point",
                              "audit delivery needs the enforcement-point token"));
  }
  if (api.audit == nullptr) {
    return responder.Send(
        http::Response::Error(503, "audit.unavailable", "this server keeps no audit trail"));
  }
  auto body = ReadObject(req);
  if (!body) return responder.Send(ErrorResponse(body.error()));
  auto batch = ReadBatch(*body);
  if (!batch) return responder.Send(ErrorResponse(batch.error()));
  int64_t appended = 0;
  audit::Ticket ticket = 0;
  {
    // One batch of an instance at a time: the skip test and the appends must not interleave
    // with a resend of the same records.
    std::lock_guard lock(delivered.mu);
    Delivered::Last& last = delivered.For(batch->instance);
    int64_t sequence = batch->first_sequence;
    for (audit::Record& record : batch->records) {
      if (sequence++ <= last.sequence) continue;  // appended before: the answer was lost
      auto appended_ticket = api.audit->Append(std::move(record));
      if (!appended_ticket) {
        return responder.Send(
            http::Response::Error(503, "audit.unavailable", appended_ticket.error().message()));
      }
      last.sequence = sequence - 1;
      last.ticket = *appended_ticket;
      ++appended;
    }
    ticket = last.ticket;
  }
  std::string out = "{";
  json::AppendMember(out, "appended", appended);
  json::AppendMember(out, "skipped", static_cast<int64_t>(batch->records.size()) - appended);
  json::AppendMember(out, "last_sequence",
                     batch->first_sequence + static_cast<int64_t>(batch->records.size()) - 1);
  out += '}';
  // Answered once the last record (and so every earlier one) is durable; a resend whose records
  // were all appended before waits for those.
  api.durable->Submit(static_cast<uint64_t>(ticket), std::move(responder),
                      http::Response::Json(200, std::move(out)));
}

}  // namespace

Status AddEnforcementAuditRoutes(http::Router& router, ApiContext& api) {
  auto delivered = std::make_shared<Delivered>();
  MANDATE_RETURN_IF_ERROR(Recall(api, *delivered));
  ApiContext* a = &api;
  return router.AddAsync("POST", "/v1/ep/audit",
                         [a, delivered](const http::Request& r, http::Responder resp) {
                           ReceiveBatch(*a, *delivered, r, std::move(resp));
                         });
}

}  // namespace mandate::server

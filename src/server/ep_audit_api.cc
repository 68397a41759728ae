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
#include "src/server/ep_audit_batch.h"
#include "src/server/internal_api.h"
#include "src/store/store.h"

namespace mandate::server {
namespace {

constexpr size_t kMaxInstances = 10'000;  // remembered instances; beyond, the oldest is forgotten
// Records read back at start to recall what each instance delivered. A batch whose answer the
// crash lost was appended in the process's last moments, so it lies within this tail unless the
// trail grew by more than this in the time between its append and the crash.
constexpr int64_t kRecalledRecords = 20'000;

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
  auto caller = AuthenticateEnforcementPoint(req, api);
  if (!caller) return responder.Send(ErrorResponse(caller.error()));
  if (!*caller) {
    return responder.Send(
        http::Response::Error(401, "authentication.enforcement_point",
                              "audit delivery needs the enforcement-point token"));
  }
  if (api.audit == nullptr) {
    return responder.Send(
        http::Response::Error(503, "audit.unavailable", "this server keeps no audit trail"));
  }
  auto batch = ReadEpAuditBatch(req.body());
  if (!batch) return responder.Send(ErrorResponse(batch.error()));
  // A token scoped to some audiences delivers records of their systems only (a record with no
  // system is a refusal before any system was known). The whole batch is refused, unappended.
  if (!(*caller)->all_audiences) {
    for (const audit::Record& record : batch->records) {
      if (record.system.empty()) continue;
      const auto it = api.system_audiences.find(record.system);
      const bool served = it != api.system_audiences.end() &&
                          std::any_of(it->second.begin(), it->second.end(),
                                      [&](const std::string& a) { return (*caller)->MayServe(a); });
      if (!served) {
        return responder.Send(http::Response::Error(
            403, "ep.audience_forbidden",
            "this enforcement-point token (`" + (*caller)->name +
                "`) is not scoped to an audience of system `" + record.system + "`"));
      }
    }
  }
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

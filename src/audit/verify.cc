// Verification and export of a stored audit chain.
#include <ostream>

#include "src/audit/audit.h"
#include "src/audit/internal/record_codec.h"
#include "src/json/json.h"

namespace mandate::audit {
namespace {

constexpr size_t kPage = 2048;

void Break(VerifyReport& report, int64_t sequence, std::string reason, std::string message) {
  report.broken_sequence = sequence;
  report.problem = {StatusCode::kDataLoss, std::move(reason),
                    "audit chain `" + report.chain + "`: " + std::move(message)};
}

// Checks one stored row against the record before it; false when the chain broke here.
bool CheckRow(VerifyReport& report, const store::AuditRow& row, int64_t expected,
              const std::string& prev_hash) {
  std::string n = std::to_string(row.sequence);
  if (row.sequence != expected) {
    Break(
        report, expected, "audit.record_missing",
        "record " + std::to_string(expected) + " is missing (the next stored record is " + n + ")");
    return false;
  }
  auto position = internal::ReadBodyPosition(row.body);
  if (!position) {
    Break(report, row.sequence, "audit.record_malformed",
          "record " + n + ": " + position.error().message());
    return false;
  }
  if (position->sequence != row.sequence || position->chain != report.chain) {
    Break(report, row.sequence, "audit.record_moved",
          "record " + n + " holds record " + std::to_string(position->sequence) + " of chain `" +
              position->chain + "`: a record was inserted or records were reordered");
    return false;
  }
  if (row.prev_hash != prev_hash) {
    Break(report, row.sequence, "audit.chain_broken",
          "record " + n + " does not link to record " + std::to_string(row.sequence - 1) +
              ": one of them was rewritten");
    return false;
  }
  if (internal::ChainHash(row.prev_hash, row.body) != row.hash) {
    Break(report, row.sequence, "audit.record_edited",
          "record " + n + ": its contents do not match its hash (edited)");
    return false;
  }
  return true;
}

}  // namespace

Result<VerifyReport> Verify(store::Store& store, std::string_view chain) {
  VerifyReport report;
  report.chain = std::string(chain);
  auto head = store.GetAuditHead(chain);
  if (!head) return Err(head.error());
  report.head = *head;
  std::string prev_hash(internal::kGenesisHash);
  int64_t last = 0;
  for (;;) {
    auto page = store.ReadAudit(chain, last + 1, kPage);
    if (!page) return Err(page.error());
    for (const store::AuditRow& row : *page) {
      if (!CheckRow(report, row, last + 1, prev_hash)) return report;
      prev_hash = row.hash;
      last = row.sequence;
      ++report.records;
    }
    if (page->size() < kPage) break;
  }
  // The head is read before and after the scan, so a writer appending meanwhile (records past
  // the first head, covered by the second) is not mistaken for tampering.
  auto head_after = store.GetAuditHead(chain);
  if (!head_after) return Err(head_after.error());
  report.head = *head_after;
  const store::AuditHead* anchor = last == head->sequence         ? &*head
                                   : last == head_after->sequence ? &*head_after
                                                                  : nullptr;
  if (last < head->sequence) {
    Break(report, last + 1, "audit.truncated",
          "the log ends at record " + std::to_string(last) + " but its anchored head is " +
              std::to_string(head->sequence) + ": records " + std::to_string(last + 1) + ".." +
              std::to_string(head->sequence) + " were removed");
  } else if (last > head_after->sequence) {
    Break(report, head_after->sequence + 1, "audit.beyond_head",
          "records " + std::to_string(head_after->sequence + 1) + ".." + std::to_string(last) +
              " lie past the anchored head " + std::to_string(head_after->sequence) +
              " (inserted)");
  } else if (last > 0 && anchor != nullptr && prev_hash != anchor->hash) {
    Break(report, last, "audit.beyond_head",
          "record " + std::to_string(last) + " is not the anchored head (the tail was replaced)");
  }
  return report;
}

Status ExportJsonl(store::Store& store, std::string_view chain, int64_t since, std::ostream& out) {
  std::string chain_json = json::Serialize(boost::json::value(chain));
  int64_t next = since < 1 ? 1 : since;
  for (;;) {
    auto page = store.ReadAudit(chain, next, kPage);
    if (!page) return page.error();
    for (const store::AuditRow& row : *page) {
      out << "{\"chain\":" << chain_json << ",\"sequence\":" << row.sequence
          << ",\"prev_hash\":" << json::Serialize(boost::json::value(row.prev_hash))
          << ",\"hash\":" << json::Serialize(boost::json::value(row.hash))
          << ",\"record\":" << row.body << "}\n";
      next = row.sequence + 1;
    }
    if (page->size() < kPage) break;
  }
  if (!out) return Internal("audit.export", "write failed");
  return {};
}

}  // namespace mandate::audit

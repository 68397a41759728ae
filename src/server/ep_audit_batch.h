// The body of `POST /v1/ep/audit` (docs/api.md): a batch of the records an enforcement point
// delivers, read straight into audit records without a JSON DOM. Ingestion runs for every call a
// gateway decides itself; parsing a batch into a DOM, looking its members up and copying them
// out cost about half of the authority's CPU per record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/audit/audit.h"
#include "src/util/status.h"

namespace mandate::server {

struct EpAuditBatch {
  std::string enforcement_point;  // who decided: a name (letters, digits, `-_.`)
  std::string instance;           // which running instance of it
  int64_t first_sequence = 0;     // the instance's sequence number of records[0]
  // Decision records whose `detail` names enforcement point, instance and sequence (never a task
  // `progress`: restart replay must not apply them).
  std::vector<audit::Record> records;
};

inline constexpr size_t kMaxEpAuditRecords = 10'000;
inline constexpr size_t kMaxEpAuditFieldBytes = 16 << 10;

// Strict: the JSON grammar (src/json's rules: no duplicate members, valid UTF-8, at most 1 MiB),
// no unknown member at any level, every field of its type and size, `decision` allow, deny or
// error, `args_digest` SHA-256 hex, 1 to kMaxEpAuditRecords records. Errors: `json.invalid`,
// `json.too_large` for the document; `audit.batch_invalid` naming the record and member.
[[nodiscard]] Result<EpAuditBatch> ReadEpAuditBatch(std::string_view body);

}  // namespace mandate::server

// The canonical form of an audit record and the chain hash over it.
// Thread-safety: stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/audit/audit.h"

namespace mandate::audit::internal {

// hash(0): the previous hash of a chain's first record.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Compact JSON, members in this fixed order: chain, sequence, time, kind, agent, principal,
// task, step, system, action, resource, args_digest, decision, reasons, policy_ids, detail.
std::string CanonicalBody(std::string_view chain, int64_t sequence, const Record& record);

// The same body split in two, so the costly part is built by the appending thread (in
// parallel) and the single writer thread only joins: CanonicalTail is every member after
// `sequence` and the closing brace (`"time":...,"detail":...}`); BodyPrefix is
// `{"chain":<chain>,"sequence":`; then body = prefix + decimal(sequence) + "," + tail.
std::string CanonicalTail(const RecordView& record);
std::string BodyPrefix(std::string_view chain);
void AppendBody(std::string_view prefix, int64_t sequence, std::string_view tail,
                std::string& body);

// SHA-256(prev_hash || body) as lowercase hex; prev_hash is the 64-char hex of the previous.
std::string ChainHash(std::string_view prev_hash, std::string_view body);
// The same into `out` (replaced; its buffer is reused).
void ChainHash(std::string_view prev_hash, std::string_view body, std::string& out);

// Where a stored body says it belongs. InvalidArgument `audit.record_malformed` when the body
// is not JSON, not canonical (re-serialising it changes it), or lacks chain/sequence.
struct BodyPosition {
  std::string chain;
  int64_t sequence = 0;
};
[[nodiscard]] Result<BodyPosition> ReadBodyPosition(std::string_view body);

}  // namespace mandate::audit::internal

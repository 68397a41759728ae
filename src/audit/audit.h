// The audit trail: an append-only, hash-chained log of every decision, lifecycle change,
// revocation, delegation, approval and key event, kept in the Store.
//
// Chain: record n carries hash(n) = SHA-256(hex(hash(n-1)) || body(n)), where body(n) is the
// canonical JSON serialisation of the record (fixed member order, including its chain name and
// sequence) and hash(0) is 64 zeros. The store also keeps the chain's head (sequence + hash),
// updated in the same transaction as every append, so a cut-off tail is detected too.
//
// Cost: Append stamps the time, serialises the record (on the caller's thread, in parallel
// with other callers), assigns the next sequence and enqueues (a few µs). Commits are made BY
// THE CALLERS, one at a time: the caller of WaitDurable or CommitQueued that finds no commit
// running commits everything queued on its own thread (prefixes chain and sequence, chains the
// hashes, one store write per batch; one fsync with store::Durability::kPower), and records
// queued meanwhile form the next group commit. No thread hop between a decision and its
// commit. A background thread commits, within a few milliseconds, what nobody waits for.
// WaitDurable(ticket) returns once that record is committed: acknowledge a decision only
// after it. Nothing is ever dropped: when the store fails, the log fails closed - every later
// Append and every WaitDurable for an uncommitted record returns the store's error.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/store/store.h"
#include "src/util/clock.h"
#include "src/util/status.h"

namespace mandate::audit {

enum class RecordKind : uint8_t {
  kDecision,
  kLifecycle,
  kRevocation,
  kDelegation,
  kApproval,
  kKey
};
std::string_view RecordKindName(RecordKind kind);  // "decision", "lifecycle", ...

struct Record {
  RecordKind kind = RecordKind::kDecision;
  int64_t time_micros = 0;  // 0: Append stamps it from the clock
  std::string agent;        // the acting agent identity
  std::string principal;    // on whose behalf (the task's owner or the delegating chain)
  std::string task, step, system, action, resource;
  std::string args_digest;  // ArgumentsDigest() of the call's arguments
  std::string decision;     // "allow", "deny", "needs_approval", ... or empty
  std::vector<std::string> reasons;
  std::vector<std::string> policy_ids;
  // Free-form detail as JSON text (an object, e.g. json::Serialize of one), written into the
  // record as it is; empty: null. Text, so the hot path can write it without a DOM.
  std::string detail;
};

// The same record with borrowed members: what Append serialises. The decision path fills one
// from strings it already holds, so it copies none of them before they are written.
struct RecordView {
  RecordKind kind = RecordKind::kDecision;
  int64_t time_micros = 0;  // 0: Append stamps it from the clock
  std::string_view agent, principal, task, step, system, action, resource, args_digest, decision;
  std::span<const std::string> reasons, policy_ids;
  std::string_view detail;  // JSON text; empty: null
};
RecordView View(const Record& record);

// SHA-256 (lowercase hex) of `bytes`: the digest of a call's canonical arguments.
std::string ArgumentsDigest(std::string_view bytes);
// The same of `args` in their canonical JSON (json::AppendCanonical, members sorted): what the
// authority and every enforcement point write for a call, so their records of one call carry one
// digest whatever member order each saw (the agent's, a route table's). A step credential's
// `args` claim is the same SHA-256 in base64url (credential::ArgumentsClaim).
std::string ArgumentsDigest(const boost::json::object& args);

// The sequence number the record received; pass it to WaitDurable.
using Ticket = int64_t;

struct AuditOptions {
  std::string chain = "main";    // one chain per writer (a replica on a shared PostgreSQL)
  size_t max_batch = 4096;       // records per transaction
  size_t max_pending = 1 << 20;  // Append blocks (never drops) while this many wait
  // The longest a record nobody waits for stays uncommitted (the background commit).
  int64_t background_commit_micros = 2000;
};

// Called after each group commit with the last committed sequence and ok, or once with the
// log's failure (and the last committed sequence), on the committing thread, one call at a time
// in commit order. It must be quick and must not call into the log.
using CommitListener = std::function<void(int64_t durable_sequence, const Status& failure)>;

// Thread-safe: every method may be called from any thread concurrently.
class AuditLog {
 public:
  // Continues `chain` from its stored head; FailedPrecondition `audit.truncated` when the
  // record at the head is missing or differs. `store` and `clock` must outlive the log.
  [[nodiscard]] static Result<std::unique_ptr<AuditLog>> Open(store::Store& store,
                                                              const Clock& clock,
                                                              AuditOptions options = {});
  virtual ~AuditLog() = default;  // commits everything appended, then stops the writer

  // Enqueues `record` (serialised before it returns, so the view may dangle afterwards) and
  // returns its ticket; the log's failure once it has failed.
  [[nodiscard]] virtual Result<Ticket> Append(const RecordView& record) = 0;
  [[nodiscard]] Result<Ticket> Append(const Record& record) { return Append(View(record)); }
  // Blocks until the record with `ticket` is committed, or returns the log's failure. Ticket 0
  // (a failed Append's stand-in) returns the log's failure once it has failed.
  [[nodiscard]] virtual Status WaitDurable(Ticket ticket) = 0;
  // Blocks until every record appended before the call is committed.
  [[nodiscard]] virtual Status Flush() = 0;
  // For callers that answer without blocking (the HTTP server): commits what is queued on the
  // calling thread, unless a commit is running (which then takes it), and returns; the
  // listener learns when each record is durable.
  virtual void CommitQueued() = 0;
  // Replaces the listener (waits for a call in progress); commits before it was set are not
  // replayed to it, so set it before the Appends it must hear about.
  virtual void SetCommitListener(CommitListener listener) = 0;
  // The last committed sequence.
  virtual int64_t durable_sequence() const = 0;
  // Ok while the log takes records. A commit the store refused (a full disk, an I/O error)
  // closes the log for good: this, every later Append and every WaitDurable then return
  // Unavailable `audit.unavailable`, whose message names the chain and the store's error.
  virtual Status failure() const = 0;
};

// The outcome of verifying one chain. `problem` is ok when the chain is intact; otherwise its
// reason says how it broke and `broken_sequence` where:
//   audit.record_missing   a sequence number is absent (a record was deleted)
//   audit.record_edited    a record's contents do not match its hash
//   audit.chain_broken     a record does not link to the one before (rewritten or spliced)
//   audit.record_moved     a record sits at a sequence other than its own (inserted/reordered)
//   audit.record_malformed a body is not a canonical record
//   audit.truncated        the log ends before its anchored head (the tail was cut off)
//   audit.beyond_head      records exist past the anchored head, or the head hash differs
struct VerifyReport {
  std::string chain;
  int64_t records = 0;  // records checked
  store::AuditHead head;
  int64_t broken_sequence = 0;
  Status problem;
};

// Reads `chain` from the store and checks every record and the head. Errors only for I/O.
[[nodiscard]] Result<VerifyReport> Verify(store::Store& store, std::string_view chain);

// Writes the records of `chain` with sequence >= `since` as JSON lines:
//   {"chain":..,"sequence":..,"prev_hash":..,"hash":..,"record":<body, verbatim>}
[[nodiscard]] Status ExportJsonl(store::Store& store, std::string_view chain, int64_t since,
                                 std::ostream& out);

}  // namespace mandate::audit

// Store: the one storage interface of Mandate. Everything that must outlive the process lives
// behind it: tasks, revocations, signing keys, approvals, injected secrets and the audit trail.
//
// Backends: SQLite (embedded default, `sqlite:///dir` or a plain path) and PostgreSQL
// (scale-out, `postgresql://...`), both passing the same contract suite (store_contract_test.h).
//
// DURABILITY CONTRACT: a method that returns ok has committed its write; the write survives
// `kill -9` of the process. How much more it survives is StoreOptions::durability:
//   kProcess (default): SQLite WAL + synchronous=NORMAL. The commit is written into the WAL
//     file (in the kernel's page cache) but not fsynced: it survives kill -9 and any crash of
//     this process; a power loss or kernel crash may lose the last commits, never consistency.
//   kPower: SQLite synchronous=FULL, one fsync per commit: also survives power loss.
// The embedded backend keeps the audit trail in append-only files beside the database
// (internal/audit_files.h, docs/audit-storage.md): an AppendAudit is a write() of its lines and
// then of the chain's head (kPower: an fdatasync after each), with the same guarantees.
// PostgreSQL ignores the option: its server commits with synchronous_commit on for both
// (`off` could lose commits when the PostgreSQL server crashes, which is not our process).
// A method that returns an error wrote nothing (every multi-row write is one transaction).
// Batch writes are all-or-nothing.
//
// Secrets and signing-key private keys are sealed at rest with libsodium crypto_secretbox under
// a 32-byte master key (StoreOptions::master_key, see LoadMasterKey); see docs/store.md.
//
// Thread-safety: every Store method may be called from any thread concurrently.
// Times are microseconds since the Unix epoch, supplied by the caller (from its Clock).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/status.h"

namespace mandate::store {

enum class TaskState : uint8_t { kActive, kCompleted, kFailed, kExpired, kRevoked };
std::string_view TaskStateName(TaskState state);  // "active", "completed", ...
[[nodiscard]] Result<TaskState> ParseTaskState(std::string_view name);
inline bool IsTerminal(TaskState s) { return s != TaskState::kActive; }

struct TaskRecord {
  std::string id;
  std::string parent_id;  // empty for a root task; else the delegating task (delegation tree)
  std::string agent;      // the agent identity (SPIFFE ID or issuer|subject)
  std::string owner;      // the accountable human or team
  std::string mandate;    // mandate name
  std::string mandate_version;
  TaskState state = TaskState::kActive;
  int64_t deadline_micros = 0;
  int64_t created_micros = 0;
  int64_t updated_micros = 0;
  std::string state_blob;  // opaque to the store: steps done, counts, labels read (authority's)
  friend bool operator==(const TaskRecord&, const TaskRecord&) = default;
};

// Empty fields match anything; all set fields must match.
struct TaskQuery {
  std::string agent, owner, mandate, parent_id;
  bool live_only = false;  // only TaskState::kActive
  size_t limit = 1000;
};

enum class RevocationScope : uint8_t { kCredential, kTask, kAgent, kMandate, kOwner, kAll };
std::string_view RevocationScopeName(RevocationScope scope);  // "credential" (a jti), "task", ...
[[nodiscard]] Result<RevocationScope> ParseRevocationScope(std::string_view name);

struct RevocationEvent {
  int64_t id = 0;  // assigned by AppendRevocation: 1, 2, 3... in commit order, never reused
  RevocationScope scope = RevocationScope::kTask;
  std::string value;  // jti / task id / agent / mandate / owner; empty for kAll
  std::string reason;
  std::string actor;  // who revoked: an owner, `authority` (automatic), an operator
  int64_t time_micros = 0;
  friend bool operator==(const RevocationEvent&, const RevocationEvent&) = default;
};

struct SigningKeyRecord {
  std::string kid;
  std::string alg;          // JOSE alg, e.g. "EdDSA", "ES256"
  std::string private_key;  // plaintext bytes in the API; sealed at rest when a master key is set
  std::string public_jwk;   // JSON text
  int64_t created_micros = 0;
  int64_t activates_micros = 0;
  int64_t retires_micros = 0;  // 0 = not scheduled
  friend bool operator==(const SigningKeyRecord&, const SigningKeyRecord&) = default;
};

enum class ApprovalState : uint8_t { kPending, kApproved, kDenied, kExpired };
std::string_view ApprovalStateName(ApprovalState state);
[[nodiscard]] Result<ApprovalState> ParseApprovalState(std::string_view name);

struct ApprovalRecord {
  std::string id;
  std::string task_id;
  std::string call_digest;  // SHA-256 (hex) of the call awaiting approval
  ApprovalState state = ApprovalState::kPending;
  std::string decided_by;  // empty while pending
  int64_t created_micros = 0;
  int64_t expires_micros = 0;
  friend bool operator==(const ApprovalRecord&, const ApprovalRecord&) = default;
};

// One audit record as stored. `body` is the canonical serialisation written by src/audit;
// hash = SHA-256(prev_hash || body) (hex). The store does not interpret the body.
struct AuditRow {
  int64_t sequence = 0;  // 1, 2, 3... per chain
  std::string prev_hash;
  std::string hash;
  std::string body;
  friend bool operator==(const AuditRow&, const AuditRow&) = default;
};

// The anchored head of an audit chain: updated in the same transaction as each append, so a
// log whose last row is below it was truncated. sequence 0 = empty chain.
struct AuditHead {
  int64_t sequence = 0;
  std::string hash;  // empty when sequence is 0
};

class RevocationSubscription {
 public:
  virtual ~RevocationSubscription() = default;  // unsubscribes; waits for a running callback
};
using RevocationCallback = std::function<void(const RevocationEvent&)>;

class Store {
 public:
  virtual ~Store() = default;

  // True when other processes may write this store too (replicas on PostgreSQL); false when one
  // process owns it (SQLite), so everything in it was written by this process.
  virtual bool SharedByProcesses() const = 0;

  // --- tasks
  // Inserts every record by id, atomically (all or none). A task's identity (parent, agent,
  // owner, mandate and version, created) is written by its first put; later puts of the same id
  // update its state, deadline, updated time and state blob. Checkpoints put a thousand tasks
  // at a time, and leaving the indexed identity columns alone halves their cost at a million
  // tasks (the upsert no longer rewrites four index entries per task).
  virtual Status PutTasks(std::span<const TaskRecord> tasks) = 0;
  // The task with `id`, or NotFound `task.unknown`.
  virtual Result<TaskRecord> GetTask(std::string_view id) = 0;
  // Every task in state active (what the authority reloads at start), ordered by id.
  virtual Result<std::vector<TaskRecord>> LoadLiveTasks() = 0;
  // Tasks matching `query`, ordered by created time then id, at most query.limit.
  virtual Result<std::vector<TaskRecord>> ListTasks(const TaskQuery& query) = 0;

  // --- revocations
  // Appends `event` (its id is ignored) and returns the new event id, greater than all before.
  virtual Result<int64_t> AppendRevocation(const RevocationEvent& event) = 0;
  // Events with id > `after_id`, in id order, at most `limit`.
  virtual Result<std::vector<RevocationEvent>> ListRevocationsSince(int64_t after_id,
                                                                    size_t limit) = 0;
  // Calls `callback` for each revocation committed after this call, in id order, on a store
  // thread (PostgreSQL: also events appended by other replicas, via LISTEN/NOTIFY). To resume
  // after a restart: subscribe first, then ListRevocationsSince(last seen id), dedupe by id.
  // The callback must be quick and must not subscribe or drop a subscription.
  // Unavailable `store.unavailable` when the notification channel cannot be opened.
  virtual Result<std::unique_ptr<RevocationSubscription>> SubscribeRevocations(
      RevocationCallback callback) = 0;

  // --- signing keys
  // Inserts a new key; AlreadyExists `key.exists` if the kid is taken.
  virtual Status PutSigningKey(const SigningKeyRecord& key) = 0;
  // Replaces an existing key; NotFound `key.unknown` otherwise.
  virtual Status UpdateSigningKey(const SigningKeyRecord& key) = 0;
  // Every key, ordered by created time then kid.
  virtual Result<std::vector<SigningKeyRecord>> ListSigningKeys() = 0;

  // --- approvals
  // Inserts or replaces by id.
  virtual Status PutApproval(const ApprovalRecord& approval) = 0;
  // The approval with `id`, or NotFound `approval.unknown`.
  virtual Result<ApprovalRecord> GetApproval(std::string_view id) = 0;
  // Approvals of `task_id` (all tasks when empty), ordered by created time then id.
  virtual Result<std::vector<ApprovalRecord>> ListApprovals(std::string_view task_id) = 0;

  // --- secrets for credential injection (sealed at rest; need a master key)
  // Sets `name` to `value`; FailedPrecondition `store.no_master_key` without a master key.
  virtual Status PutSecret(std::string_view name, std::string_view value) = 0;
  // The value of `name`: NotFound `secret.unknown`; DataLoss `secret.unsealable` when the
  // ciphertext was altered, moved to another name, or sealed under another master key.
  virtual Result<std::string> GetSecret(std::string_view name) = 0;
  // Deletes `name`; NotFound `secret.unknown` if absent.
  virtual Status DeleteSecret(std::string_view name) = 0;

  // --- audit trail (append-only; src/audit computes the hashes)
  // Appends `rows` to `chain` atomically and moves its head to the last row. Aborted
  // `audit.chain_conflict` unless rows[0] continues the head (sequence head+1, prev_hash =
  // head hash) and each row continues the one before.
  virtual Status AppendAudit(std::string_view chain, std::span<const AuditRow> rows) = 0;
  // Rows of `chain` with sequence >= `from_sequence`, in sequence order, at most `limit`.
  virtual Result<std::vector<AuditRow>> ReadAudit(std::string_view chain, int64_t from_sequence,
                                                  size_t limit) = 0;
  // Number of rows stored for `chain`.
  virtual Result<int64_t> CountAudit(std::string_view chain) = 0;
  // The anchored head of `chain` (sequence 0 when empty).
  virtual Result<AuditHead> GetAuditHead(std::string_view chain) = 0;
  // Names of every chain with a head or a row, sorted.
  virtual Result<std::vector<std::string>> ListAuditChains() = 0;
};

// What an acknowledged write survives (see DURABILITY CONTRACT above).
enum class Durability : uint8_t { kProcess, kPower };
std::string_view DurabilityName(Durability durability);  // "process", "power"
// InvalidArgument `durability.unknown` for any other name.
[[nodiscard]] Result<Durability> ParseDurability(std::string_view name);

struct StoreOptions {
  std::string master_key;  // 32 raw bytes, or empty: secrets and private keys then refused/raw
  Durability durability = Durability::kProcess;
};

// Opens (creating if needed) the store at `url`:
//   sqlite:///abs/dir-or-file, sqlite://rel/path, or a plain path  -> SQLite; a directory (or a
//     path without ".db") holds `mandate.db`;
//   postgresql://... or postgres://...  -> PostgreSQL (a libpq URI).
// Errors: InvalidArgument `store.url`; FailedPrecondition `store.schema_version` for a store
// written by another schema version; DataLoss `store.corrupt` for a file that is not a
// database; Unavailable `store.unavailable` when the server cannot be reached.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenStore(std::string_view url,
                                                       const StoreOptions& options = {});

// Reads the master key: the file named by $MANDATE_MASTER_KEY_FILE, else $MANDATE_MASTER_KEY;
// either holds 64 hex digits (32 bytes). Returns empty when neither is set.
// InvalidArgument `store.master_key` when set but malformed.
[[nodiscard]] Result<std::string> LoadMasterKey();

}  // namespace mandate::store

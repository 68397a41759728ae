// SqlStore: the Store logic shared by the SQL backends. Every method is a few statements of
// portable SQL (`$1`-style parameters, ON CONFLICT upserts) over four primitives a backend
// supplies: run a script, run a parameterised query returning text columns, take a
// transaction-scoped writer lock, and say how revocations reach subscribers.
// Thread-safety: thread-safe; one connection, every operation under `mu_`.
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "src/store/internal/revocation_fanout.h"
#include "src/store/store.h"

namespace mandate::store::internal {

inline constexpr int kSchemaVersion = 1;

struct SqlParam {
  enum class Kind : uint8_t { kText, kInt, kBlob };
  std::string value;  // the text, the bytes, or the integer in decimal (unless `ref` is set)
  Kind kind = Kind::kText;
  int64_t number = 0;
  const std::string* ref = nullptr;  // borrowed text instead of `value` (TextRef)
  const std::string& bytes() const { return ref ? *ref : value; }
};
inline SqlParam Text(std::string_view v) { return {std::string(v), SqlParam::Kind::kText, 0}; }
// Text without a copy, for the bulk rows of the audit trail. REQUIRES: `v` outlives the query.
inline SqlParam TextRef(const std::string& v) { return {{}, SqlParam::Kind::kText, 0, &v}; }
inline SqlParam Int(int64_t v) { return {std::to_string(v), SqlParam::Kind::kInt, v}; }
// A row count for LIMIT: SIZE_MAX ("all") would wrap to -1, which SQLite reads as no limit and
// PostgreSQL refuses.
inline SqlParam Limit(size_t n) {
  return Int(static_cast<int64_t>(std::min<size_t>(n, std::numeric_limits<int64_t>::max())));
}
inline SqlParam Blob(std::string_view v) { return {std::string(v), SqlParam::Kind::kBlob, 0}; }

using SqlRow = std::vector<std::string>;  // every column as text (blobs as raw bytes)

class SqlStore : public Store {
 public:
  SqlStore(std::string master_key, std::shared_ptr<RevocationFanout> fanout)
      : fanout_(std::move(fanout)), master_key_(std::move(master_key)) {}

  Status PutTasks(std::span<const TaskRecord> tasks) override;
  Result<TaskRecord> GetTask(std::string_view id) override;
  Result<std::vector<TaskRecord>> LoadLiveTasks() override;
  Result<std::vector<TaskRecord>> ListTasks(const TaskQuery& query) override;
  Result<int64_t> AppendRevocation(const RevocationEvent& event) override;
  Result<std::vector<RevocationEvent>> ListRevocationsSince(int64_t after_id,
                                                            size_t limit) override;
  Status PutSigningKey(const SigningKeyRecord& key) override;
  Status UpdateSigningKey(const SigningKeyRecord& key) override;
  Result<std::vector<SigningKeyRecord>> ListSigningKeys() override;
  Status PutApproval(const ApprovalRecord& approval) override;
  Result<ApprovalRecord> GetApproval(std::string_view id) override;
  Result<std::vector<ApprovalRecord>> ListApprovals(std::string_view task_id) override;
  Status PutSecret(std::string_view name, std::string_view value) override;
  Result<std::string> GetSecret(std::string_view name) override;
  Status DeleteSecret(std::string_view name) override;
  Status AppendAudit(std::string_view chain, std::span<const AuditRow> rows) override;
  Result<std::vector<AuditRow>> ReadAudit(std::string_view chain, int64_t from_sequence,
                                          size_t limit) override;
  Result<int64_t> CountAudit(std::string_view chain) override;
  Result<AuditHead> GetAuditHead(std::string_view chain) override;
  Result<std::vector<std::string>> ListAuditChains() override;

 protected:
  // Creates the schema, or checks the version of an existing one. Call once after connecting.
  Status Migrate();
  // Events with id > after_id; REQUIRES: mu_ held.
  Result<std::vector<RevocationEvent>> RevocationsSinceLocked(int64_t after_id, size_t limit);

  // --- backend primitives; all called with mu_ held
  // The column type for bytes: BYTEA (PostgreSQL) or BLOB (SQLite).
  virtual std::string_view BlobType() const { return "BYTEA"; }
  virtual std::string_view BeginSql() const { return "BEGIN"; }
  virtual Status ExecScript(std::string_view sql) = 0;
  // BEGIN / COMMIT / ROLLBACK: run on every write, so SQLite keeps them prepared.
  virtual Status ExecControl(std::string_view sql) { return ExecScript(sql); }
  virtual Result<std::vector<SqlRow>> Query(std::string_view sql,
                                            std::span<const SqlParam> params) = 0;
  // Serialises writers of `key` until the transaction ends (no-op where BEGIN already does).
  virtual Status LockForWrite(std::string_view key) = 0;
  // Extra statements after a revocation insert, in its transaction (PostgreSQL: pg_notify).
  virtual Status AfterRevocationInsert(int64_t id) { return {}; }

  std::mutex mu_;
  std::shared_ptr<RevocationFanout> fanout_;

 private:
  Status Exec(std::string_view sql, std::span<const SqlParam> params);
  Status Transaction(const std::function<Status()>& body);  // REQUIRES: mu_ held
  Result<std::vector<TaskRecord>> QueryTasks(std::string_view sql,
                                             std::span<const SqlParam> params);
  Status WriteSigningKey(const SigningKeyRecord& key, bool insert);

  const std::string master_key_;
};

}  // namespace mandate::store::internal

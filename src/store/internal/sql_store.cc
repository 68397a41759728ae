#include "src/store/internal/sql_store.h"

#include <charconv>
#include <string>

#include "src/store/internal/sealer.h"

namespace mandate::store::internal {
namespace {

constexpr std::string_view kTaskColumns =
    "id, parent_id, agent, owner, mandate, mandate_version, state, deadline, created, updated, "
    "state_blob";
constexpr std::string_view kRevocationColumns = "id, scope, value, reason, actor, time";
constexpr std::string_view kKeyColumns =
    "kid, alg, private_key, private_key_sealed, public_jwk, created, activates, retires";
constexpr std::string_view kApprovalColumns =
    "id, task_id, call_digest, state, decided_by, created, expires";

// The schema, portable but for the byte type (BIGINT is an integer to SQLite).
constexpr std::string_view kSchema = R"sql(
CREATE TABLE tasks (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL, agent TEXT NOT NULL,
  owner TEXT NOT NULL, mandate TEXT NOT NULL, mandate_version TEXT NOT NULL,
  state TEXT NOT NULL, deadline BIGINT NOT NULL, created BIGINT NOT NULL,
  updated BIGINT NOT NULL, state_blob BYTEA NOT NULL);
CREATE INDEX tasks_state ON tasks (state);
CREATE INDEX tasks_agent ON tasks (agent);
CREATE INDEX tasks_owner ON tasks (owner);
CREATE INDEX tasks_mandate ON tasks (mandate);
CREATE INDEX tasks_parent ON tasks (parent_id);
CREATE TABLE revocations (id BIGINT PRIMARY KEY, scope TEXT NOT NULL, value TEXT NOT NULL,
  reason TEXT NOT NULL, actor TEXT NOT NULL, time BIGINT NOT NULL);
CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_key BYTEA NOT NULL,
  private_key_sealed INTEGER NOT NULL, public_jwk TEXT NOT NULL, created BIGINT NOT NULL,
  activates BIGINT NOT NULL, retires BIGINT NOT NULL);
CREATE TABLE approvals (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, call_digest TEXT NOT NULL,
  state TEXT NOT NULL, decided_by TEXT NOT NULL, created BIGINT NOT NULL,
  expires BIGINT NOT NULL);
CREATE INDEX approvals_task ON approvals (task_id);
CREATE TABLE secrets (name TEXT PRIMARY KEY, sealed BYTEA NOT NULL);
CREATE TABLE audit (chain TEXT NOT NULL, sequence BIGINT NOT NULL, prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (chain, sequence));
CREATE TABLE audit_head (chain TEXT PRIMARY KEY, sequence BIGINT NOT NULL, hash TEXT NOT NULL);
)sql";

Status Corrupt(std::string_view what) {
  return {StatusCode::kDataLoss, "store.corrupt", "unreadable " + std::string(what)};
}

Result<int64_t> ToInt(const std::string& text, std::string_view what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return Err(Corrupt(what));
  return value;
}

template <typename T>
Status Expect(const Result<T>& r) {
  return r ? Status() : r.error();
}

Result<TaskRecord> TaskFromRow(const SqlRow& row) {
  if (row.size() != 11) return Err(Corrupt("task row"));
  TaskRecord t;
  t.id = row[0];
  t.parent_id = row[1];
  t.agent = row[2];
  t.owner = row[3];
  t.mandate = row[4];
  t.mandate_version = row[5];
  auto state = ParseTaskState(row[6]);
  auto deadline = ToInt(row[7], "task deadline");
  auto created = ToInt(row[8], "task created");
  auto updated = ToInt(row[9], "task updated");
  if (!state || !deadline || !created || !updated) return Err(Corrupt("task `" + row[0] + "`"));
  t.state = *state;
  t.deadline_micros = *deadline;
  t.created_micros = *created;
  t.updated_micros = *updated;
  t.state_blob = row[10];
  return t;
}

Result<RevocationEvent> RevocationFromRow(const SqlRow& row) {
  if (row.size() != 6) return Err(Corrupt("revocation row"));
  auto id = ToInt(row[0], "revocation id");
  auto scope = ParseRevocationScope(row[1]);
  auto time = ToInt(row[5], "revocation time");
  if (!id || !scope || !time) return Err(Corrupt("revocation `" + row[0] + "`"));
  return RevocationEvent{.id = *id,
                         .scope = *scope,
                         .value = row[2],
                         .reason = row[3],
                         .actor = row[4],
                         .time_micros = *time};
}

Result<ApprovalRecord> ApprovalFromRow(const SqlRow& row) {
  if (row.size() != 7) return Err(Corrupt("approval row"));
  auto state = ParseApprovalState(row[3]);
  auto created = ToInt(row[5], "approval created");
  auto expires = ToInt(row[6], "approval expires");
  if (!state || !created || !expires) return Err(Corrupt("approval `" + row[0] + "`"));
  return ApprovalRecord{.id = row[0],
                        .task_id = row[1],
                        .call_digest = row[2],
                        .state = *state,
                        .decided_by = row[4],
                        .created_micros = *created,
                        .expires_micros = *expires};
}

Result<AuditRow> AuditFromRow(const SqlRow& row) {
  if (row.size() != 4) return Err(Corrupt("audit row"));
  auto sequence = ToInt(row[0], "audit sequence");
  if (!sequence) return Err(sequence.error());
  return AuditRow{.sequence = *sequence, .prev_hash = row[1], .hash = row[2], .body = row[3]};
}

Status NoMasterKey(std::string_view what) {
  return {StatusCode::kFailedPrecondition, "store.no_master_key",
          std::string(what) + " needs a master key (set MANDATE_MASTER_KEY_FILE)"};
}

std::string KeyContext(std::string_view kid) { return "signing-key:" + std::string(kid); }
std::string SecretContext(std::string_view name) { return "secret:" + std::string(name); }

}  // namespace

Status SqlStore::Exec(std::string_view sql, std::span<const SqlParam> params) {
  return Expect(Query(sql, params));
}

Status SqlStore::Transaction(const std::function<Status()>& body) {
  if (Status s = ExecControl(BeginSql()); !s.ok()) return s;
  Status s = body();
  if (s.ok()) s = ExecControl("COMMIT");
  if (!s.ok()) (void)ExecControl("ROLLBACK");
  return s;
}

Status SqlStore::Migrate() {
  std::lock_guard lock(mu_);
  return Transaction([&]() -> Status {
    if (Status s = LockForWrite("schema"); !s.ok()) return s;
    if (Status s = ExecScript("CREATE TABLE IF NOT EXISTS mandate_meta (key TEXT PRIMARY KEY, "
                              "value TEXT NOT NULL)");
        !s.ok()) {
      return s;
    }
    auto rows = Query("SELECT value FROM mandate_meta WHERE key = 'schema_version'", {});
    if (!rows) return rows.error();
    if (rows->empty()) {
      std::string ddl(kSchema);
      for (size_t at = ddl.find("BYTEA"); at != std::string::npos;
           at = ddl.find("BYTEA", at + BlobType().size())) {
        ddl.replace(at, 5, BlobType());
      }
      if (Status s = ExecScript(ddl); !s.ok()) return s;
      SqlParam version[] = {Int(kSchemaVersion)};
      return Exec("INSERT INTO mandate_meta (key, value) VALUES ('schema_version', $1)", version);
    }
    if (rows->front().at(0) != std::to_string(kSchemaVersion)) {
      return {StatusCode::kFailedPrecondition, "store.schema_version",
              "store schema version `" + rows->front().at(0) +
                  "` is not supported: this build reads version " + std::to_string(kSchemaVersion)};
    }
    return {};
  });
}

// --- tasks

Status SqlStore::PutTasks(std::span<const TaskRecord> tasks) {
  static const std::string sql =
      "INSERT INTO tasks (" + std::string(kTaskColumns) +
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO UPDATE SET "
      "state = excluded.state, deadline = excluded.deadline, updated = excluded.updated, "
      "state_blob = excluded.state_blob";  // identity columns: first put only (store.h)
  std::lock_guard lock(mu_);
  return Transaction([&]() -> Status {
    for (const TaskRecord& t : tasks) {
      SqlParam p[] = {Text(t.id),
                      Text(t.parent_id),
                      Text(t.agent),
                      Text(t.owner),
                      Text(t.mandate),
                      Text(t.mandate_version),
                      Text(TaskStateName(t.state)),
                      Int(t.deadline_micros),
                      Int(t.created_micros),
                      Int(t.updated_micros),
                      Blob(t.state_blob)};
      if (Status s = Exec(sql, p); !s.ok()) return s.WithContext("task `" + t.id + "`");
    }
    return {};
  });
}

Result<std::vector<TaskRecord>> SqlStore::QueryTasks(std::string_view sql,
                                                     std::span<const SqlParam> params) {
  auto rows = Query(sql, params);
  if (!rows) return Err(rows.error());
  std::vector<TaskRecord> tasks;
  tasks.reserve(rows->size());
  for (const SqlRow& row : *rows) {
    auto task = TaskFromRow(row);
    if (!task) return Err(task.error());
    tasks.push_back(std::move(*task));
  }
  return tasks;
}

Result<TaskRecord> SqlStore::GetTask(std::string_view id) {
  static const std::string sql =
      "SELECT " + std::string(kTaskColumns) + " FROM tasks WHERE id = $1";
  SqlParam p[] = {Text(id)};
  std::lock_guard lock(mu_);
  auto tasks = QueryTasks(sql, p);
  if (!tasks) return Err(tasks.error());
  if (tasks->empty()) return Err(NotFound("task.unknown", "no task `" + std::string(id) + "`"));
  return std::move(tasks->front());
}

Result<std::vector<TaskRecord>> SqlStore::LoadLiveTasks() {
  static const std::string sql =
      "SELECT " + std::string(kTaskColumns) + " FROM tasks WHERE state = 'active' ORDER BY id";
  std::lock_guard lock(mu_);
  return QueryTasks(sql, {});
}

Result<std::vector<TaskRecord>> SqlStore::ListTasks(const TaskQuery& query) {
  std::string sql = "SELECT " + std::string(kTaskColumns) + " FROM tasks WHERE 1 = 1";
  std::vector<SqlParam> params;
  auto match = [&](std::string_view column, const std::string& value) {
    if (value.empty()) return;
    params.push_back(Text(value));
    sql += " AND " + std::string(column) + " = $" + std::to_string(params.size());
  };
  match("agent", query.agent);
  match("owner", query.owner);
  match("mandate", query.mandate);
  match("parent_id", query.parent_id);
  if (query.live_only) sql += " AND state = 'active'";
  params.push_back(Limit(query.limit));
  sql += " ORDER BY created, id LIMIT $" + std::to_string(params.size());
  std::lock_guard lock(mu_);
  return QueryTasks(sql, params);
}

// --- revocations

Result<int64_t> SqlStore::AppendRevocation(const RevocationEvent& event) {
  RevocationEvent stored = event;
  {
    std::lock_guard lock(mu_);
    Status s = Transaction([&]() -> Status {
      if (Status s = LockForWrite("revocations"); !s.ok()) return s;
      auto next = Query("SELECT COALESCE(MAX(id), 0) + 1 FROM revocations", {});
      if (!next) return next.error();
      auto id = ToInt(next->at(0).at(0), "revocation id");
      if (!id) return id.error();
      stored.id = *id;
      SqlParam p[] = {Int(stored.id),     Text(RevocationScopeName(stored.scope)),
                      Text(stored.value), Text(stored.reason),
                      Text(stored.actor), Int(stored.time_micros)};
      if (Status s = Exec("INSERT INTO revocations (" + std::string(kRevocationColumns) +
                              ") VALUES ($1, $2, $3, $4, $5, $6)",
                          p);
          !s.ok()) {
        return s;
      }
      return AfterRevocationInsert(stored.id);
    });
    if (!s.ok()) return Err(s.WithContext("append revocation"));
    // A shared store's listener publishes every committed event, ours included; else we do.
    if (!SharedByProcesses()) fanout_->Enqueue(stored);  // in commit order
  }
  if (!SharedByProcesses()) fanout_->Deliver();
  return stored.id;
}

Result<std::vector<RevocationEvent>> SqlStore::RevocationsSinceLocked(int64_t after_id,
                                                                      size_t limit) {
  SqlParam p[] = {Int(after_id), Limit(limit)};
  auto rows = Query("SELECT " + std::string(kRevocationColumns) +
                        " FROM revocations WHERE id > $1 ORDER BY id LIMIT $2",
                    p);
  if (!rows) return Err(rows.error());
  std::vector<RevocationEvent> events;
  for (const SqlRow& row : *rows) {
    auto event = RevocationFromRow(row);
    if (!event) return Err(event.error());
    events.push_back(std::move(*event));
  }
  return events;
}

Result<std::vector<RevocationEvent>> SqlStore::ListRevocationsSince(int64_t after_id,
                                                                    size_t limit) {
  std::lock_guard lock(mu_);
  return RevocationsSinceLocked(after_id, limit);
}

// --- signing keys

Status SqlStore::WriteSigningKey(const SigningKeyRecord& key, bool insert) {
  bool sealed = !master_key_.empty();
  std::string private_key =
      sealed ? Seal(master_key_, KeyContext(key.kid), key.private_key) : key.private_key;
  SqlParam p[] = {Text(key.kid),
                  Text(key.alg),
                  Blob(private_key),
                  Int(sealed ? 1 : 0),
                  Text(key.public_jwk),
                  Int(key.created_micros),
                  Int(key.activates_micros),
                  Int(key.retires_micros)};
  std::lock_guard lock(mu_);
  return Transaction([&]() -> Status {
    SqlParam kid[] = {Text(key.kid)};
    auto existing = Query("SELECT kid FROM signing_keys WHERE kid = $1", kid);
    if (!existing) return existing.error();
    if (insert && !existing->empty()) {
      return {StatusCode::kAlreadyExists, "key.exists", "signing key `" + key.kid + "` exists"};
    }
    if (!insert && existing->empty()) {
      return NotFound("key.unknown", "no signing key `" + key.kid + "`");
    }
    if (!insert) {
      if (Status s = Exec("DELETE FROM signing_keys WHERE kid = $1", kid); !s.ok()) return s;
    }
    return Exec("INSERT INTO signing_keys (" + std::string(kKeyColumns) +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                p);
  });
}

Status SqlStore::PutSigningKey(const SigningKeyRecord& key) { return WriteSigningKey(key, true); }
Status SqlStore::UpdateSigningKey(const SigningKeyRecord& key) {
  return WriteSigningKey(key, false);
}

Result<std::vector<SigningKeyRecord>> SqlStore::ListSigningKeys() {
  std::vector<SqlRow> rows;
  {
    std::lock_guard lock(mu_);
    auto r = Query(
        "SELECT " + std::string(kKeyColumns) + " FROM signing_keys ORDER BY created, kid", {});
    if (!r) return Err(r.error());
    rows = std::move(*r);
  }
  std::vector<SigningKeyRecord> keys;
  for (const SqlRow& row : rows) {
    if (row.size() != 8) return Err(Corrupt("signing key row"));
    auto created = ToInt(row[5], "key created");
    auto activates = ToInt(row[6], "key activates");
    auto retires = ToInt(row[7], "key retires");
    if (!created || !activates || !retires) return Err(Corrupt("signing key `" + row[0] + "`"));
    SigningKeyRecord key{.kid = row[0],
                         .alg = row[1],
                         .private_key = row[2],
                         .public_jwk = row[4],
                         .created_micros = *created,
                         .activates_micros = *activates,
                         .retires_micros = *retires};
    if (row[3] == "1") {
      if (master_key_.empty()) return Err(NoMasterKey("sealed signing key `" + key.kid + "`"));
      auto plain = Unseal(master_key_, KeyContext(key.kid), row[2]);
      if (!plain) return Err(plain.error());
      key.private_key = std::move(*plain);
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

// --- approvals

Status SqlStore::PutApproval(const ApprovalRecord& a) {
  static const std::string sql =
      "INSERT INTO approvals (" + std::string(kApprovalColumns) +
      ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
      "task_id = excluded.task_id, call_digest = excluded.call_digest, state = excluded.state, "
      "decided_by = excluded.decided_by, created = excluded.created, expires = excluded.expires";
  SqlParam p[] = {Text(a.id),           Text(a.task_id),
                  Text(a.call_digest),  Text(ApprovalStateName(a.state)),
                  Text(a.decided_by),   Int(a.created_micros),
                  Int(a.expires_micros)};
  std::lock_guard lock(mu_);
  return Exec(sql, p);
}

Result<ApprovalRecord> SqlStore::GetApproval(std::string_view id) {
  SqlParam p[] = {Text(id)};
  std::lock_guard lock(mu_);
  auto rows = Query("SELECT " + std::string(kApprovalColumns) + " FROM approvals WHERE id = $1", p);
  if (!rows) return Err(rows.error());
  if (rows->empty()) {
    return Err(NotFound("approval.unknown", "no approval `" + std::string(id) + "`"));
  }
  return ApprovalFromRow(rows->front());
}

Result<std::vector<ApprovalRecord>> SqlStore::ListApprovals(std::string_view task_id) {
  std::string sql = "SELECT " + std::string(kApprovalColumns) + " FROM approvals";
  std::vector<SqlParam> params;
  if (!task_id.empty()) {
    sql += " WHERE task_id = $1";
    params.push_back(Text(task_id));
  }
  sql += " ORDER BY created, id";
  std::lock_guard lock(mu_);
  auto rows = Query(sql, params);
  if (!rows) return Err(rows.error());
  std::vector<ApprovalRecord> approvals;
  for (const SqlRow& row : *rows) {
    auto a = ApprovalFromRow(row);
    if (!a) return Err(a.error());
    approvals.push_back(std::move(*a));
  }
  return approvals;
}

// --- secrets

Status SqlStore::PutSecret(std::string_view name, std::string_view value) {
  if (master_key_.empty()) return NoMasterKey("secret `" + std::string(name) + "`");
  SqlParam p[] = {Text(name), Blob(Seal(master_key_, SecretContext(name), value))};
  std::lock_guard lock(mu_);
  return Exec(
      "INSERT INTO secrets (name, sealed) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET "
      "sealed = excluded.sealed",
      p);
}

Result<std::string> SqlStore::GetSecret(std::string_view name) {
  if (master_key_.empty()) return Err(NoMasterKey("secret `" + std::string(name) + "`"));
  SqlParam p[] = {Text(name)};
  std::string sealed;
  {
    std::lock_guard lock(mu_);
    auto rows = Query("SELECT sealed FROM secrets WHERE name = $1", p);
    if (!rows) return Err(rows.error());
    if (rows->empty()) {
      return Err(NotFound("secret.unknown", "no secret `" + std::string(name) + "`"));
    }
    sealed = std::move(rows->front().at(0));
  }
  return Unseal(master_key_, SecretContext(name), sealed);
}

Status SqlStore::DeleteSecret(std::string_view name) {
  SqlParam p[] = {Text(name)};
  std::lock_guard lock(mu_);
  auto rows = Query("DELETE FROM secrets WHERE name = $1 RETURNING name", p);
  if (!rows) return rows.error();
  if (rows->empty()) return NotFound("secret.unknown", "no secret `" + std::string(name) + "`");
  return {};
}

// --- audit

Status SqlStore::AppendAudit(std::string_view chain, std::span<const AuditRow> rows) {
  if (rows.empty()) return {};
  std::lock_guard lock(mu_);
  return Transaction([&]() -> Status {
    if (Status s = LockForWrite("audit:" + std::string(chain)); !s.ok()) return s;
    const std::string chain_name(chain);
    const SqlParam chain_param = TextRef(chain_name);
    SqlParam c[] = {chain_param};
    auto head = Query("SELECT sequence, hash FROM audit_head WHERE chain = $1", c);
    if (!head) return head.error();
    int64_t sequence = 0;
    std::string hash;
    if (!head->empty()) {
      auto seq = ToInt(head->front().at(0), "audit head");
      if (!seq) return seq.error();
      sequence = *seq;
      hash = head->front().at(1);
    }
    for (const AuditRow& row : rows) {
      if (row.sequence != sequence + 1 || (sequence > 0 && row.prev_hash != hash)) {
        return {StatusCode::kAborted, "audit.chain_conflict",
                "audit chain `" + std::string(chain) + "`: record " + std::to_string(row.sequence) +
                    " does not continue the head at " + std::to_string(sequence) +
                    " (another writer on this chain?)"};
      }
      SqlParam p[] = {chain_param, Int(row.sequence), TextRef(row.prev_hash), TextRef(row.hash),
                      TextRef(row.body)};
      if (Status s =
              Exec("INSERT INTO audit (chain, sequence, prev_hash, hash, body) VALUES ($1, $2, $3, "
                   "$4, $5)",
                   p);
          !s.ok()) {
        return s;
      }
      sequence = row.sequence;
      hash = row.hash;
    }
    SqlParam h[] = {Text(chain), Int(sequence), Text(hash)};
    return Exec(
        "INSERT INTO audit_head (chain, sequence, hash) VALUES ($1, $2, $3) ON CONFLICT (chain) "
        "DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
        h);
  });
}

Result<std::vector<AuditRow>> SqlStore::ReadAudit(std::string_view chain, int64_t from_sequence,
                                                  size_t limit) {
  SqlParam p[] = {Text(chain), Int(from_sequence), Limit(limit)};
  std::lock_guard lock(mu_);
  auto rows = Query(
      "SELECT sequence, prev_hash, hash, body FROM audit WHERE chain = $1 AND sequence >= $2 "
      "ORDER BY sequence LIMIT $3",
      p);
  if (!rows) return Err(rows.error());
  std::vector<AuditRow> out;
  out.reserve(rows->size());
  for (const SqlRow& row : *rows) {
    auto r = AuditFromRow(row);
    if (!r) return Err(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

Result<int64_t> SqlStore::CountAudit(std::string_view chain) {
  SqlParam p[] = {Text(chain)};
  std::lock_guard lock(mu_);
  auto rows = Query("SELECT COUNT(*) FROM audit WHERE chain = $1", p);
  if (!rows) return Err(rows.error());
  return ToInt(rows->at(0).at(0), "audit count");
}

Result<AuditHead> SqlStore::GetAuditHead(std::string_view chain) {
  SqlParam p[] = {Text(chain)};
  std::lock_guard lock(mu_);
  auto rows = Query("SELECT sequence, hash FROM audit_head WHERE chain = $1", p);
  if (!rows) return Err(rows.error());
  if (rows->empty()) return AuditHead{};
  auto seq = ToInt(rows->front().at(0), "audit head");
  if (!seq) return Err(seq.error());
  return AuditHead{.sequence = *seq, .hash = rows->front().at(1)};
}

Result<std::vector<std::string>> SqlStore::ListAuditChains() {
  std::lock_guard lock(mu_);
  auto rows =
      Query("SELECT chain FROM audit_head UNION SELECT DISTINCT chain FROM audit ORDER BY 1", {});
  if (!rows) return Err(rows.error());
  std::vector<std::string> chains;
  for (SqlRow& row : *rows) chains.push_back(std::move(row.at(0)));
  return chains;
}

}  // namespace mandate::store::internal

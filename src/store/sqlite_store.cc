#include "src/store/sqlite_store.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "src/store/internal/audit_files.h"
#include "src/store/internal/sql_store.h"
#include "src/store/internal/sqlite_db.h"

namespace mandate::store {
namespace {

// Checkpoints the WAL into the database on its own thread and connection, so the writer (the
// audit log's group commit, the one serial stage of every acknowledged decision) never copies
// pages or waits for a checkpoint's fsyncs. SQLite's automatic checkpoint would run inside the
// commit that crosses the threshold. Passive checkpoints never block writers; when the WAL has
// grown far past the threshold anyway (the writer never paused), a RESTART checkpoint waits
// for the current writer so the WAL starts over and stays bounded.
// Thread-safety: Poke from any thread; the checkpoint connection is used by the thread only.
class Checkpointer {
 public:
  static constexpr int kThresholdFrames = 1000;  // SQLite's own default for auto-checkpoint

  Status Start(const std::string& path) {
    if (Status s = db_.Open(path); !s.ok()) return s.WithContext("checkpoint connection");
    // A connection opens the file lazily; until it has read it, it does not know the file is
    // in WAL mode, and a checkpoint through it does nothing.
    if (Status s = db_.Exec("PRAGMA journal_mode = WAL"); !s.ok()) {
      return s.WithContext("checkpoint connection");
    }
    thread_ = std::thread([this] { Run(); });
    return {};
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  // The WAL holds `frames` frames after a commit (sqlite3_wal_hook). One checkpoint per
  // kThresholdFrames new frames: a passive checkpoint overlapped by commits leaves the WAL
  // long, and running again on every commit would fsync continuously.
  void Poke(int frames) {
    {
      std::lock_guard lock(mu_);
      if (frames < last_frames_) next_frames_ = kThresholdFrames;  // the WAL started over
      last_frames_ = frames;
      if (frames < next_frames_) return;
      next_frames_ = frames + kThresholdFrames;
      pending_frames_ = frames;
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || pending_frames_ > 0; });
      if (stopping_) return;
      const int frames = pending_frames_;
      pending_frames_ = 0;
      lock.unlock();
      const int mode =
          frames >= 16 * kThresholdFrames ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
      // A failure (busy, I/O) leaves the WAL as it is: every commit in it is still durable,
      // and the next poke retries.
      (void)sqlite3_wal_checkpoint_v2(db_.get(), nullptr, mode, nullptr, nullptr);
      lock.lock();
    }
  }

  internal::SqliteDb db_;
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_frames_ = 0;              // GUARDED_BY(mu_): frames at the last poke
  int last_frames_ = 0;                 // GUARDED_BY(mu_)
  int next_frames_ = kThresholdFrames;  // GUARDED_BY(mu_): poke again from this length
  bool stopping_ = false;               // GUARDED_BY(mu_)
  std::thread thread_;
};

class SqliteStore final : public internal::SqlStore {
 public:
  using SqlStore::SqlStore;

  bool SharedByProcesses() const override { return false; }  // one process owns the file

  Status Open(const std::string& path, Durability durability) {
    if (Status s = db_.Open(path); !s.ok()) return s;
    // journal_mode is the first read of the file: a non-database fails here as store.corrupt.
    auto mode = Query("PRAGMA journal_mode = WAL", {});
    if (!mode) return mode.error().WithContext("open `" + path + "`");
    if (mode->empty() || mode->front().at(0) != "wal") {
      return Internal("store.io", "open `" + path + "`: cannot enable WAL journal");
    }
    // NORMAL in WAL mode: the commit reaches the WAL file with write() (kill -9 safe), and the
    // fsync happens at checkpoints only; FULL fsyncs the WAL on every commit.
    const std::string pragmas = durability == Durability::kPower
                                    ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;"
                                    : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;";
    if (Status s = db_.Exec(pragmas); !s.ok()) return s;
    if (Status s = Migrate(); !s.ok()) return s.WithContext("open `" + path + "`");
    audit_ = std::make_unique<internal::AuditFiles>(path + "-audit", durability);
    if (Status s = MoveAuditToFiles(); !s.ok()) return s.WithContext("open `" + path + "`");
    // Replaces SQLite's automatic checkpoint (the hook is how it is implemented).
    if (Status s = checkpointer_.Start(path); !s.ok()) return s.WithContext("open `" + path + "`");
    sqlite3_wal_hook(
        db_.get(),
        [](void* checkpointer, sqlite3*, const char*, int frames) {
          static_cast<Checkpointer*>(checkpointer)->Poke(frames);
          return SQLITE_OK;
        },
        &checkpointer_);
    return {};
  }

  // The audit trail lives in append-only files beside the database (audit_files.h): a group
  // commit is then two writes instead of a SQLite transaction over three B-trees, and the
  // checkpoint does not copy it again.
  Status AppendAudit(std::string_view chain, std::span<const AuditRow> rows) override {
    return audit_->Append(chain, rows);
  }
  Result<std::vector<AuditRow>> ReadAudit(std::string_view chain, int64_t from_sequence,
                                          size_t limit) override {
    return audit_->Read(chain, from_sequence, limit);
  }
  Result<int64_t> CountAudit(std::string_view chain) override { return audit_->Count(chain); }
  Result<AuditHead> GetAuditHead(std::string_view chain) override { return audit_->Head(chain); }
  Result<std::vector<std::string>> ListAuditChains() override { return audit_->Chains(); }

  Result<std::unique_ptr<RevocationSubscription>> SubscribeRevocations(
      RevocationCallback callback) override {
    return fanout_->Subscribe(std::move(callback));
  }

 protected:
  std::string_view BlobType() const override { return "BLOB"; }
  // IMMEDIATE takes the write lock at BEGIN: writers serialise, readers of other
  // connections (audit verify) keep reading the last commit.
  std::string_view BeginSql() const override { return "BEGIN IMMEDIATE"; }
  Status ExecScript(std::string_view sql) override { return db_.Exec(sql); }
  Status ExecControl(std::string_view sql) override {
    auto rows = Query(sql, {});
    return rows ? Status() : rows.error();
  }
  Status LockForWrite(std::string_view) override { return {}; }

  // A store written before the audit trail moved to files keeps its records in the `audit`
  // tables: they are copied into the files (each chain once, whole), then deleted.
  Status MoveAuditToFiles() {
    auto chains = SqlStore::ListAuditChains();
    if (!chains) return chains.error();
    for (const std::string& chain : *chains) {
      auto head = SqlStore::GetAuditHead(chain);
      if (!head) return head.error();
      auto moved = audit_->Head(chain);
      if (!moved) return moved.error();
      // Resumes where an interrupted copy stopped (Append checks that the rows link up).
      for (int64_t next = moved->sequence + 1; next <= head->sequence;) {
        auto rows = SqlStore::ReadAudit(chain, next, 4096);
        if (!rows) return rows.error();
        if (rows->empty()) break;
        if (Status s = audit_->Append(chain, *rows); !s.ok()) return s;
        next = rows->back().sequence + 1;
      }
      moved = audit_->Head(chain);
      if (!moved) return moved.error();
      if (moved->sequence != head->sequence || moved->hash != head->hash) {
        return {StatusCode::kDataLoss, "store.corrupt",
                "audit chain `" + chain + "`: the rows in the database end at " +
                    std::to_string(moved->sequence) + " but its head is " +
                    std::to_string(head->sequence) + "; run `mandate audit verify` on a copy"};
      }
    }
    if (chains->empty()) return {};
    std::lock_guard lock(mu_);
    return ExecScript("DELETE FROM audit; DELETE FROM audit_head;");
  }

  Result<std::vector<internal::SqlRow>> Query(std::string_view sql,
                                              std::span<const internal::SqlParam> params) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      auto stmt = internal::SqliteStmt::Prepare(db_.get(), sql);
      if (!stmt) return Err(stmt.error());
      it = statements_.emplace(std::string(sql), std::move(*stmt)).first;
    }
    internal::SqliteStmt& stmt = it->second;
    stmt.Reset();
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      switch (params[i].kind) {
        case internal::SqlParam::Kind::kText:
          stmt.BindView(index, params[i].bytes());
          break;
        case internal::SqlParam::Kind::kInt:
          stmt.Bind(index, params[i].number);
          break;
        case internal::SqlParam::Kind::kBlob:
          stmt.BindBlob(index, params[i].bytes());
          break;
      }
    }
    std::vector<internal::SqlRow> rows;
    int columns = stmt.ColumnCount();
    for (;;) {
      auto more = stmt.Step();
      if (!more) {
        stmt.Reset();
        return Err(more.error());
      }
      if (!*more) break;
      internal::SqlRow row;
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) row.push_back(stmt.Text(c));
      rows.push_back(std::move(row));
    }
    stmt.Reset();
    return rows;
  }

 private:
  // Declared first, so destroyed last: the main connection closes, then the checkpointer stops
  // and closes the last connection, which checkpoints what is left and removes the WAL.
  Checkpointer checkpointer_;
  internal::SqliteDb db_;
  std::map<std::string, internal::SqliteStmt, std::less<>> statements_;  // GUARDED_BY(mu_)
  std::unique_ptr<internal::AuditFiles> audit_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options) {
  auto store = std::make_unique<SqliteStore>(options.master_key,
                                             std::make_shared<internal::RevocationFanout>());
  if (Status s = store->Open(path, options.durability); !s.ok()) return Err(std::move(s));
  return store;
}

}  // namespace mandate::store

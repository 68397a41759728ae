#include "src/store/sqlite_store.h"

#include <map>

#include "src/store/internal/sql_store.h"
#include "src/store/internal/sqlite_db.h"

namespace mandate::store {
namespace {

class SqliteStore final : public internal::SqlStore {
 public:
  using SqlStore::SqlStore;

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
    return {};
  }

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
  Status LockForWrite(std::string_view) override { return {}; }

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
  internal::SqliteDb db_;
  std::map<std::string, internal::SqliteStmt, std::less<>> statements_;  // GUARDED_BY(mu_)
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

// A thin RAII layer over the SQLite C API: a connection and prepared statements whose errors
// come back as Status (reason `store.io`, or `store.corrupt` for a damaged file).
// Thread-safety: not thread-safe; SqliteStore serialises use under its mutex.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "src/util/status.h"

namespace mandate::store::internal {

// Maps a SQLite result code to a Status with `context` (e.g. "insert task").
Status SqliteError(sqlite3* db, int rc, std::string_view context);

class SqliteStmt {
 public:
  SqliteStmt() = default;
  SqliteStmt(SqliteStmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt() { sqlite3_finalize(stmt_); }

  // Compiles `sql` on `db`.
  static Result<SqliteStmt> Prepare(sqlite3* db, std::string_view sql);

  // Binders take 1-based indexes; text and blobs are copied.
  SqliteStmt& Bind(int index, int64_t value);
  SqliteStmt& Bind(int index, std::string_view text);
  SqliteStmt& BindBlob(int index, std::string_view bytes);
  // Binds text without copying it. REQUIRES: `text` stays valid until Reset.
  SqliteStmt& BindView(int index, std::string_view text);
  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for writes).
  Status Run();
  // Clears bindings and rewinds, for reuse.
  void Reset();

  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const;  // text or blob bytes

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb() { sqlite3_close_v2(db_); }

  Status Open(const std::string& path);
  // Runs one or more statements without results.
  Status Exec(std::string_view sql);
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace mandate::store::internal

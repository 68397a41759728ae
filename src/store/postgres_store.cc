#include "src/store/postgres_store.h"

#include <libpq-fe.h>

#include "src/store/internal/postgres_listener.h"
#include "src/store/internal/sql_store.h"

namespace mandate::store {
namespace {

constexpr char kChannel[] = "mandate_revocations";
constexpr unsigned kByteaOid = 17;

class PostgresStore final : public internal::SqlStore {
 public:
  PostgresStore(std::string conninfo, const StoreOptions& options)
      : SqlStore(options.master_key, std::make_shared<internal::RevocationFanout>()),
        conninfo_(std::move(conninfo)) {}
  ~PostgresStore() override {
    listener_.reset();
    PQfinish(conn_);
  }

  Status Open() {
    conn_ = PQconnectdb(conninfo_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) return Unavailable("connect");
    PGresult* res = PQexec(conn_, "SET client_min_messages = warning");
    PQclear(res);
    return Migrate();
  }

  Result<std::unique_ptr<RevocationSubscription>> SubscribeRevocations(
      RevocationCallback callback) override {
    std::lock_guard lock(listener_mu_);
    if (listener_ == nullptr) {
      auto listener = std::make_unique<internal::PostgresListener>(
          conninfo_, kChannel,
          [this](int64_t after_id) { return ListRevocationsSince(after_id, 1000); }, fanout_);
      Status s = listener->Start([this] { return LatestRevocationId(); });
      if (!s.ok()) return Err(std::move(s));
      listener_ = std::move(listener);
    }
    return fanout_->Subscribe(std::move(callback));
  }

 protected:
  Status ExecScript(std::string_view sql) override {
    if (Status s = EnsureConnected(); !s.ok()) return s;
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    ExecStatusType st = PQresultStatus(res);
    Status s = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? Status() : Failure(res);
    PQclear(res);
    return s;
  }

  Result<std::vector<internal::SqlRow>> Query(std::string_view sql,
                                              std::span<const internal::SqlParam> params) override {
    if (Status s = EnsureConnected(); !s.ok()) return Err(std::move(s));
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const internal::SqlParam& p : params) {
      values.push_back(p.bytes().c_str());
      lengths.push_back(static_cast<int>(p.bytes().size()));
      formats.push_back(p.kind == internal::SqlParam::Kind::kBlob ? 1 : 0);
    }
    PGresult* res = PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()),
                                 nullptr, values.data(), lengths.data(), formats.data(), 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      Status s = Failure(res);
      PQclear(res);
      return Err(std::move(s));
    }
    std::vector<internal::SqlRow> rows(PQntuples(res));
    int columns = PQnfields(res);
    for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
      rows[r].reserve(columns);
      for (int c = 0; c < columns; ++c) {
        const char* text = PQgetvalue(res, r, c);
        if (PQftype(res, c) != kByteaOid) {
          rows[r].emplace_back(text, PQgetlength(res, r, c));
          continue;
        }
        size_t n = 0;
        unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
        rows[r].emplace_back(reinterpret_cast<const char*>(bytes), bytes ? n : 0);
        PQfreemem(bytes);
      }
    }
    PQclear(res);
    return rows;
  }

  Status LockForWrite(std::string_view key) override {
    internal::SqlParam p[] = {internal::Text(key)};
    auto r = Query("SELECT pg_advisory_xact_lock(hashtext($1))", p);
    return r ? Status() : r.error();
  }

  Status AfterRevocationInsert(int64_t id) override {
    internal::SqlParam p[] = {internal::Text(kChannel), internal::Int(id)};
    auto r = Query("SELECT pg_notify($1, $2)", p);
    return r ? Status() : r.error();
  }

  bool SharedByProcesses() const override { return true; }

 private:
  Status Unavailable(std::string_view what) {
    return {StatusCode::kUnavailable, "store.unavailable",
            "postgresql: " + std::string(what) + ": " + Trim(PQerrorMessage(conn_))};
  }
  Status Failure(PGresult* res) {
    if (PQstatus(conn_) != CONNECTION_OK) return Unavailable("connection lost");
    return Internal("store.io", "postgresql: " + Trim(PQresultErrorMessage(res)));
  }
  static std::string Trim(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  // A dropped connection is re-established before the next statement (never mid-transaction:
  // a transaction whose connection dropped has already failed and rolled back).
  Status EnsureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    PQreset(conn_);
    return PQstatus(conn_) == CONNECTION_OK ? Status() : Unavailable("reconnect");
  }
  Result<int64_t> LatestRevocationId() {
    std::lock_guard lock(mu_);
    auto rows = Query("SELECT COALESCE(MAX(id), 0) FROM revocations", {});
    if (!rows) return Err(rows.error());
    return std::stoll(rows->at(0).at(0));  // COALESCE(MAX(bigint)) is always an integer
  }

  const std::string conninfo_;
  PGconn* conn_ = nullptr;  // GUARDED_BY(mu_)
  std::mutex listener_mu_;
  std::unique_ptr<internal::PostgresListener> listener_;  // GUARDED_BY(listener_mu_)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 const StoreOptions& options) {
  auto store = std::make_unique<PostgresStore>(conninfo, options);
  if (Status s = store->Open(); !s.ok()) return Err(std::move(s));
  return store;
}

}  // namespace mandate::store

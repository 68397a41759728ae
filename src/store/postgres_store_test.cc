// The store contract against a real PostgreSQL server. Run by tests/store/postgres.sh, which
// starts the server and sets MANDATE_TEST_POSTGRES (a libpq URI); each test gets its own schema.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>

#include "src/store/store.h"
#include "src/store/store_contract_test.h"

namespace mandate::store {
namespace {

std::string ServerUrl() {
  const char* url = std::getenv("MANDATE_TEST_POSTGRES");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "MANDATE_TEST_POSTGRES is not set (run tests/store/postgres.sh)";
    std::abort();
  }
  return url;
}

// Runs `sql` on the server; fails the test on error.
void Admin(const std::string& sql) {
  PGconn* conn = PQconnectdb(ServerUrl().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* res = PQexec(conn, sql.c_str());
  EXPECT_EQ(PQresultStatus(res), PGRES_COMMAND_OK) << PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
}

// A URL whose search_path is a new, empty schema.
std::string FreshSchemaUrl() {
  static std::atomic<int> counter{0};
  std::string schema = "contract_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  Admin("CREATE SCHEMA " + schema);
  std::string url = ServerUrl();
  url += (url.find('?') == std::string::npos ? "?" : "&");
  return url + "options=-csearch_path%3D" + schema;
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract,
                         testing::Values(StoreBackend{"postgres", FreshSchemaUrl}),
                         [](const auto&) { return std::string("postgres"); });

TEST(PostgresStore, UnknownSchemaVersionIsAClearError) {
  std::string url = FreshSchemaUrl();
  ASSERT_TRUE(OpenStore(url).has_value());
  std::string schema = url.substr(url.rfind("%3D") + 3);
  Admin("UPDATE " + schema + ".mandate_meta SET value = '7'");
  auto r = OpenStore(url);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason(), "store.schema_version");
}

TEST(PostgresStore, UnreachableServerIsUnavailable) {
  auto r = OpenStore("postgresql://127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.error().reason(), "store.unavailable");
}

TEST(PostgresStore, RevocationsFanOutAcrossReplicas) {
  std::string url = FreshSchemaUrl();
  auto replica_a = OpenStore(url);
  auto replica_b = OpenStore(url);
  ASSERT_TRUE(replica_a && replica_b);
  std::atomic<int64_t> seen_by_b{0};
  auto sub =
      (*replica_b)->SubscribeRevocations([&](const RevocationEvent& e) { seen_by_b = e.id; });
  ASSERT_TRUE(sub.has_value()) << sub.error().ToString();
  auto id = (*replica_a)
                ->AppendRevocation({.id = 0,
                                    .scope = RevocationScope::kTask,
                                    .value = "t1",
                                    .reason = "manual",
                                    .actor = "alice",
                                    .time_micros = 1});
  ASSERT_TRUE(id.has_value());
  for (int i = 0; i < 100 && seen_by_b.load() != *id; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen_by_b.load(), *id);
}

}  // namespace
}  // namespace mandate::store

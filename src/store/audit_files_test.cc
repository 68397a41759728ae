// The embedded store's audit files (internal/audit_files.h): crash recovery, the writer lock,
// the head's two slots, the sparse index, chain names, and the move from the old SQL tables.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/store/internal/audit_files.h"
#include "src/store/store.h"

namespace mandate::store {
namespace {

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "audit-files-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

std::unique_ptr<Store> Open(const std::string& dir) {
  auto store = OpenStore(dir);
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  return store ? std::move(*store) : nullptr;
}

std::vector<AuditRow> Rows(int64_t first, int n, std::string prev) {
  std::vector<AuditRow> rows;
  for (int i = 0; i < n; ++i) {
    const std::string hash = "h" + std::to_string(first + i);
    rows.push_back({first + i, prev, hash, "{\"n\":" + std::to_string(first + i) + "}"});
    prev = hash;
  }
  return rows;
}

std::string Line(const AuditRow& row) {
  return "{\"sequence\":" + std::to_string(row.sequence) + ",\"prev_hash\":\"" + row.prev_hash +
         "\",\"hash\":\"" + row.hash + "\",\"record\":" + row.body + "}\n";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void AppendToFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

TEST(AuditFiles, LinesPastTheHeadAreHiddenThenCutByTheNextWriter) {
  const std::string dir = TempDir(), log = dir + "/mandate.db-audit/main.log";
  auto rows = Rows(1, 6, "genesis");
  ASSERT_TRUE(Open(dir)->AppendAudit("main", std::span(rows).first(3)).ok());
  const std::string committed = ReadFile(log);
  // A crash after the lines of a group commit were written but before its head was: two whole
  // lines past the head and a torn third.
  AppendToFile(log, Line(rows[3]) + Line(rows[4]) + Line(rows[5]).substr(0, 20));
  auto store = Open(dir);
  EXPECT_EQ(*store->CountAudit("main"), 3);
  EXPECT_EQ(store->ReadAudit("main", 1, 100)->size(), 3u);
  EXPECT_EQ(store->GetAuditHead("main")->sequence, 3);
  // The next append continues from the head, over the cut tail.
  auto next = Rows(4, 1, "h3");
  next[0].hash = "other4";
  ASSERT_TRUE(store->AppendAudit("main", next).ok());
  EXPECT_EQ(ReadFile(log), committed + Line(next[0]));
  store.reset();
  auto again = Open(dir);
  EXPECT_EQ(again->ReadAudit("main", 4, 1)->at(0), next[0]);
  EXPECT_EQ(again->GetAuditHead("main")->hash, "other4");
}

TEST(AuditFiles, OneWriterPerChainAnyNumberOfReaders) {
  const std::string dir = TempDir();
  auto writer = Open(dir), other = Open(dir);
  ASSERT_TRUE(writer->AppendAudit("main", Rows(1, 2, "g")).ok());
  Status refused = other->AppendAudit("main", Rows(3, 1, "h2"));
  EXPECT_EQ(refused.reason(), "audit.chain_locked") << refused.ToString();
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(*other->CountAudit("main"), 2);  // reads see the writer's commits as they come
  ASSERT_TRUE(writer->AppendAudit("main", Rows(3, 1, "h2")).ok());
  EXPECT_EQ(other->ReadAudit("main", 3, 10)->at(0).hash, "h3");
  EXPECT_EQ(other->GetAuditHead("main")->sequence, 3);
  ASSERT_TRUE(other->AppendAudit("replica-b", Rows(1, 1, "g")).ok());  // another chain: fine
  writer.reset();  // the lock goes with the writer
  EXPECT_TRUE(other->AppendAudit("main", Rows(4, 1, "h3")).ok());
}

TEST(AuditFiles, ADamagedHeadSlotFallsBackToTheOther) {
  const std::string dir = TempDir(), head = dir + "/mandate.db-audit/main.head";
  ASSERT_TRUE(Open(dir)->AppendAudit("main", Rows(1, 1, "g")).ok());
  ASSERT_TRUE(Open(dir)->AppendAudit("main", Rows(2, 1, "h1")).ok());
  std::string slots = ReadFile(head);
  ASSERT_EQ(slots.size(), 512u);
  // The second commit went to slot 0 (generation 2); tear it as a power loss might.
  slots.replace(0, 40, std::string(40, '\0'));
  std::ofstream(head, std::ios::binary | std::ios::trunc) << slots;
  auto store = Open(dir);
  EXPECT_EQ(store->GetAuditHead("main")->sequence, 1);
  EXPECT_EQ(*store->CountAudit("main"), 1);
  // Both slots unreadable: a precise error, never an empty chain.
  std::ofstream(head, std::ios::binary | std::ios::trunc) << std::string(512, 'x');
  auto broken = Open(dir)->GetAuditHead("main");
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().reason(), "store.corrupt");
}

// The writer fills the head file with zeros and maps it before its first commit: a crash in
// between leaves two zero slots, which read as no head yet (the log's lines are then unacked).
TEST(AuditFiles, ZeroSlotsReadAsNoHeadYet) {
  const std::string dir = TempDir(), audit = dir + "/mandate.db-audit";
  auto rows = Rows(1, 2, "g");
  ASSERT_TRUE(Open(dir)->AppendAudit("main", std::span(rows).first(1)).ok());
  std::ofstream(audit + "/main.head", std::ios::binary | std::ios::trunc) << std::string(512, '\0');
  auto store = Open(dir);
  EXPECT_EQ(store->GetAuditHead("main")->sequence, 0);
  EXPECT_EQ(*store->CountAudit("main"), 0);
  ASSERT_TRUE(store->AppendAudit("main", Rows(1, 1, "g")).ok());  // over the cut line
  store.reset();
  EXPECT_EQ(Open(dir)->GetAuditHead("main")->hash, "h1");
  EXPECT_EQ(ReadFile(audit + "/main.log"), Line(rows[0]));
}

TEST(AuditFiles, ReadsFromAnySequenceAcrossTheSparseIndex) {
  const std::string dir = TempDir();
  auto rows = Rows(1, 300, "g");
  {
    auto store = Open(dir);
    for (size_t at = 0; at < rows.size(); at += 37) {  // commits straddle index blocks
      const size_t n = std::min<size_t>(37, rows.size() - at);
      ASSERT_TRUE(store->AppendAudit("main", std::span(rows).subspan(at, n)).ok());
    }
    EXPECT_EQ(store->ReadAudit("main", 64, 3)->at(2), rows[65]);
  }
  auto store = Open(dir);  // a reader indexes the file afresh
  for (int64_t from : {1, 63, 64, 65, 128, 129, 299, 300}) {
    auto read = store->ReadAudit("main", from, 5);
    ASSERT_TRUE(read.has_value()) << read.error().ToString();
    ASSERT_EQ(read->size(), std::min<size_t>(5, 301 - from)) << from;
    EXPECT_EQ(read->front(), rows[from - 1]) << from;
  }
  EXPECT_TRUE(store->ReadAudit("main", 301, 5)->empty());
  EXPECT_EQ(*store->CountAudit("main"), 300);
}

TEST(AuditFiles, ChainNamesRoundTripThroughFileNames) {
  for (std::string chain : {"main", "replica-2.eu", "a/b", "../x", ".hidden", "", "é %"}) {
    EXPECT_EQ(internal::ChainFromFileStem(internal::ChainFileStem(chain)), chain) << chain;
    EXPECT_EQ(internal::ChainFileStem(chain).find('/'), std::string::npos) << chain;
  }
  EXPECT_FALSE(internal::ChainFromFileStem("%4").has_value());
  EXPECT_FALSE(internal::ChainFromFileStem("%2f").has_value());  // not how we write it
  const std::string dir = TempDir();
  auto store = Open(dir);
  ASSERT_TRUE(store->AppendAudit("../x", Rows(1, 1, "g")).ok());
  ASSERT_TRUE(store->AppendAudit("main", Rows(1, 1, "g")).ok());
  EXPECT_EQ(*store->ListAuditChains(), (std::vector<std::string>{"../x", "main"}));
}

TEST(AuditFiles, RowsThatCannotBeOneLineAreRefused) {
  auto store = Open(TempDir());
  auto rows = Rows(1, 1, "g");
  rows[0].body = "{\"a\":\n1}";
  EXPECT_EQ(store->AppendAudit("main", rows).reason(), "audit.unstorable");
  rows = Rows(1, 1, "g\"quote");
  EXPECT_EQ(store->AppendAudit("main", rows).reason(), "audit.unstorable");
  // Every byte class a line cannot carry unquoted, early and late in a 64-byte hash.
  for (const char bad : {' ', '\\', '"', '\t', '\x7f', '\x80', '\xff', '\0'}) {
    for (const size_t at : {size_t{0}, size_t{17}, size_t{63}}) {
      std::string hash(64, 'a');
      hash[at] = bad;
      rows = Rows(1, 1, hash);
      EXPECT_EQ(store->AppendAudit("main", rows).reason(), "audit.unstorable")
          << int(static_cast<unsigned char>(bad)) << " at " << at;
    }
  }
  EXPECT_EQ(store->GetAuditHead("main")->sequence, 0);
}

TEST(AuditFiles, RecordsOfTheOldSqlTablesMoveIntoTheFiles) {
  const std::string dir = TempDir();
  Open(dir).reset();  // creates the schema
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/mandate.db").c_str(), &db), SQLITE_OK);
  auto rows = Rows(1, 3, "g");
  std::string sql;
  for (const AuditRow& r : rows) {
    sql += "INSERT INTO audit VALUES ('main', " + std::to_string(r.sequence) + ", '" + r.prev_hash +
           "', '" + r.hash + "', '" + r.body + "');";
  }
  sql += "INSERT INTO audit_head VALUES ('main', 3, 'h3');";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Open(dir);
  EXPECT_EQ(*store->ReadAudit("main", 1, 10), rows);
  EXPECT_EQ(store->GetAuditHead("main")->hash, "h3");
  store.reset();
  ASSERT_EQ(sqlite3_open((dir + "/mandate.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(*Open(dir)->CountAudit("main"), 3);
}

}  // namespace
}  // namespace mandate::store

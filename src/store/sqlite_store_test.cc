#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "src/store/store.h"
#include "src/store/store_contract_test.h"

namespace mandate::store {
namespace {

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "store-test-XXXXXX").string();
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

StoreBackend SqliteBackend() {
  return {"sqlite", [] { return "sqlite://" + TempDir(); }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, testing::Values(SqliteBackend()),
                         [](const auto&) { return std::string("sqlite"); });

TEST(SqliteStore, PlainPathAndDbFileNameBothWork) {
  std::string dir = TempDir();
  auto in_dir = OpenStore(dir + "/data");
  ASSERT_TRUE(in_dir.has_value()) << in_dir.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir + "/data/mandate.db"));
  auto file = OpenStore("sqlite://" + dir + "/custom.db");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir + "/custom.db"));
}

TEST(SqliteStore, DurabilityNamesRoundTripAndUnknownIsRejected) {
  for (Durability d : {Durability::kProcess, Durability::kPower}) {
    auto parsed = ParseDurability(DurabilityName(d));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_EQ(DurabilityName(StoreOptions{}.durability), "process");
  auto bad = ParseDurability("fsync");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().reason(), "durability.unknown");
}

TEST(SqliteStore, BothDurabilityLevelsCommitAndReopen) {
  for (Durability d : {Durability::kProcess, Durability::kPower}) {
    std::string dir = TempDir();
    {
      auto store = OpenStore(dir, {.master_key = {}, .durability = d});
      ASSERT_TRUE(store.has_value()) << store.error().ToString();
      AuditRow row{1, std::string(64, '0'), std::string(64, 'a'), "{}"};
      ASSERT_TRUE((*store)->AppendAudit("main", std::span(&row, 1)).ok());
    }
    auto reopened = OpenStore(dir);
    ASSERT_TRUE(reopened.has_value());
    auto head = (*reopened)->GetAuditHead("main");
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->sequence, 1) << DurabilityName(d);
  }
}

// The WAL is checkpointed by the store's own thread (not inside the writer's commits): after
// enough task writes the database file itself grows, and everything reads back after a reopen.
TEST(SqliteStore, CheckpointsTheWalInTheBackground) {
  std::string dir = TempDir();
  const std::string db = dir + "/mandate.db";
  auto store = OpenStore(dir);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  const auto initial = std::filesystem::file_size(db);
  constexpr int kTasks = 6000;  // ~6 MB of task state: several checkpoint thresholds
  for (int id = 0; id < kTasks;) {
    std::vector<TaskRecord> tasks;
    for (int i = 0; i < 8 && id < kTasks; ++i, ++id) {
      TaskRecord task;
      task.id = "task-" + std::to_string(id);
      task.agent = "spiffe://example.org/agent";
      task.state_blob = std::string(1000, 'b');
      tasks.push_back(std::move(task));
    }
    ASSERT_TRUE((*store)->PutTasks(tasks).ok());
  }
  bool grew = false;
  for (int i = 0; i < 100 && !grew; ++i) {  // bounded: 10 s
    grew = std::filesystem::file_size(db) > initial + (1 << 20);
    if (!grew) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(grew) << "the database file did not grow: no checkpoint ran";
  store->reset();
  auto reopened = OpenStore(dir);
  ASSERT_TRUE(reopened.has_value());
  auto live = (*reopened)->LoadLiveTasks();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->size(), static_cast<size_t>(kTasks));
}

TEST(SqliteStore, UnknownSchemeIsRejected) {
  auto r = OpenStore("mysql://localhost/db");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason(), "store.url");
}

TEST(SqliteStore, MasterKeyOfWrongSizeIsRejected) {
  auto r = OpenStore(TempDir(), StoreOptions{"short"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason(), "store.master_key");
}

TEST(SqliteStore, CorruptFileIsAClearError) {
  std::string dir = TempDir();
  std::ofstream(dir + "/mandate.db") << std::string(8192, 'x');
  auto r = OpenStore(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.error().reason(), "store.corrupt");
  EXPECT_NE(r.error().message().find("not a database"), std::string::npos) << r.error().message();
}

TEST(SqliteStore, UnknownSchemaVersionIsAClearError) {
  std::string dir = TempDir();
  ASSERT_TRUE(OpenStore(dir).has_value());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/mandate.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE mandate_meta SET value = '99'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto r = OpenStore(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason(), "store.schema_version");
  EXPECT_NE(r.error().message().find("`99`"), std::string::npos) << r.error().message();
}

TEST(SqliteStore, RunsInWalModeWithFullSync) {
  std::string dir = TempDir();
  auto store = OpenStore(dir);
  ASSERT_TRUE(store.has_value());
  EXPECT_TRUE(std::filesystem::exists(dir + "/mandate.db-wal"));  // while open
  store->reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/mandate.db").c_str(), &db), SQLITE_OK);
  std::string mode;
  sqlite3_exec(
      db, "PRAGMA journal_mode",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &mode, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(mode, "wal");  // WAL is a persistent property of the file
}

TEST(MasterKey, LoadsHexFromEnvironmentOrFile) {
  unsetenv("MANDATE_MASTER_KEY_FILE");
  unsetenv("MANDATE_MASTER_KEY");
  EXPECT_EQ(*LoadMasterKey(), "");
  setenv("MANDATE_MASTER_KEY", std::string(64, 'a').c_str(), 1);
  EXPECT_EQ(*LoadMasterKey(), std::string(32, '\xaa'));
  setenv("MANDATE_MASTER_KEY", "zz", 1);
  EXPECT_EQ(LoadMasterKey().error().reason(), "store.master_key");
  std::string file = TempDir() + "/key";
  std::ofstream(file) << std::string(64, '0') << "\n";
  setenv("MANDATE_MASTER_KEY_FILE", file.c_str(), 1);
  EXPECT_EQ(*LoadMasterKey(), std::string(32, '\0'));
  setenv("MANDATE_MASTER_KEY_FILE", "/nonexistent/key", 1);
  EXPECT_EQ(LoadMasterKey().error().reason(), "store.master_key");
  unsetenv("MANDATE_MASTER_KEY_FILE");
  unsetenv("MANDATE_MASTER_KEY");
}

}  // namespace
}  // namespace mandate::store

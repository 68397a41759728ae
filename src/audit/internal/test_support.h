// Test helpers for the audit tests: a fresh SQLite store in a temp dir and raw SQL on it (to
// tamper with records as an attacker with file access would).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "src/audit/audit.h"

namespace mandate::audit::test_support {

inline std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "audit-test-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

inline std::unique_ptr<store::Store> OpenDir(const std::string& dir) {
  auto store = store::OpenStore(dir);
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  return store ? std::move(*store) : nullptr;
}

// Runs `sql` directly on the database file in `dir`.
inline void Sql(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/mandate.db").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

inline Record Decision(int i) {
  Record r;
  r.kind = RecordKind::kDecision;
  r.agent = "spiffe://acme/agent/planner";
  r.principal = "alice";
  r.task = "task-" + std::to_string(i % 7);
  r.step = "pay";
  r.system = "bank";
  r.action = "transfer";
  r.resource = "account/" + std::to_string(i);
  r.args_digest = ArgumentsDigest("{\"amount\":" + std::to_string(i) + "}");
  r.decision = i % 3 == 0 ? "deny" : "allow";
  r.reasons = {"chain: step `pay` follows `lookup`"};
  r.policy_ids = {"policy0"};
  return r;
}

}  // namespace mandate::audit::test_support

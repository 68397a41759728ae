// Test helpers for the audit tests: a fresh embedded store in a temp dir, and its audit log
// rewritten by hand (to tamper with records as an attacker with file access would).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

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

// The log file of `chain` in the store at `dir` (src/store/internal/audit_files.h).
inline std::string LogPath(const std::string& dir, const std::string& chain = "main") {
  return dir + "/mandate.db-audit/" + chain + ".log";
}

// Rewrites the log of `chain` to hold exactly `rows`, one line each, as an attacker with file
// access would (the head file is left alone). Reopen the store afterwards: the writing process
// keeps an index of its own appends.
inline void WriteLog(const std::string& dir, const std::vector<store::AuditRow>& rows,
                     const std::string& chain = "main") {
  std::ofstream out(LogPath(dir, chain), std::ios::binary | std::ios::trunc);
  for (const store::AuditRow& r : rows) {
    out << "{\"sequence\":" << r.sequence << ",\"prev_hash\":\"" << r.prev_hash << "\",\"hash\":\""
        << r.hash << "\",\"record\":" << r.body << "}\n";
  }
  ASSERT_TRUE(out.good());
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

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sstream>

#include "src/audit/audit.h"
#include "src/audit/internal/record_codec.h"
#include "src/audit/internal/test_support.h"

namespace mandate::audit {
namespace {

using test_support::Decision;
using test_support::OpenDir;
using test_support::TempDir;
using test_support::WriteLog;

// A store holding an intact chain of 10 records.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    store_ = OpenDir(dir_);
    auto log = AuditLog::Open(*store_, clock_);
    ASSERT_TRUE(log.has_value());
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE((*log)->Append(Decision(i)).has_value());
    ASSERT_TRUE((*log)->Flush().ok());
  }

  // Verifies as `mandate audit verify` does: a store opened afresh on the files.
  VerifyReport Check() {
    store_ = OpenDir(dir_);
    auto report = Verify(*store_, "main");
    EXPECT_TRUE(report.has_value()) << report.error().ToString();
    return report ? *report : VerifyReport{};
  }

  void ExpectBroken(std::string_view reason, int64_t sequence) {
    VerifyReport report = Check();
    EXPECT_EQ(report.problem.reason(), reason) << report.problem.ToString();
    EXPECT_EQ(report.broken_sequence, sequence) << report.problem.ToString();
    EXPECT_EQ(report.problem.code(), StatusCode::kDataLoss);
  }

  // The stored rows 1..10, to tamper with and write back with WriteLog.
  std::vector<store::AuditRow> Rows() { return *store_->ReadAudit("main", 1, 100); }

  // A forged row that links correctly to `prev` (what an attacker who knows the scheme writes).
  store::AuditRow Forged(int64_t sequence, const std::string& prev_hash) {
    Record forged = Decision(99);
    forged.decision = "allow";
    std::string body = internal::CanonicalBody("main", sequence, forged);
    std::string hash = internal::ChainHash(prev_hash, body);
    return {sequence, prev_hash, hash, body};
  }

  SystemClock clock_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

// Reasons and resources carry what callers sent: control characters must be written in the
// canonical form that verification re-serialises (a newline once made every such record fail).
TEST(VerifyControlCharactersTest, RecordsWithControlCharactersVerify) {
  SystemClock clock;
  const std::string dir = TempDir();
  auto store = OpenDir(dir);
  auto log = AuditLog::Open(*store, clock);
  ASSERT_TRUE(log.has_value());
  Record r = Decision(1);
  r.resource = "line one\nline two\ttab\rreturn\bbell\ffeed\x01\x1f \"quoted\" back\\slash";
  r.reasons = {"guard.unsatisfied: multi\nline"};
  ASSERT_TRUE((*log)->Append(r).has_value());
  ASSERT_TRUE((*log)->Flush().ok());
  auto report = Verify(*store, "main");
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_TRUE(report->problem.ok()) << report->problem.ToString();
  EXPECT_EQ(report->records, 1);
}

TEST_F(VerifyTest, IntactChainPasses) {
  VerifyReport report = Check();
  EXPECT_TRUE(report.problem.ok()) << report.problem.ToString();
  EXPECT_EQ(report.records, 10);
  EXPECT_EQ(report.head.sequence, 10);
  EXPECT_EQ(report.broken_sequence, 0);
}

TEST_F(VerifyTest, EmptyChainPasses) {
  auto report = Verify(*store_, "never-written");
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->problem.ok());
  EXPECT_EQ(report->records, 0);
}

TEST_F(VerifyTest, EditedRecordIsDetected) {
  auto rows = Rows();
  std::string& body = rows[5].body;
  body.replace(body.find("\"deny\""), 6, "\"allow\"");
  WriteLog(dir_, rows);
  ExpectBroken("audit.record_edited", 6);
}

TEST_F(VerifyTest, EditedAndRehashedRecordBreaksTheNextLink) {
  auto rows = Rows();
  std::string& body = rows[3].body;
  body.replace(body.find("\"allow\""), 7, "\"deny\"");
  rows[3].hash = internal::ChainHash(rows[3].prev_hash, body);
  WriteLog(dir_, rows);
  ExpectBroken("audit.chain_broken", 5);
}

TEST_F(VerifyTest, DeletedRecordIsDetected) {
  auto rows = Rows();
  rows.erase(rows.begin() + 3);
  WriteLog(dir_, rows);
  ExpectBroken("audit.record_missing", 4);
}

TEST_F(VerifyTest, InsertedRecordIsDetected) {
  // Renumber 4..10 to 5..11 and splice in a forged record 4 that links to record 3.
  auto rows = Rows();
  for (size_t i = 3; i < rows.size(); ++i) ++rows[i].sequence;
  rows.insert(rows.begin() + 3, Forged(4, rows[2].hash));
  WriteLog(dir_, rows);
  ExpectBroken("audit.record_moved", 5);
}

// Lines past the anchored head were never acknowledged (a crash between a commit's lines and
// its head leaves such lines): no reader sees them, and the next writer cuts them.
TEST_F(VerifyTest, LinesPastTheHeadAreNotPartOfTheChain) {
  auto rows = Rows();
  rows.push_back(Forged(11, rows.back().hash));
  WriteLog(dir_, rows);
  VerifyReport report = Check();
  EXPECT_TRUE(report.problem.ok()) << report.problem.ToString();
  EXPECT_EQ(report.records, 10);
  EXPECT_TRUE(store_->ReadAudit("main", 11, 1)->empty());
}

TEST_F(VerifyTest, ReorderedRecordsAreDetected) {
  auto rows = Rows();
  std::swap(rows[4], rows[5]);
  std::swap(rows[4].sequence, rows[5].sequence);
  WriteLog(dir_, rows);
  ExpectBroken("audit.record_moved", 5);
}

TEST_F(VerifyTest, TruncatedTailIsDetectedAgainstTheAnchoredHead) {
  auto rows = Rows();
  rows.resize(7);
  WriteLog(dir_, rows);
  ExpectBroken("audit.truncated", 8);
}

TEST_F(VerifyTest, ReplacedTailIsDetected) {
  auto rows = Rows();
  rows[9] = Forged(10, rows[8].hash);
  WriteLog(dir_, rows);
  ExpectBroken("audit.beyond_head", 10);
}

TEST_F(VerifyTest, MalformedBodyIsDetected) {
  auto rows = Rows();
  rows[1].body = "not json";
  WriteLog(dir_, rows);
  ExpectBroken("audit.record_malformed", 2);
  rows[1].body = "{ \"chain\": \"main\", \"sequence\": 2 }";
  WriteLog(dir_, rows);
  ExpectBroken("audit.record_malformed", 2);  // not canonical
}

TEST_F(VerifyTest, ForeignGenesisIsDetected) {
  auto rows = Rows();
  rows[0].prev_hash = std::string(64, 'f');
  rows[0].hash = internal::ChainHash(rows[0].prev_hash, rows[0].body);
  WriteLog(dir_, rows);
  ExpectBroken("audit.chain_broken", 1);
}

// A line that is not an audit record at all is the store's precise error, not a crash.
TEST_F(VerifyTest, ALineThatIsNotARecordIsAStoreError) {
  std::ofstream(test_support::LogPath(dir_), std::ios::binary | std::ios::trunc) << "garbage\n";
  store_ = OpenDir(dir_);
  auto report = Verify(*store_, "main");
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().reason(), "store.corrupt");
}

TEST_F(VerifyTest, ExportWritesOneVerifiableJsonLinePerRecord) {
  std::ostringstream out;
  ASSERT_TRUE(ExportJsonl(*store_, "main", 8, out).ok());
  std::istringstream lines(out.str());
  std::string line;
  int64_t expected = 8;
  while (std::getline(lines, line)) {
    auto value = boost::json::parse(line).as_object();
    EXPECT_EQ(value.at("sequence"), expected);
    EXPECT_EQ(value.at("record").at("sequence"), expected);
    std::string body = boost::json::serialize(value.at("record"));
    EXPECT_EQ(internal::ChainHash(value.at("prev_hash").as_string(), body),
              value.at("hash").as_string());
    ++expected;
  }
  EXPECT_EQ(expected, 11);
}

}  // namespace
}  // namespace mandate::audit

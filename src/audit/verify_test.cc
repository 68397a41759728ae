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
using test_support::Sql;
using test_support::TempDir;

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

  VerifyReport Check() {
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

  store::AuditRow Row(int64_t sequence) { return store_->ReadAudit("main", sequence, 1)->at(0); }

  // A forged row that links correctly to `prev` (what an attacker who knows the scheme writes).
  std::string ForgedInsert(int64_t sequence, const std::string& prev_hash) {
    Record forged = Decision(99);
    forged.decision = "allow";
    std::string body = internal::CanonicalBody("main", sequence, forged);
    std::string hash = internal::ChainHash(prev_hash, body);
    return "INSERT INTO audit VALUES ('main', " + std::to_string(sequence) + ", '" + prev_hash +
           "', '" + hash + "', '" + body + "')";
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
  Sql(dir_, "UPDATE audit SET body = replace(body, '\"deny\"', '\"allow\"') WHERE sequence = 6");
  ExpectBroken("audit.record_edited", 6);
}

TEST_F(VerifyTest, EditedAndRehashedRecordBreaksTheNextLink) {
  std::string body = Row(4).body;
  body.replace(body.find("\"allow\""), 7, "\"deny\" ");
  body.erase(body.find("\"deny\" ") + 6, 1);
  Sql(dir_, "UPDATE audit SET body = '" + body + "', hash = '" +
                internal::ChainHash(Row(4).prev_hash, body) + "' WHERE sequence = 4");
  ExpectBroken("audit.chain_broken", 5);
}

TEST_F(VerifyTest, DeletedRecordIsDetected) {
  Sql(dir_, "DELETE FROM audit WHERE sequence = 4");
  ExpectBroken("audit.record_missing", 4);
}

TEST_F(VerifyTest, InsertedRecordIsDetected) {
  // Make room after record 3 by renumbering 4..10 to 5..11, then splice in a forged record 4.
  std::string prev = Row(3).hash;
  Sql(dir_,
      "UPDATE audit SET sequence = sequence + 100 WHERE sequence >= 4;"
      "UPDATE audit SET sequence = sequence - 99 WHERE sequence >= 104;" +
          ForgedInsert(4, prev));
  ExpectBroken("audit.record_moved", 5);
}

TEST_F(VerifyTest, RecordAppendedPastTheHeadIsDetected) {
  Sql(dir_, ForgedInsert(11, Row(10).hash));
  ExpectBroken("audit.beyond_head", 11);
}

TEST_F(VerifyTest, ReorderedRecordsAreDetected) {
  Sql(dir_,
      "UPDATE audit SET sequence = -5 WHERE sequence = 5;"
      "UPDATE audit SET sequence = 5 WHERE sequence = 6;"
      "UPDATE audit SET sequence = 6 WHERE sequence = -5;");
  ExpectBroken("audit.record_moved", 5);
}

TEST_F(VerifyTest, TruncatedTailIsDetectedAgainstTheAnchoredHead) {
  Sql(dir_, "DELETE FROM audit WHERE sequence >= 8");
  ExpectBroken("audit.truncated", 8);
}

TEST_F(VerifyTest, ReplacedTailIsDetected) {
  Sql(dir_, "DELETE FROM audit WHERE sequence = 10;" + ForgedInsert(10, Row(9).hash));
  ExpectBroken("audit.beyond_head", 10);
}

TEST_F(VerifyTest, MalformedBodyIsDetected) {
  Sql(dir_, "UPDATE audit SET body = 'not json' WHERE sequence = 2");
  ExpectBroken("audit.record_malformed", 2);
  Sql(dir_,
      "UPDATE audit SET body = '{ \"chain\": \"main\", \"sequence\": 2 }' WHERE sequence = 2");
  ExpectBroken("audit.record_malformed", 2);  // not canonical
}

TEST_F(VerifyTest, ForeignGenesisIsDetected) {
  std::string body = Row(1).body;
  std::string fake_prev(64, 'f');
  Sql(dir_, "UPDATE audit SET prev_hash = '" + fake_prev + "', hash = '" +
                internal::ChainHash(fake_prev, body) + "' WHERE sequence = 1");
  ExpectBroken("audit.chain_broken", 1);
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

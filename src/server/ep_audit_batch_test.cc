#include "src/server/ep_audit_batch.h"

#include <gtest/gtest.h>

#include <random>

namespace mandate::server {
namespace {

const std::string kRecord =
    R"({"time_micros":1764400000000001,"agent":"spiffe://example.org/a","task":"t_1","step":"read",)"
    R"("system":"tracker","action":"GET","resource":"/issues/7","decision":"allow","reason":"",)"
    R"("credential":"sc_1","proof":"bound","args_digest":)"
    R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})";

std::string Batch(const std::string& records, const std::string& extra = "") {
  return R"({"enforcement_point":"gateway","instance":"gw-1","first_sequence":5,"records":[)" +
         records + "]" + extra + "}";
}

TEST(EpAuditBatch, ReadsRecordsWithTheirDetail) {
  auto batch = ReadEpAuditBatch(Batch(kRecord + "," + kRecord));
  ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
  EXPECT_EQ(batch->enforcement_point, "gateway");
  EXPECT_EQ(batch->instance, "gw-1");
  EXPECT_EQ(batch->first_sequence, 5);
  ASSERT_EQ(batch->records.size(), 2u);
  const audit::Record& r = batch->records[1];
  EXPECT_EQ(r.time_micros, 1764400000000001);
  EXPECT_EQ(r.agent, "spiffe://example.org/a");
  EXPECT_EQ(r.task, "t_1");
  EXPECT_EQ(r.step, "read");
  EXPECT_EQ(r.system, "tracker");
  EXPECT_EQ(r.action, "GET");
  EXPECT_EQ(r.resource, "/issues/7");
  EXPECT_EQ(r.decision, "allow");
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_TRUE(r.principal.empty());
  EXPECT_EQ(r.args_digest.size(), 64u);
  EXPECT_EQ(r.detail,
            R"({"decided_by":"gateway","instance":"gw-1","sequence":6,"credential":"sc_1",)"
            R"("proof":"bound"})");
}

TEST(EpAuditBatch, HeaderMembersMayFollowTheRecords) {
  const std::string body =
      R"({"records":[{"time_micros":1,"decision":"deny","reason":"route.unknown: x"}],)"
      R"("first_sequence":1,"instance":"i","enforcement_point":"mcp-proxy"})";
  auto batch = ReadEpAuditBatch(body);
  ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
  ASSERT_EQ(batch->records.size(), 1u);
  EXPECT_EQ(batch->records[0].reasons, std::vector<std::string>{"route.unknown: x"});
  EXPECT_EQ(batch->records[0].detail, R"({"decided_by":"mcp-proxy","instance":"i","sequence":1})");
}

TEST(EpAuditBatch, EscapedAndLongStringsAreDecoded) {
  const std::string long_reason(10000, 'r');
  auto batch =
      ReadEpAuditBatch(Batch(R"({"time_micros":1,"decision":"deny","resource":"/a\"b\u00e9",)"
                             R"("reason":")" +
                             long_reason + R"(\n"})"));
  ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
  EXPECT_EQ(batch->records[0].resource, "/a\"b\xc3\xa9");
  EXPECT_EQ(batch->records[0].reasons[0], long_reason + "\n");
}

void ExpectRefused(const std::string& body, std::string_view reason, std::string_view words) {
  auto batch = ReadEpAuditBatch(body);
  ASSERT_FALSE(batch.has_value()) << body.substr(0, 300);
  EXPECT_EQ(batch.error().reason(), reason) << batch.error().ToString();
  EXPECT_NE(batch.error().message().find(words), std::string::npos) << batch.error().ToString();
}

TEST(EpAuditBatch, RefusesEveryMalformedBatch) {
  const std::string one = R"({"time_micros":1,"decision":"deny"})";
  ExpectRefused(R"({"records":)", "json.invalid", "line 1, column 12");
  ExpectRefused(Batch(one) + " x", "json.invalid", "json:");
  ExpectRefused("[1]", "audit.batch_invalid", "batch object");
  ExpectRefused("\"x\"", "audit.batch_invalid", "batch object");
  ExpectRefused("7", "audit.batch_invalid", "batch object");
  ExpectRefused("{}", "audit.batch_invalid", "enforcement_point");
  ExpectRefused(Batch(one, R"(,"extra":1)"), "audit.batch_invalid", "unknown member `extra`");
  ExpectRefused(Batch(one, R"(,"instance":"again")"), "audit.batch_invalid",
                "duplicate member `instance`");
  ExpectRefused(Batch(""), "audit.batch_invalid", "1 to 10000 records");
  ExpectRefused(R"({"enforcement_point":"g","instance":"i","first_sequence":1,"records":{}})",
                "audit.batch_invalid", "`records` must be an array");
  ExpectRefused(
      R"({"enforcement_point":"g","instance":"i","first_sequence":0,"records":[)" + one + "]}",
      "audit.batch_invalid", "`first_sequence` must be an integer >= 1");
  ExpectRefused(
      R"({"enforcement_point":"g","instance":"i","first_sequence":1.5,"records":[)" + one + "]}",
      "audit.batch_invalid", "`first_sequence`");
  ExpectRefused(R"({"enforcement_point":"g","instance":"i","records":[)" + one + "]}",
                "audit.batch_invalid", "`first_sequence`");
  ExpectRefused(R"({"enforcement_point":"g","instance":"i","first_sequence":)" +
                    std::to_string(INT64_MAX) + R"(,"records":[)" + one + "," + one + "]}",
                "audit.batch_invalid", "no room");
  ExpectRefused(
      R"({"enforcement_point":"g","instance":"a b","first_sequence":1,"records":[)" + one + "]}",
      "audit.batch_invalid", "`instance` must be an identifier");
  ExpectRefused(
      R"({"enforcement_point":"","instance":"i","first_sequence":1,"records":[)" + one + "]}",
      "audit.batch_invalid", "`enforcement_point` must be a name");
  ExpectRefused(
      R"({"enforcement_point":["g"],"instance":"i","first_sequence":1,"records":[)" + one + "]}",
      "audit.batch_invalid", "`enforcement_point` must be a name");
  ExpectRefused(Batch("1"), "audit.batch_invalid", "record 0 is not an object");
  ExpectRefused(Batch(one + ",[]"), "audit.batch_invalid", "record 1 is not an object");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"maybe"})"), "audit.batch_invalid",
                "record 0: `decision` must be allow, deny or error");
  ExpectRefused(Batch(R"({"decision":"deny"})"), "audit.batch_invalid",
                "record 0: `time_micros` must be > 0");
  ExpectRefused(Batch(R"({"time_micros":-1,"decision":"deny"})"), "audit.batch_invalid",
                "`time_micros` must be > 0");
  ExpectRefused(Batch(R"({"time_micros":18446744073709551615,"decision":"deny"})"),
                "audit.batch_invalid", "`time_micros` must be > 0");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"deny","detail":{"progress":{}}})"),
                "audit.batch_invalid", "record 0: unknown member `detail`");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"deny","args_digest":"xyz"})"),
                "audit.batch_invalid", "`args_digest` must be SHA-256 hex");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"deny","agent":7})"), "audit.batch_invalid",
                "record 0: `agent` must be a string of at most 16 KiB");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"deny","agent":null})"), "audit.batch_invalid",
                "`agent` must be a string");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"deny","agent":{"a":1}})"),
                "audit.batch_invalid", "`agent` must be a string");
  ExpectRefused(
      Batch(R"({"time_micros":1,"decision":"deny","agent":")" + std::string(17000, 'x') + R"("})"),
      "audit.batch_invalid", "`agent` must be a string of at most 16 KiB");
  ExpectRefused(Batch(R"({"time_micros":1,"decision":"deny","task":"a","task":"b"})"),
                "audit.batch_invalid", "record 0: duplicate member `task`");
  ExpectRefused(std::string(1 << 20, ' ') + "{}", "json.too_large", "exceeds the limit");
}

TEST(EpAuditBatch, RefusesMoreThanTenThousandRecords) {
  const std::string one = R"({"time_micros":1,"decision":"deny"})";
  std::string records = one;
  for (size_t i = 1; i < kMaxEpAuditRecords; ++i) records += "," + one;
  ASSERT_TRUE(ReadEpAuditBatch(Batch(records)).has_value());
  ExpectRefused(Batch(records + "," + one), "audit.batch_invalid", "1 to 10000 records");
}

// Random damage to a valid batch: every result is a clean refusal or a batch that keeps the
// rules (run under ASan + UBSan in CI).
TEST(EpAuditBatch, DamagedBatchesAreRefusedOrValid) {
  const std::string valid = Batch(kRecord + "," + kRecord);
  std::mt19937 random(20261129);
  for (int round = 0; round < 20000; ++round) {
    std::string body = valid;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = random() % body.size();
      switch (random() % 4) {
        case 0:
          body[at] = static_cast<char>(random() % 256);
          break;
        case 1:
          body.erase(at, 1 + random() % 8);
          break;
        case 2:
          body.insert(at, 1, "{}[]\",:0\\"[random() % 9]);
          break;
        default:
          body.resize(at);
      }
      if (body.empty()) body = "{";
    }
    auto batch = ReadEpAuditBatch(body);
    if (!batch.has_value()) {
      EXPECT_TRUE(batch.error().reason() == "audit.batch_invalid" ||
                  batch.error().reason() == "json.invalid")
          << batch.error().ToString();
      continue;
    }
    ASSERT_FALSE(batch->records.empty());
    for (const audit::Record& r : batch->records) {
      EXPECT_TRUE(r.decision == "allow" || r.decision == "deny" || r.decision == "error");
      EXPECT_GT(r.time_micros, 0);
      EXPECT_EQ(r.detail.rfind(R"({"decided_by":)", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace mandate::server

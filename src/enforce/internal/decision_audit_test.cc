#include "src/enforce/internal/decision_audit.h"

#include "src/audit/audit.h"

#include "src/enforce/internal/fake_decision_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace mandate::enforce::internal {
namespace {

// The authority's side, in memory: keeps every batch it accepted; fails while `down`.
struct FakeAuthority {
  std::mutex mu;
  std::vector<boost::json::object> batches;
  std::atomic<bool> down{false};
  std::atomic<int> attempts{0};
  AuditSink Sink() {
    return [this](const std::string& body) -> Status {
      ++attempts;
      if (down) return Status(StatusCode::kUnavailable, "http.client.connect", "refused");
      std::lock_guard lock(mu);
      batches.push_back(boost::json::parse(body).as_object());
      return Status();
    };
  }
  // Every delivered record's (sequence, decision, reason), in delivery order.
  std::vector<std::tuple<int64_t, std::string, std::string>> Records() {
    std::lock_guard lock(mu);
    std::vector<std::tuple<int64_t, std::string, std::string>> out;
    for (const auto& b : batches) {
      int64_t seq = b.at("first_sequence").as_int64();
      for (const auto& r : b.at("records").as_array()) {
        out.emplace_back(seq++, std::string(r.at("decision").as_string()),
                         std::string(r.at("reason").as_string()));
      }
    }
    return out;
  }
};

LocalDecisionRecord Allowed(int i) {
  LocalDecisionRecord r;
  r.agent = "spiffe://example.org/agent";
  r.task = "t_1";
  r.step = "read";
  r.system = "tracker";
  r.action = "read_issue";
  r.resource = "issues/" + std::to_string(i);
  r.decision = "allow";
  r.credential = "jti-" + std::to_string(i);
  r.proof = "dpop";
  r.args = {{"id", i}};
  return r;
}

LocalDecisionRecord Refused(std::string reason) {
  LocalDecisionRecord r;
  r.decision = "deny";
  r.reason = std::move(reason);
  return r;
}

DecisionAuditOptions Fast() {
  DecisionAuditOptions o;
  o.flush_interval_ms = 5;
  o.grace_ms = 1000;
  return o;
}

TEST(DecisionAudit, DeliversEveryRecordInOrderWithItsFields) {
  FakeAuthority authority;
  FakeClock clock;
  DecisionAudit audit(authority.Sink(), clock, Fast());
  for (int i = 1; i <= 5; ++i) audit.Record(Allowed(i));
  audit.Record(Refused("credential.scope_mismatch: not this call"));
  ASSERT_TRUE(audit.Flush(5000));
  auto records = authority.Records();
  ASSERT_EQ(records.size(), 6u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(std::get<0>(records[i]), int64_t(i + 1));
  EXPECT_EQ(std::get<1>(records[5]), "deny");
  EXPECT_EQ(std::get<2>(records[5]), "credential.scope_mismatch: not this call");
  const auto& first = authority.batches.front();
  EXPECT_EQ(first.at("enforcement_point").as_string(), "gateway");
  EXPECT_EQ(first.at("instance").as_string(), audit.instance());
  const auto& r = first.at("records").as_array().front().as_object();
  EXPECT_EQ(r.at("agent").as_string(), "spiffe://example.org/agent");
  EXPECT_EQ(r.at("resource").as_string(), "issues/1");
  EXPECT_EQ(r.at("credential").as_string(), "jti-1");
  EXPECT_EQ(r.at("proof").as_string(), "dpop");
  EXPECT_EQ(r.at("args_digest").as_string(),
            audit::ArgumentsDigest(boost::json::object{{"id", 1}}));
  EXPECT_EQ(audit::ArgumentsDigest(boost::json::object{}),  // SHA-256 of `{}`
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  EXPECT_EQ(r.at("time_micros").as_int64(), clock.NowMicros());
  EXPECT_EQ(audit.delivered(), 6);
  EXPECT_EQ(audit.pending(), 0u);
  EXPECT_TRUE(audit.Ready().ok());
}

TEST(DecisionAudit, AnUnreachableAuthorityClosesAfterTheGraceAndLosesNothing) {
  FakeAuthority authority;
  authority.down = true;
  FakeClock clock;
  DecisionAudit audit(authority.Sink(), clock, Fast());
  audit.Record(Allowed(1));
  audit.Record(Allowed(2));
  EXPECT_FALSE(audit.Flush(200));  // the sink refuses: nothing is delivered
  EXPECT_GE(authority.attempts.load(), 1);
  EXPECT_TRUE(audit.Ready().ok());  // within the grace period calls still pass
  clock.AdvanceMicros(1001 * 1000);
  Status closed = audit.Ready();
  EXPECT_EQ(closed.reason(), "audit.unavailable");
  EXPECT_EQ(audit.pending(), 2u);
  authority.down = false;  // the authority is back: the same records, the same sequences
  ASSERT_TRUE(audit.Flush(5000));
  auto records = authority.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(std::get<0>(records[0]), 1);
  EXPECT_EQ(std::get<0>(records[1]), 2);
  EXPECT_TRUE(audit.Ready().ok());
  EXPECT_GE(audit.failed_batches(), 1);
}

TEST(DecisionAudit, AFullQueueRefusesCallsAndCountsRefusalsItCannotHold) {
  FakeAuthority authority;
  authority.down = true;
  FakeClock clock;
  DecisionAuditOptions options = Fast();
  options.capacity = 3;
  DecisionAudit audit(authority.Sink(), clock, options);
  for (int i = 1; i <= 3; ++i) audit.Record(Allowed(i));
  EXPECT_EQ(audit.Ready().reason(), "audit.unavailable");
  audit.Record(Refused("audit.unavailable: full"));  // no room: counted, not queued
  audit.Record(Refused("audit.unavailable: full"));
  EXPECT_EQ(audit.pending(), 3u);
  authority.down = false;
  ASSERT_TRUE(audit.Flush(5000));
  auto records = authority.Records();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(std::get<1>(records[3]), "deny");
  EXPECT_EQ(std::get<2>(records[3]).rfind("audit.overflow: 2 refusals", 0), 0u)
      << std::get<2>(records[3]);
}

TEST(DecisionAudit, BatchesAreBoundedAndAFullBatchIsSentWithoutWaiting) {
  FakeAuthority authority;
  FakeClock clock;
  DecisionAuditOptions options = Fast();
  options.flush_interval_ms = 60'000;  // only a full batch (or Flush) sends
  options.max_batch = 4;
  DecisionAudit audit(authority.Sink(), clock, options);
  for (int i = 1; i <= 9; ++i) audit.Record(Allowed(i));
  for (int i = 0; i < 2500 && audit.delivered() < 8; ++i) {  // at most 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(audit.delivered(), 8);  // two full batches; the ninth waits for the interval
  ASSERT_TRUE(audit.Flush(5000));
  std::lock_guard lock(authority.mu);
  ASSERT_EQ(authority.batches.size(), 3u);
  for (const auto& b : authority.batches) EXPECT_LE(b.at("records").as_array().size(), 4u);
}

TEST(DecisionAudit, ABatchBodyStaysWithinItsByteBound) {
  std::deque<LocalDecisionRecord> records;
  for (int i = 0; i < 10; ++i) records.push_back(Allowed(i));
  size_t included = 0;
  std::string body = DecisionAudit::BatchBody("gateway", "i", 7, records, 10, &included, 600);
  EXPECT_GE(included, 1u);
  EXPECT_LT(included, 10u);
  auto parsed = boost::json::parse(body).as_object();
  EXPECT_EQ(parsed.at("records").as_array().size(), included);
  EXPECT_EQ(parsed.at("first_sequence").as_int64(), 7);
  DecisionAudit::BatchBody("gateway", "i", 1, records, 10, &included, 1);
  EXPECT_EQ(included, 1u);  // one record always goes, however large
}

TEST(DecisionAudit, StoppingDeliversWhatIsQueued) {
  FakeAuthority authority;
  FakeClock clock;
  DecisionAuditOptions options = Fast();
  options.flush_interval_ms = 60'000;
  {
    DecisionAudit audit(authority.Sink(), clock, options);
    audit.Record(Allowed(1));
    audit.Record(Allowed(2));
  }
  EXPECT_EQ(authority.Records().size(), 2u);
}

std::string SpoolDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "audit-spool-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

// Every line of every file in `dir`.
std::vector<std::string> SpoolLines(const std::string& dir) {
  std::vector<std::string> lines;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  return lines;
}

// A process killed with records undelivered (the authority was down) leaves them in its spool,
// a last line torn by the kill included; the next process delivers them under the old
// instance and sequences, before its own, and removes the files.
TEST(DecisionAudit, TheNextProcessDeliversWhatAKilledOneLeftInTheSpool) {
  const std::string dir = SpoolDir();
  FakeAuthority authority;
  authority.down = true;
  SystemClock clock;  // the first one's stop gives up after grace_ms of real time
  DecisionAuditOptions options = Fast();
  options.grace_ms = 50;
  options.spool_dir = dir;
  std::string first_instance;
  {
    DecisionAudit first(authority.Sink(), clock, options);
    first_instance = first.instance();
    for (int i = 1; i <= 3; ++i) first.Record(Allowed(i));
    first.Record(Refused("route.unknown: no route"));
    EXPECT_EQ(SpoolLines(dir).size(), 4u);  // written before Record returned
  }
  ASSERT_EQ(SpoolLines(dir).size(), 4u) << "undelivered records stay in the spool";
  std::ofstream(dir + "/" + first_instance + ".0", std::ios::app) << "{\"sequence\":5,\"rec";
  authority.down = false;
  {
    DecisionAudit next(authority.Sink(), clock, options);
    next.Record(Allowed(10));
    ASSERT_TRUE(next.Flush(5000));
    ASSERT_GE(authority.batches.size(), 2u);
    const auto& recovered = authority.batches.front();
    EXPECT_EQ(recovered.at("instance").as_string(), first_instance);
    EXPECT_EQ(recovered.at("first_sequence").as_int64(), 1);
    const auto& records = recovered.at("records").as_array();
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[2].at("resource").as_string(), "issues/3");
    EXPECT_EQ(records[2].at("args_digest").as_string(),
              audit::ArgumentsDigest(boost::json::object{{"id", 3}}));
    EXPECT_EQ(records[3].at("reason").as_string(), "route.unknown: no route");
    EXPECT_EQ(authority.batches.back().at("instance").as_string(), next.instance());
    EXPECT_FALSE(std::filesystem::exists(dir + "/" + first_instance + ".0"));
    EXPECT_TRUE(next.Ready().ok());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "a clean stop removes its own files";
}

// Two gateways on one folder: the second never takes the live first one's files.
TEST(DecisionAudit, ALiveGatewaysSpoolIsNotTakenOver) {
  const std::string dir = SpoolDir();
  FakeAuthority down, up;
  down.down = true;
  SystemClock clock;
  DecisionAuditOptions options = Fast();
  options.grace_ms = 50;
  options.spool_dir = dir;
  DecisionAudit first(down.Sink(), clock, options);
  first.Record(Allowed(1));
  {
    DecisionAudit second(up.Sink(), clock, options);
    second.Record(Allowed(2));
    ASSERT_TRUE(second.Flush(5000));
    for (const auto& batch : up.batches)
      EXPECT_EQ(batch.at("instance").as_string(), second.instance());
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/" + first.instance() + ".0"));
}

// Delivered records leave the spool: its two files are emptied in turn.
TEST(DecisionAudit, TheSpoolHoldsOnlyWhatIsUndelivered) {
  const std::string dir = SpoolDir();
  FakeAuthority authority;
  FakeClock clock;
  DecisionAuditOptions options = Fast();
  options.spool_dir = dir;
  options.max_batch = 10;
  DecisionAudit audit(authority.Sink(), clock, options);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 20; ++i) audit.Record(Allowed(i));
    ASSERT_TRUE(audit.Flush(5000));
  }
  EXPECT_EQ(audit.delivered(), 100);
  EXPECT_LE(SpoolLines(dir).size(), 20u);
}

// A damaged line (not the torn last one) is not guessed at: calls are refused, naming the file.
TEST(DecisionAudit, ADamagedSpoolRefusesCallsAndSaysWhere) {
  const std::string dir = SpoolDir();
  std::ofstream(dir + "/0123abcd.1") << "{\"sequence\":1,\"record\":{}}\nnot json\n{}\n";
  FakeAuthority authority;
  FakeClock clock;
  DecisionAuditOptions options = Fast();
  options.spool_dir = dir;
  DecisionAudit audit(authority.Sink(), clock, options);
  Status ready;
  for (int i = 0; i < 500 && ready.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ready = audit.Ready();
  }
  EXPECT_EQ(ready.reason(), "audit.spool");
  EXPECT_NE(ready.message().find("0123abcd.1` line 2"), std::string::npos) << ready.ToString();
  EXPECT_TRUE(std::filesystem::exists(dir + "/0123abcd.1")) << "kept for the operator";
}

TEST(AuditedDecisionClient, RecordsOnlyWhatTheAuthorityDidNotAndClosesWithTheAudit) {
  FakeAuthority authority;
  FakeClock clock;
  DecisionAudit audit(authority.Sink(), clock, Fast());
  FakeDecisionClient inner;
  AuditedDecisionClient client(inner, audit);
  AuthorizeRequest ask;
  ask.system = "files";
  ask.action = "read_file";
  ask.resource = "files/a";
  ask.args = {{"path", "a"}};
  inner.answer.verdict = Verdict::kAllow;
  inner.answer.recorded_by_authority = true;  // the authority decided (and recorded) it
  EXPECT_EQ(client.Authorize(ask).verdict, Verdict::kAllow);
  inner.answer.recorded_by_authority = false;  // decided locally from a held credential
  inner.answer.agent = "spiffe://example.org/agent";
  inner.answer.proof = "dpop";
  EXPECT_EQ(client.Authorize(ask).verdict, Verdict::kAllow);
  ASSERT_TRUE(audit.Flush(5000));
  ASSERT_EQ(authority.Records().size(), 1u);
  const auto& r = authority.batches.back().at("records").as_array().back().as_object();
  EXPECT_EQ(r.at("action").as_string(), "read_file");
  EXPECT_EQ(r.at("agent").as_string(), "spiffe://example.org/agent");
  EXPECT_EQ(r.at("args_digest").as_string(),
            audit::ArgumentsDigest(boost::json::object{{"path", "a"}}));

  authority.down = true;
  audit.Record(Allowed(1));
  EXPECT_FALSE(audit.Flush(100));
  clock.AdvanceMicros(2'000'000);
  const size_t asked = inner.asked.size();
  Decision refused = client.Authorize(ask);
  EXPECT_EQ(refused.verdict, Verdict::kError);
  EXPECT_EQ(refused.PrimaryCode(), "audit.unavailable");
  EXPECT_EQ(inner.asked.size(), asked);  // not even asked
  authority.down = false;
  ASSERT_TRUE(audit.Flush(5000));
}

}  // namespace
}  // namespace mandate::enforce::internal

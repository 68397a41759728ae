#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <boost/json/parse.hpp>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <thread>

#include "src/audit/audit.h"
#include "src/audit/internal/record_codec.h"
#include "src/audit/internal/test_support.h"

namespace mandate::audit {
namespace {

using test_support::Decision;
using test_support::LogPath;
using test_support::OpenDir;
using test_support::TempDir;
using test_support::WriteLog;

TEST(AuditLog, AppendAssignsSequencesAndWaitDurableCommits) {
  std::string dir = TempDir();
  auto store = OpenDir(dir);
  FakeClock clock(1'700'000'000'000'000);
  auto log = AuditLog::Open(*store, clock);
  ASSERT_TRUE(log.has_value()) << log.error().ToString();
  Record r = Decision(1);
  r.detail = R"({"amount":12.5,"currency":"EUR"})";
  auto first = (*log)->Append(r);
  auto second = (*log)->Append(Decision(2));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(*second, 2);
  ASSERT_TRUE((*log)->WaitDurable(*second).ok());
  EXPECT_GE((*log)->durable_sequence(), 2);
  auto rows = store->ReadAudit("main", 1, 10);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].prev_hash, internal::kGenesisHash);
  EXPECT_EQ((*rows)[1].prev_hash, (*rows)[0].hash);
  EXPECT_EQ((*rows)[0].body, internal::CanonicalBody("main", 1, [&] {
              Record stamped = r;
              stamped.time_micros = 1'700'000'000'000'000;
              return stamped;
            }()));
  auto body = boost::json::parse((*rows)[0].body).as_object();
  EXPECT_EQ(body.at("kind"), "decision");
  EXPECT_EQ(body.at("time"), 1'700'000'000'000'000);
  EXPECT_EQ(body.at("detail").at("currency"), "EUR");
  EXPECT_EQ(body.at("args_digest").as_string().size(), 64u);
}

TEST(AuditLog, ReopenContinuesTheChain) {
  std::string dir = TempDir();
  auto store = OpenDir(dir);
  SystemClock clock;
  for (int round = 0; round < 3; ++round) {
    auto log = AuditLog::Open(*store, clock);
    ASSERT_TRUE(log.has_value());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*log)->Append(Decision(i)).has_value());
    // destroying the log commits what was appended
  }
  auto report = Verify(*store, "main");
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->problem.ok()) << report->problem.ToString();
  EXPECT_EQ(report->records, 30);
  EXPECT_EQ(report->head.sequence, 30);
}

TEST(AuditLog, ConcurrentAppendersLoseNothingAndKeepTheChain) {
  std::string dir = TempDir();
  auto store = OpenDir(dir);
  SystemClock clock;
  AuditOptions options;
  options.max_batch = 64;
  options.max_pending = 256;  // exercises back-pressure: Append waits, never drops
  auto log = AuditLog::Open(*store, clock, options);
  ASSERT_TRUE(log.has_value());
  constexpr int kThreads = 4, kEach = 1500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto ticket = (*log)->Append(Decision(t * kEach + i));
        ASSERT_TRUE(ticket.has_value());
        if (i % 100 == 0) {
          ASSERT_TRUE((*log)->WaitDurable(*ticket).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ(*store->CountAudit("main"), kThreads * kEach);
  auto report = Verify(*store, "main");
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->problem.ok()) << report->problem.ToString();
}

// A log on a fresh store in a temp dir.
class FreshLog : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = AuditLog::Open(*store_, clock_);
    ASSERT_TRUE(log.has_value()) << log.error().ToString();
    log_ = std::move(*log);
  }
  std::string dir_ = TempDir();
  std::unique_ptr<store::Store> store_ = OpenDir(dir_);
  SystemClock clock_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(FreshLog, StoreFailureClosesTheLog) {
  std::string& dir = dir_;
  auto* log = &log_;
  Status heard;  // what the commit listener (the HTTP server's responder) is told
  (*log)->SetCommitListener([&](int64_t, const Status& failure) {
    if (!failure.ok()) heard = failure;
  });
  ASSERT_TRUE((*log)->WaitDurable(*(*log)->Append(Decision(1))).ok());
  EXPECT_TRUE((*log)->failure().ok());
  // The store can no longer write the trail: the process may not grow files (EFBIG).
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, SIG_IGN);
  rlimit full = saved;
  full.rlim_cur = std::filesystem::file_size(LogPath(dir));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &full), 0);
  auto ticket = (*log)->Append(Decision(2));
  ASSERT_TRUE(ticket.has_value());
  Status waited = (*log)->WaitDurable(*ticket);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  EXPECT_FALSE(waited.ok());
  // One code for callers whatever the store; the store's own code and message for the operator.
  EXPECT_EQ(waited.code(), StatusCode::kUnavailable);
  EXPECT_EQ(waited.reason(), "audit.unavailable");
  EXPECT_NE(waited.message().find("audit chain `main` cannot be written (store.io: "),
            std::string::npos)
      << waited.message();
  EXPECT_EQ((*log)->failure().reason(), "audit.unavailable");
  auto refused = (*log)->Append(Decision(3));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason(), "audit.unavailable");
  // A caller that kept 0 for the refused record learns the failure from WaitDurable too.
  EXPECT_EQ((*log)->WaitDurable(0).reason(), "audit.unavailable");
  EXPECT_FALSE((*log)->Flush().ok());
  EXPECT_EQ((*log)->durable_sequence(), 1);
  EXPECT_EQ(heard.reason(), "audit.unavailable");
}

TEST(AuditLog, OpenRefusesAChainWhoseHeadRecordIsGone) {
  std::string dir = TempDir();
  auto store = OpenDir(dir);
  SystemClock clock;
  {
    auto log = AuditLog::Open(*store, clock);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->Append(Decision(i)).has_value());
  }
  auto rows = *store->ReadAudit("main", 1, 10);
  rows.pop_back();  // the record at the head
  WriteLog(dir, rows);
  store = OpenDir(dir);  // as the next process would
  auto reopened = AuditLog::Open(*store, clock);
  ASSERT_FALSE(reopened.has_value());
  EXPECT_EQ(reopened.error().reason(), "audit.truncated");
}

TEST(AuditLog, ChainsAreSeparate) {
  std::string dir = TempDir();
  auto store = OpenDir(dir);
  SystemClock clock;
  AuditOptions replica;
  replica.chain = "replica-2";
  {
    auto a = AuditLog::Open(*store, clock);
    auto b = AuditLog::Open(*store, clock, replica);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(*(*a)->Append(Decision(1)), 1);
    ASSERT_EQ(*(*b)->Append(Decision(2)), 1);
  }
  for (std::string chain : {"main", "replica-2"}) {
    auto report = Verify(*store, chain);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(report->problem.ok()) << report->problem.ToString();
    EXPECT_EQ(report->records, 1);
  }
}

// The HTTP server's pattern: append, hand the answer over, CommitQueued on the same thread; the
// listener hears each commit, in order, on the committing thread.
TEST_F(FreshLog, CommitQueuedCommitsOnTheCallerAndTheListenerHearsEachCommit) {
  auto* log = &log_;
  std::mutex mu;
  std::vector<int64_t> heard;
  std::vector<std::thread::id> threads;
  (*log)->SetCommitListener([&](int64_t durable, const Status& failure) {
    EXPECT_TRUE(failure.ok()) << failure.ToString();
    std::lock_guard lock(mu);
    heard.push_back(durable);
    threads.push_back(std::this_thread::get_id());
  });
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(*(*log)->Append(Decision(i)), i);
    (*log)->CommitQueued();
    EXPECT_EQ((*log)->durable_sequence(), i) << "committed before CommitQueued returned";
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(heard, (std::vector<int64_t>{1, 2, 3}));
  for (auto id : threads) EXPECT_EQ(id, std::this_thread::get_id());
}

// A record nobody waits for (no WaitDurable, no CommitQueued) is committed in the background.
TEST_F(FreshLog, ARecordNobodyWaitsForIsCommittedInTheBackground) {
  auto* log = &log_;
  ASSERT_TRUE((*log)->Append(Decision(1)).has_value());
  for (int i = 0; i < 500 && (*log)->durable_sequence() < 1; ++i) {  // bounded: 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ((*log)->durable_sequence(), 1);
  EXPECT_EQ((*log)->WaitDurable(7).reason(), "audit.unknown_ticket");
}

TEST(ArgumentsDigest, IsSha256Hex) {
  EXPECT_EQ(ArgumentsDigest(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ArgumentsDigest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// An enforcement point reads a call's arguments in its route table's order, the authority in the
// agent's: both records of the call must carry one digest, that of the canonical form.
TEST(ArgumentsDigest, OfArgumentsIgnoresMemberOrder) {
  const auto agent = boost::json::parse(R"({"amount":50,"payee":{"iban":"X","name":"acme"}})");
  const auto route = boost::json::parse(R"({"payee":{"name":"acme","iban":"X"},"amount":50})");
  EXPECT_EQ(ArgumentsDigest(agent.as_object()), ArgumentsDigest(route.as_object()));
  EXPECT_EQ(ArgumentsDigest(agent.as_object()),
            ArgumentsDigest(R"({"amount":50,"payee":{"iban":"X","name":"acme"}})"));
  EXPECT_NE(
      ArgumentsDigest(agent.as_object()),
      ArgumentsDigest(
          boost::json::parse(R"({"amount":51,"payee":{"iban":"X","name":"acme"}})").as_object()));
}

}  // namespace
}  // namespace mandate::audit

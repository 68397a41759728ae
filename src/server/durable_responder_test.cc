// DurableResponder over a real HTTP server: an answer leaves only once the audit log's commit
// listener says its record is committed, each commit releases exactly the records it covers, and a
// failed log or a failed append answers 503 `audit.unavailable` (fail closed).
#include "src/server/durable_responder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

#include "src/http/internal/test_util.h"

namespace mandate::server {
namespace {

using http::testing::RawSocket;
using std::chrono::milliseconds;

// An audit log whose commits and failure the test drives by hand.
class ManualLog final : public audit::AuditLog {
 public:
  using audit::AuditLog::Append;
  Result<audit::Ticket> Append(const audit::RecordView&) override {
    return Err(Internal("test", "unused"));
  }
  Status WaitDurable(audit::Ticket ticket) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return durable_ >= ticket || !failure_.ok(); });
    return durable_ >= ticket ? Status() : failure_;
  }
  Status Flush() override { return {}; }
  void CommitQueued() override { ++commit_calls_; }  // the test commits by hand
  void SetCommitListener(audit::CommitListener listener) override {
    std::lock_guard lock(mu_);
    listener_ = std::move(listener);
  }
  int64_t durable_sequence() const override {
    std::lock_guard lock(mu_);
    return durable_;
  }
  Status failure() const override {
    std::lock_guard lock(mu_);
    return failure_;
  }
  void Commit(audit::Ticket through) {
    audit::CommitListener listener;
    {
      std::lock_guard lock(mu_);
      durable_ = through;
      listener = listener_;
    }
    cv_.notify_all();
    if (listener) listener(through, {});
  }
  void Fail() {
    audit::CommitListener listener;
    {
      std::lock_guard lock(mu_);
      failure_ = Status(StatusCode::kInternal, "store.io", "disk full");
      listener = listener_;
    }
    cv_.notify_all();
    if (listener) listener(durable_sequence(), failure_);
  }
  int commit_calls() const { return commit_calls_; }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  audit::Ticket durable_ = 0;
  Status failure_;
  audit::CommitListener listener_;
  std::atomic<int> commit_calls_{0};
};

// POST /decide with the ticket as the body: answers {"ticket":N} once durable.
class DurableResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    responder_ = std::make_unique<DurableResponder>(log_);
    http::Router router;
    ASSERT_TRUE(router
                    .AddAsync("POST", "/decide",
                              [this](const http::Request& request, http::Responder answer) {
                                const uint64_t ticket = std::stoull(std::string(request.body()));
                                responder_->Submit(
                                    ticket, std::move(answer),
                                    http::Response::Json(
                                        200, R"({"ticket":)" + std::string(request.body()) + "}"));
                              })
                    .ok());
    auto server = http::Server::Start({}, std::move(router));
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override {
    log_.Commit(1 << 30);  // release whatever a failed test left waiting
    server_.reset();
    responder_.reset();
  }
  std::unique_ptr<RawSocket> Decide(uint64_t ticket) {
    auto socket = std::make_unique<RawSocket>(server_->port());
    const std::string body = std::to_string(ticket);
    EXPECT_TRUE(socket->Send("POST /decide HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body));
    return socket;
  }

  ManualLog log_;
  std::unique_ptr<DurableResponder> responder_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(DurableResponderTest, EachCommitReleasesExactlyTheRecordsItCovers) {
  // Two decisions wait for their records; each commit answers exactly the tickets it covers.
  auto first = Decide(1);
  EXPECT_EQ(first->ReadUntil("\r\n\r\n", milliseconds(200)), "") << "answered before durable";
  auto later = Decide(5);
  EXPECT_EQ(later->ReadUntil("\r\n\r\n", milliseconds(200)), "") << "answered before durable";
  log_.Commit(1);
  EXPECT_NE(first->ReadUntil(R"({"ticket":1})").find("200 OK"), std::string::npos);
  EXPECT_EQ(later->ReadUntil("\r\n\r\n", milliseconds(200)), "") << "ticket 5 is not committed";
  log_.Commit(5);
  EXPECT_NE(later->ReadUntil(R"({"ticket":5})").find("200 OK"), std::string::npos);
  EXPECT_EQ(log_.commit_calls(), 2);  // each handler asked for its commit on its own thread
  // A ticket a commit already covers is answered at once.
  EXPECT_NE(Decide(4)->ReadUntil(R"({"ticket":4})").find("200 OK"), std::string::npos);
}

TEST_F(DurableResponderTest, FailedLogIsNeverAcknowledged) {
  auto waiting = Decide(3);
  EXPECT_EQ(waiting->ReadUntil("\r\n\r\n", milliseconds(100)), "");
  log_.Fail();
  const std::string answer = waiting->ReadUntil("audit.unavailable");
  EXPECT_NE(answer.find("503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("disk full"), std::string::npos) << answer;
}

TEST_F(DurableResponderTest, FailedAppendIsRefusedAtOnce) {
  auto failed = Decide(0);  // ticket 0: the append itself failed
  const std::string answer = failed->ReadUntil("audit.unavailable");
  EXPECT_NE(answer.find("503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("the audit append failed"), std::string::npos) << answer;
}

}  // namespace
}  // namespace mandate::server

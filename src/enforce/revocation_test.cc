#include "src/enforce/revocation.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "src/enforce/internal/revocation_stream.h"
#include "src/http/server.h"

namespace mandate::enforce {
namespace {

// The transport over src/http's EventSubscription against a real src/http server: the token is
// sent, events reach the deny set, and a dropped stream resumes with `Last-Event-ID`.
TEST(RevocationStream, FeedsTheDenySetAndResumesAfterADrop) {
  std::mutex mu;
  std::vector<std::string> resumed_from;  // GUARDED_BY(mu)
  http::Router router;
  ASSERT_TRUE(router
                  .AddAsync("GET", "/v1/revocations/stream",
                            [&](const http::Request& req, http::Responder responder) {
                              if (req.Header("authorization") != "Bearer ep-secret") {
                                return responder.Send(http::Response::Error(401, "auth", "no"));
                              }
                              std::string last(req.Header("last-event-id").value_or(""));
                              {
                                std::lock_guard lock(mu);
                                resumed_from.push_back(last);
                              }
                              auto stream = responder.StartEvents();
                              auto event = [](int id) {
                                return http::SseEvent{std::to_string(id), "revocation",
                                                      R"({"id":)" + std::to_string(id) +
                                                          R"(,"scope":"task","value":"t_)" +
                                                          std::to_string(id) + R"("})",
                                                      std::nullopt};
                              };
                              if (last.empty()) {
                                stream->Send(event(1));
                                stream->Send(event(2));
                                stream->Close();  // the authority goes away mid-stream
                              } else {
                                stream->Send(event(3));
                              }
                            })
                  .ok());
  auto server = http::Server::Start({}, std::move(router));
  ASSERT_TRUE(server) << server.error().ToString();
  SystemClock clock;
  RevocationFeed feed(clock, 5'000'000);
  auto subscription = internal::SubscribeRevocations(
      feed, {"http://127.0.0.1:" + std::to_string((*server)->port()), "ep-secret",
             std::chrono::milliseconds(10), std::chrono::milliseconds(50),
             std::chrono::milliseconds(5'000)});
  for (int i = 0; i < 500 && !feed.deny_set().IsTaskRevoked("t_3"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(feed.deny_set().IsTaskRevoked("t_1"));
  EXPECT_TRUE(feed.deny_set().IsTaskRevoked("t_2"));
  EXPECT_TRUE(feed.deny_set().IsTaskRevoked("t_3"));
  EXPECT_TRUE(feed.Ready().ok());
  subscription->Stop();
  std::lock_guard lock(mu);
  ASSERT_GE(resumed_from.size(), 2u);
  EXPECT_EQ(resumed_from[0], "");
  EXPECT_EQ(resumed_from[1], "2");
}

TEST(RevocationEvent, ParsesAndRejects) {
  auto e = ParseRevocationEvent(
      R"({"id":3,"scope":"agent","value":"spiffe://x/a","tasks":["t_1","t_2"],"jtis":["j1"],"at":5})");
  ASSERT_TRUE(e) << e.error().ToString();
  EXPECT_EQ(e->id, 3);
  EXPECT_EQ(e->tasks.size(), 2u);
  auto task = ParseRevocationEvent(R"({"id":4,"scope":"task","value":"t_9"})");
  ASSERT_TRUE(task);
  EXPECT_EQ(task->tasks, std::vector<std::string>{"t_9"});
  for (const char* bad :
       {"", "[]", R"({"scope":"task"})", R"({"id":-1})", R"({"id":1,"tasks":"t"})",
        R"({"id":1,"jtis":[1]})", R"({"id":1,"id":2})"}) {
    auto r = ParseRevocationEvent(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().reason(), "revocation.event_invalid") << bad;
  }
}

TEST(RevocationFeed, DeniesRevokedTasksAndCredentials) {
  FakeClock clock;
  RevocationFeed feed(clock, 1'000'000);
  feed.OnConnected();
  ASSERT_TRUE(
      feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1","jtis":["j"]})")
          .ok());
  ASSERT_TRUE(feed.OnEvent("message", "", "not json").ok());  // other events are ignored
  EXPECT_EQ(feed.OnEvent("revocation", "2", "{").reason(), "revocation.event_invalid");
  EXPECT_TRUE(feed.deny_set().IsTaskRevoked("t_1"));
  EXPECT_FALSE(feed.deny_set().IsTaskRevoked("t_2"));
  EXPECT_TRUE(feed.deny_set().IsCredentialRevoked("j"));
  EXPECT_EQ(feed.last_event_id(), 1);
}

// A replayed `all` lists no tasks: every credential issued up to it is denied by its `iat`, and
// those issued later (new tasks) are not.
TEST(RevocationFeed, AnAllRevocationDeniesEveryCredentialIssuedUpToIt) {
  FakeClock clock;
  RevocationFeed feed(clock, 1'000'000);
  feed.OnConnected();
  EXPECT_FALSE(feed.deny_set().IsIssuedBeforeRevokeAll(0));  // none yet
  ASSERT_TRUE(feed.OnEvent("revocation", "7",
                           R"({"id":7,"scope":"all","value":"","tasks":[],"at":1800000000500000})")
                  .ok());
  EXPECT_TRUE(feed.deny_set().IsIssuedBeforeRevokeAll(1'700'000'000));
  EXPECT_TRUE(feed.deny_set().IsIssuedBeforeRevokeAll(1'800'000'000));  // the same second
  EXPECT_FALSE(feed.deny_set().IsIssuedBeforeRevokeAll(1'800'000'001));
  // One without a time ends at least everything issued before it arrived.
  RevocationFeed untimed(clock, 1'000'000);
  untimed.OnConnected();
  ASSERT_TRUE(untimed.OnEvent("revocation", "1", R"({"id":1,"scope":"all"})").ok());
  EXPECT_TRUE(untimed.deny_set().IsIssuedBeforeRevokeAll(clock.NowMicros() / 1'000'000));
}

TEST(RevocationFeed, FailsClosedBeforeSyncAndAfterTheGracePeriod) {
  FakeClock clock;
  RevocationFeed feed(clock, 2'000'000);
  EXPECT_EQ(feed.Ready().reason(), "revocation.not_synced");
  feed.OnConnected();
  EXPECT_TRUE(feed.Ready().ok());
  feed.OnDisconnected();
  clock.AdvanceSeconds(1);
  EXPECT_TRUE(feed.Ready().ok());  // within grace
  clock.AdvanceSeconds(2);
  EXPECT_EQ(feed.Ready().reason(), "revocation.stream_lost");
  feed.OnConnected();  // resynchronised
  EXPECT_TRUE(feed.Ready().ok());
}

}  // namespace
}  // namespace mandate::enforce

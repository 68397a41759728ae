#include "src/enforce/revocation.h"

#include <gtest/gtest.h>

#include "src/enforce/internal/sse.h"

namespace mandate::enforce {
namespace {

TEST(Sse, ParsesEventsAcrossChunksAndLineEndings) {
  internal::SseParser parser;
  std::vector<internal::SseEvent> events;
  auto collect = [&](const internal::SseEvent& e) { events.push_back(e); };
  ASSERT_TRUE(parser.Feed(": heartbeat\n\nid: 7\nevent: revoc", collect).ok());
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(parser.Feed("ation\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n", collect).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "revocation");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].data, "{\"a\":\n1}");
  EXPECT_EQ(parser.last_event_id(), "7");
}

TEST(Sse, BoundsEventSize) {
  internal::SseParser parser(64);
  Status s = parser.Feed("data: " + std::string(100, 'x'), [](const internal::SseEvent&) {});
  EXPECT_EQ(s.reason(), "sse.too_large");
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

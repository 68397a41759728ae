#include "src/http/internal/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace mandate::http::internal {
namespace {

std::vector<SseEvent> ParseAll(const std::vector<std::string>& pieces, SseParser& parser) {
  std::vector<SseEvent> events;
  for (const auto& piece : pieces) {
    EXPECT_TRUE(parser.Feed(piece, [&](const SseEvent& e) { events.push_back(e); }).ok());
  }
  return events;
}

TEST(SseParser, HandlesAnyLineEndingSplitAcrossChunks) {
  SseParser parser;
  auto events = ParseAll({"id: 7\r", "\nevent: rev", "ocation\rdata: a\n", "data:b\r\n\r\n",
                          ": heartbeat\n\n", "data: c\n\n"},
                         parser);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].event, "revocation");
  EXPECT_EQ(events[0].data, "a\nb");
  EXPECT_EQ(events[1].id, "7");  // the last event ID persists
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "c");
}

TEST(SseParser, IgnoresUnknownFieldsBadRetryAndEmptyEvents) {
  SseParser parser;
  auto events = ParseAll({"retry: 2500\nretry: 1x\nfoo: bar\nevent: x\n\nid\ndata\n\n"}, parser);
  EXPECT_EQ(parser.retry_ms(), 2500);
  ASSERT_EQ(events.size(), 1u);  // `event: x` alone has no data: not dispatched
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[0].id, "");  // `id` with no value resets it
}

TEST(SseParser, RejectsOverlongLines) {
  SseParser parser(16);
  Status status = parser.Feed("data: " + std::string(64, 'x'), [](const SseEvent&) {});
  EXPECT_EQ(status.reason(), "http.sse_invalid");
}

}  // namespace
}  // namespace mandate::http::internal

#include "src/http/internal/router.h"

#include <gtest/gtest.h>

#include "src/http/internal/wire.h"

namespace mandate::http {
namespace {

Handler Ok() {
  return [](const Request&) { return Response::NoContent(); };
}

TEST(Router, MatchesLiteralsBeforeParametersAndCollectsParams) {
  Router router;
  ASSERT_TRUE(router.Add("POST", "/v1/tasks/{id}/complete", Ok()).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/tasks/{id}", Ok()).ok());
  ASSERT_TRUE(router.Add("GET", "/v1/tasks/stats", Ok()).ok());
  ASSERT_TRUE(router.Add("GET", "/", Ok()).ok());
  internal::RouteMatch match;
  const auto& impl = router.impl();
  ASSERT_TRUE(impl.Match("POST", "/v1/tasks/t-9/complete", &match));
  EXPECT_EQ(match.route->path_template, "/v1/tasks/{id}/complete");
  ASSERT_EQ(match.raw_params.size(), 1u);
  EXPECT_EQ(match.raw_params[0], "t-9");
  ASSERT_TRUE(impl.Match("GET", "/v1/tasks/stats", &match));
  EXPECT_EQ(match.route->path_template, "/v1/tasks/stats");
  EXPECT_TRUE(match.raw_params.empty());
  ASSERT_TRUE(impl.Match("HEAD", "/v1/tasks/abc", &match));  // HEAD falls back to GET
  EXPECT_EQ(match.route->path_template, "/v1/tasks/{id}");
  ASSERT_TRUE(impl.Match("GET", "/", &match));
  EXPECT_FALSE(impl.Match("GET", "/v1/tasks//complete", &match));  // empty parameter
  EXPECT_FALSE(impl.Match("GET", "/v1/tasks/a/b/c", &match));
  EXPECT_FALSE(impl.Match("GET", "*", &match));
}

TEST(Router, ReportsAllowedMethodsOnMethodMismatch) {
  Router router;
  ASSERT_TRUE(router.Add("POST", "/v1/authorize", Ok()).ok());
  ASSERT_TRUE(router.Add("PUT", "/v1/authorize", Ok()).ok());
  internal::RouteMatch match;
  EXPECT_FALSE(router.impl().Match("GET", "/v1/authorize", &match));
  EXPECT_EQ(match.allowed_methods, "POST, PUT");
  EXPECT_FALSE(router.impl().Match("GET", "/v1/other", &match));
  EXPECT_EQ(match.allowed_methods, "");
}

TEST(Router, RestParameterTakesTheRemainingPath) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/tools/{system}/{rest...}", Ok()).ok());
  internal::RouteMatch match;
  ASSERT_TRUE(router.impl().Match("GET", "/tools/bank/v2/accounts/7", &match));
  ASSERT_EQ(match.raw_params.size(), 2u);
  EXPECT_EQ(match.raw_params[0], "bank");
  EXPECT_EQ(match.raw_params[1], "v2/accounts/7");
  ASSERT_TRUE(router.impl().Match("GET", "/tools/bank", &match));
  EXPECT_EQ(match.raw_params[1], "");
}

TEST(Router, RejectsMalformedAndDuplicateTemplates) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/a/{id}", Ok()).ok());
  for (const char* bad : {"", "a/b", "/a/x{id}", "/a/{}", "/a/{id}/{id}", "/a/{rest...}/b"}) {
    Status status = router.Add("GET", bad, Ok());
    EXPECT_EQ(status.reason(), "http.route_invalid") << bad;
  }
  Status duplicate = router.Add("GET", "/a/{other}", Ok());
  EXPECT_EQ(duplicate.reason(), "http.route_invalid");
  EXPECT_NE(duplicate.message().find("duplicate"), std::string::npos);
  EXPECT_EQ(router.Add("GE T", "/b", Ok()).reason(), "http.route_invalid");
}

TEST(Wire, WritesResponseHeadWithFramingAndConnection) {
  std::string out;
  Response response = Response::Json(201, "{}");
  response.headers.emplace_back("Location", "/v1/tasks/t1");
  response.headers.emplace_back("Content-Length", "999");  // framing is the server's
  ASSERT_TRUE(internal::AppendResponseHead(response, false, false, 2, &out));
  EXPECT_EQ(out,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /v1/tasks/t1\r\n"
            "Content-Length: 2\r\nConnection: close\r\n\r\n");
  out.clear();
  ASSERT_TRUE(internal::AppendResponseHead(Response::NoContent(), true, true, 0, &out));
  EXPECT_EQ(out, "HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n");
  Response evil = Response::Text(200, "");
  evil.headers.emplace_back("X", "a\nb");
  out.clear();
  EXPECT_FALSE(internal::AppendResponseHead(evil, false, true, 0, &out));
}

TEST(Wire, FormatsServerSentEvents) {
  SseEvent event;
  event.id = "42";
  event.event = "revocation";
  event.data = "line one\nline two\r\nthree";
  event.retry_ms = 1500;
  EXPECT_EQ(internal::FormatSseEvent(event),
            "id: 42\nevent: revocation\nretry: 1500\ndata: line one\ndata: line two\n"
            "data: three\n\n");
  SseEvent injected;
  injected.id = "1\ndata: forged";
  injected.data = "";
  EXPECT_EQ(internal::FormatSseEvent(injected), "id: 1data: forged\ndata: \n\n");
  std::string chunk;
  internal::AppendChunk("hello world", &chunk);
  EXPECT_EQ(chunk, "b\r\nhello world\r\n");
}

}  // namespace
}  // namespace mandate::http

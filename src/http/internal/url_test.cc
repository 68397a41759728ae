#include "src/http/internal/url.h"

#include <gtest/gtest.h>

#include "src/http/message.h"

namespace mandate::http::internal {
namespace {

TEST(ParseUrl, SplitsHttpsUrlWithDefaultPort) {
  auto url = ParseUrl("https://issuer.example/.well-known/openid-configuration?x=1");
  ASSERT_TRUE(url.has_value()) << url.error().ToString();
  EXPECT_TRUE(url->endpoint.tls);
  EXPECT_EQ(url->endpoint.host, "issuer.example");
  EXPECT_EQ(url->endpoint.port, 443);
  EXPECT_EQ(url->target, "/.well-known/openid-configuration?x=1");
  EXPECT_EQ(url->endpoint.HostHeader(), "issuer.example");
}

TEST(ParseUrl, KeepsExplicitPortAndDefaultsPath) {
  auto url = ParseUrl("http://127.0.0.1:8181");
  ASSERT_TRUE(url.has_value());
  EXPECT_FALSE(url->endpoint.tls);
  EXPECT_EQ(url->endpoint.port, 8181);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->endpoint.HostHeader(), "127.0.0.1:8181");
  EXPECT_EQ(url->endpoint.Key(), "http://127.0.0.1:8181");
}

TEST(ParseUrl, StripsIpv6Brackets) {
  auto url = ParseUrl("http://[::1]:9000/x");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->endpoint.host, "::1");
  EXPECT_EQ(url->endpoint.HostHeader(), "[::1]:9000");
}

TEST(ParseUrl, RejectsHostileAndUnsupportedUrls) {
  for (const char* bad :
       {"", "ftp://x/", "http://", "/relative", "http://user:pw@host/", "http://host:0/",
        "http://host:70000/", "http://host:12ab/", "http://ho st/", "https://host/\r\nX: y"}) {
    auto url = ParseUrl(bad);
    ASSERT_FALSE(url.has_value()) << bad;
    EXPECT_EQ(url.error().reason(), "http.client.bad_url") << bad;
  }
}

TEST(PercentDecode, DecodesAndRejectsMalformedEscapes) {
  EXPECT_EQ(*PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(*PercentDecode("a%2Fb+c", false), "a/b+c");
  for (const char* bad : {"%", "%2", "%zz", "a%g0"}) {
    auto decoded = PercentDecode(bad, false);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().reason(), "http.bad_request");
  }
}

TEST(Message, ValidatesHeadersAndEscapesErrorJson) {
  EXPECT_TRUE(IsValidHeader("X-Api-Key", "abc def"));
  EXPECT_FALSE(IsValidHeader("X Api", "v"));
  EXPECT_FALSE(IsValidHeader("X", "a\r\nInjected: 1"));
  EXPECT_FALSE(IsValidHeader("", "v"));
  EXPECT_EQ(ErrorJson("http.not_found", "no route for `/a\"b`"),
            R"({"error":{"code":"http.not_found","message":"no route for `/a\"b`"}})");
  HeaderList headers{{"Content-Type", "a"}, {"content-type", "b"}};
  EXPECT_EQ(FindHeader(headers, "CONTENT-TYPE"), "a");
  EXPECT_FALSE(FindHeader(headers, "x").has_value());
}

}  // namespace
}  // namespace mandate::http::internal

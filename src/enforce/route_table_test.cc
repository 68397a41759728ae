#include "src/enforce/route_table.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mandate::enforce {
namespace {

RouteTable Tracker() {
  SystemRoutes tracker;
  tracker.name = "tracker";
  tracker.routes = {
      {"GET", "/issues/{id}", "read_issue", "issues/{id}", false, {{"id", ArgType::kLong}}},
      {"POST", "/issues", "create_issue", "issues", true, {}},
      {"GET", "/files/{path*}", "read_file", "files/{path}", false, {}},
      {"*", "/ping", "ping", "", false, {}},
  };
  SystemRoutes bank;
  bank.name = "bank";
  bank.prefix = "/api/bank";
  bank.routes = {
      {"POST", "/accounts/{account}/payments", "send_money", "accounts/{account}", true, {}}};
  auto table = RouteTable::Build({tracker, bank});
  EXPECT_TRUE(table) << table.error().ToString();
  return std::move(*table);
}

TEST(RouteTable, MapsPathParamsToResourceAndTypedArgs) {
  RouteTable table = Tracker();
  auto m = table.Match("GET", "/tracker/issues/42?verbose=yes");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->system, "tracker");
  EXPECT_EQ(m->action, "read_issue");
  EXPECT_EQ(m->resource, "issues/42");
  EXPECT_EQ(m->args.at("id").as_int64(), 42);
  EXPECT_EQ(m->args.at("verbose").as_string(), "yes");
  EXPECT_EQ(m->upstream_target, "/issues/42?verbose=yes");
}

TEST(RouteTable, BodyMembersBecomeArgsWithTheirJsonTypes) {
  RouteTable table = Tracker();
  auto m =
      table.Match("POST", "/api/bank/accounts/a%201/payments", R"({"amount":100,"to":"acme"})");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->system, "bank");
  EXPECT_EQ(m->resource, "accounts/a 1");
  EXPECT_EQ(m->args.at("amount").as_int64(), 100);
  EXPECT_EQ(m->args.at("to").as_string(), "acme");
  EXPECT_EQ(m->upstream_target, "/accounts/a%201/payments");
}

TEST(RouteTable, GreedyParameterTakesTheRest) {
  RouteTable table = Tracker();
  auto m = table.Match("GET", "/tracker/files/a/b/c.txt");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->resource, "files/a/b/c.txt");
  EXPECT_FALSE(table.Match("GET", "/tracker/files"));
}

TEST(RouteTable, UnknownRouteOrMethodIsNeverAllowed) {
  RouteTable table = Tracker();
  auto m = table.Match("DELETE", "/tracker/issues/1");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason(), "route.unknown");
  EXPECT_EQ(table.Match("GET", "/nosuch/x").error().reason(), "route.unknown");
  EXPECT_EQ(table.Match("GET", "/tracker/issues/1/extra").error().reason(), "route.unknown");
  EXPECT_TRUE(table.Match("PATCH", "/tracker/ping"));
}

TEST(RouteTable, RejectsAmbiguousTargets) {
  RouteTable table = Tracker();
  for (const char* target :
       {"/tracker/files/../secrets", "/tracker/files/%2e%2e/x", "/tracker//issues/1",
        "/tracker/files/a%2Fb", "/tracker/files/a\\b", "/tracker/issues/1?x=1&x=2",
        "/tracker/issues/%zz", "/tracker/issues/1%00", "tracker/issues/1", "/tracker/files/./a"}) {
    auto m = table.Match("GET", target);
    ASSERT_FALSE(m) << target;
    EXPECT_EQ(m.error().reason(), "route.target_invalid") << target;
  }
}

TEST(RouteTable, RejectsBadArguments) {
  RouteTable table = Tracker();
  EXPECT_EQ(table.Match("GET", "/tracker/issues/abc").error().reason(), "route.args_invalid");
  EXPECT_EQ(table.Match("GET", "/tracker/issues/1?id=2").error().reason(), "route.args_invalid");
  EXPECT_EQ(table.Match("POST", "/tracker/issues", "[1]").error().reason(), "route.args_invalid");
  EXPECT_EQ(table.Match("POST", "/tracker/issues", R"({"a":1,"a":2})").error().reason(),
            "route.args_invalid");
  EXPECT_EQ(table.Match("POST", "/tracker/issues?a=1", R"({"a":1})").error().reason(),
            "route.args_invalid");
}

// A body the route does not decide never reaches the upstream unannounced: without `body_args`
// the route must say `opaque_body` for a body to pass (and then its bytes are not arguments).
TEST(RouteTable, BodyOnARouteThatDecidesNoBodyIsRefusedUnlessOpaque) {
  RouteTable table = Tracker();
  auto refused = table.Match("GET", "/tracker/issues/7", R"({"amount":1000000})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason(), "route.body_undecided");
  EXPECT_EQ(refused.error().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.error().message().find("GET /issues/{id}"), std::string::npos);
  EXPECT_TRUE(table.Match("GET", "/tracker/issues/7", ""));  // no body: nothing undecided

  SystemRoutes files;
  files.name = "files";
  Route upload{"PUT", "/blobs/{name}", "upload", "blobs/{name}", false, {}};
  upload.opaque_body = true;
  files.routes = {upload};
  auto opaque = RouteTable::Build({files});
  ASSERT_TRUE(opaque) << opaque.error().ToString();
  auto m = opaque->Match("PUT", "/files/blobs/a.bin", "not json at all");
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->args.size(), 1u);  // the path parameter only: the body is not an argument
}

TEST(RouteTable, BuildRejectsBadTemplates) {
  auto build = [](Route route) {
    SystemRoutes s;
    s.name = "s";
    s.routes = {std::move(route)};
    return RouteTable::Build({s});
  };
  EXPECT_EQ(build({"GET", "issues", "a", "", false, {}}).error().reason(), "config.route_invalid");
  EXPECT_EQ(build({"GET", "/{a*}/x", "a", "", false, {}}).error().reason(), "config.route_invalid");
  EXPECT_EQ(build({"GET", "/{a}/{a}", "a", "", false, {}}).error().reason(),
            "config.route_invalid");
  EXPECT_EQ(build({"GET", "/x", "a", "r/{nope}", false, {}}).error().reason(),
            "config.route_invalid");
  EXPECT_EQ(build({"GET", "/x", "", "", false, {}}).error().reason(), "config.route_invalid");
  Route both{"POST", "/x", "a", "", true, {}};
  both.opaque_body = true;
  EXPECT_EQ(build(both).error().reason(), "config.route_invalid");
  SystemRoutes a{"a", "/p", {}};
  SystemRoutes b{"b", "/p", {}};
  EXPECT_EQ(RouteTable::Build({a, b}).error().reason(), "config.route_invalid");
}

}  // namespace
}  // namespace mandate::enforce

// Every operator and extension function, including their error cases.
#include <gtest/gtest.h>

#include "src/cedar/cedar.h"

namespace mandate::cedar {
namespace {

constexpr const char* kEntities = R"([
  {"uid":{"type":"User","id":"alice"},"attrs":{"age":30,"name":"alice","tags":["a","b"],
    "boss":{"__entity":{"type":"User","id":"bob"}},"rec":{"x":{"y":1}}},
   "parents":[{"type":"Group","id":"eng"}],"tags":{"env":"prod"}},
  {"uid":{"type":"Group","id":"eng"},"attrs":{},"parents":[{"type":"Group","id":"all"}]},
  {"uid":{"type":"NS::Tool","id":"t"},"attrs":{},"parents":[]}
])";

class EvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = EntitiesFromJson(kEntities);
    ASSERT_TRUE(e) << e.error().ToString();
    entities_ = *e;
    request_.principal = EntityUid("User", "alice");
    request_.action = EntityUid("Action", "read");
    request_.resource = EntityUid("NS::Tool", "t");
    auto ctx =
        ContextFromJson(R"({"n":5,"s":"hello","ip":{"__extn":{"fn":"ip","arg":"10.1.2.3"}}})");
    ASSERT_TRUE(ctx);
    request_.context = *ctx;
  }
  Result<Value> Eval(std::string_view text) {
    auto e = ParseExpression(text);
    if (!e) return tl::unexpected<Status>(e.error());
    return Authorizer::Evaluate(**e, request_, entities_);
  }
  // Expects the expression to evaluate to `true`.
  void True(std::string_view text) {
    auto v = Eval(text);
    ASSERT_TRUE(v) << text << ": " << v.error().ToString();
    ASSERT_TRUE(v->is_bool()) << text;
    EXPECT_TRUE(v->as_bool()) << text;
  }
  void False(std::string_view text) {
    auto v = Eval(text);
    ASSERT_TRUE(v) << text << ": " << v.error().ToString();
    ASSERT_TRUE(v->is_bool()) << text;
    EXPECT_FALSE(v->as_bool()) << text;
  }
  void Error(std::string_view text, std::string_view fragment) {
    auto v = Eval(text);
    ASSERT_FALSE(v) << text << " evaluated to " << ValueToString(*v);
    EXPECT_EQ(v.error().reason(), "cedar.eval") << text;
    EXPECT_NE(v.error().message().find(fragment), std::string::npos)
        << text << ": " << v.error().message();
  }
  Entities entities_;
  Request request_;
};

TEST_F(EvalTest, EqualityAcrossTypesIsFalseNotAnError) {
  True("1 == 1");
  False("1 == \"1\"");
  True("[1, 2, 2] == [2, 1]");
  True("{a: 1, b: [true]} == {b: [true], a: 1}");
  True("User::\"alice\" == principal");
  False("User::\"alice\" == Group::\"alice\"");
  True("1 != 2");
  True("ip(\"10.0.0.1\") == ip(\"10.0.0.1\")");
  False("ip(\"10.0.0.1/24\") == ip(\"10.0.0.2/24\")");
  True("decimal(\"1.50\") == decimal(\"1.5\")");
}

TEST_F(EvalTest, ComparisonsRequireLongsOrTimes) {
  True("1 < 2");
  True("2 <= 2");
  False("1 > 2");
  True("3 >= -3");
  Error("\"a\" < \"b\"", "type error");
  Error("decimal(\"1.0\") < decimal(\"2.0\")", "type error");
  True("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")");
  True("duration(\"1h\") > duration(\"59m\")");
  Error("duration(\"1h\") > datetime(\"2024-01-01\")", "type error");
}

TEST_F(EvalTest, ArithmeticIsCheckedI64) {
  True("1 + 2 * 3 == 7");
  True("-9223372036854775808 < 0");
  True("9223372036854775807 - 1 == 9223372036854775806");
  Error("9223372036854775807 + 1", "overflow");
  Error("-9223372036854775808 - 1", "overflow");
  Error("4611686018427387904 * 2", "overflow");
  Error("-(-9223372036854775808)", "overflow");
  True("--1 == 1");
  Error("1 + \"a\"", "type error");
}

TEST_F(EvalTest, LogicShortCircuitsAndDemandsBools) {
  False("false && (1 + \"a\" == 2)");
  True("true || (1 + \"a\" == 2)");
  Error("true && 1", "type error");
  Error("1 || true", "type error");
  Error("!1", "type error");
  True("!false");
  True("if 1 < 2 then true else 1 + \"x\"");
  Error("if 1 then true else false", "type error");
}

TEST_F(EvalTest, InUsesTheHierarchyAndSets) {
  True("principal in Group::\"eng\"");
  True("principal in Group::\"all\"");
  True("principal in principal");
  False("principal in NS::Tool::\"t\"");
  True("principal in [NS::Tool::\"t\", Group::\"all\"]");
  False("User::\"nobody\" in Group::\"eng\"");
  True("User::\"nobody\" in User::\"nobody\"");
  Error("principal in [1]", "type error");
  Error("1 in Group::\"eng\"", "type error");
}

TEST_F(EvalTest, AttributesHasAndDottedHas) {
  True("principal.age == 30");
  True("principal[\"name\"] == \"alice\"");
  True("principal.boss == User::\"bob\"");
  Error("principal.boss.age", "does not exist");
  Error("principal.missing", "does not have the attribute");
  True("principal has age");
  False("principal has missing");
  False("User::\"nobody\" has age");
  True("principal has rec.x.y");
  False("principal has rec.x.z");
  False("principal has missing.x");
  True("context has s");
  Error("1 has a", "type error");
  Error("context.nope", "does not have the attribute");
}

TEST_F(EvalTest, LikeWithWildcardsAndEscapes) {
  True("\"hello\" like \"h*o\"");
  True("\"hello\" like \"*\"");
  True("\"\" like \"*\"");
  False("\"hello\" like \"h*x\"");
  True("\"a*b\" like \"a\\*b\"");
  False("\"axb\" like \"a\\*b\"");
  True("\"abcabc\" like \"*abc\"");
  True("\"aaa\" like \"a*a*a\"");
  False("\"aa\" like \"a*a*a\"");
  Error("1 like \"*\"", "type error");
}

TEST_F(EvalTest, IsChecksTheEntityType) {
  True("principal is User");
  True("resource is NS::Tool");
  False("resource is Tool");
  True("principal is User in Group::\"all\"");
  False("principal is Group in Group::\"all\"");
  Error("1 is User", "type error");
}

TEST_F(EvalTest, SetMethods) {
  True("[1, 2].contains(1)");
  False("[1, 2].contains(\"1\")");
  True("[1, 2, 3].containsAll([1, 3])");
  False("[1, 2].containsAll([1, 4])");
  True("[1, 2].containsAny([4, 2])");
  False("[].containsAny([1])");
  True("[].containsAll([])");
  True("[].isEmpty()");
  False("principal.tags.isEmpty()");
  Error("1.contains(1)", "type error");
  Error("[1].containsAll(1)", "type error");
}

TEST_F(EvalTest, Tags) {
  True("principal.hasTag(\"env\")");
  False("principal.hasTag(\"nope\")");
  True("principal.getTag(\"env\") == \"prod\"");
  Error("principal.getTag(\"nope\")", "does not have the tag");
  False("User::\"ghost\".hasTag(\"env\")");
  Error("User::\"ghost\".getTag(\"env\")", "does not exist");
  Error("principal.hasTag(1)", "type error");
}

TEST_F(EvalTest, IpAddresses) {
  True("ip(\"127.0.0.1\").isLoopback()");
  True("ip(\"::1\").isLoopback()");
  True("ip(\"127.0.0.0/8\").isLoopback()");
  False("ip(\"0.0.0.0/0\").isLoopback()");
  True("ip(\"224.1.2.3\").isMulticast()");
  True("ip(\"ff02::1\").isMulticast()");
  True("ip(\"10.0.0.1\").isIpv4()");
  True("ip(\"2001:db8::1\").isIpv6()");
  True("context.ip.isInRange(ip(\"10.0.0.0/8\"))");
  False("ip(\"10.0.0.0/8\").isInRange(ip(\"10.0.0.0/16\"))");
  False("ip(\"::1\").isInRange(ip(\"0.0.0.0/0\"))");
  Error("ip(\"01.2.3.4\")", "invalid ip address");
  Error("ip(\"::ffff:1.2.3.4\")", "embedded");
  Error("ip(\"1.2.3.4/33\")", "prefix");
  Error("ip(\"1:2:3:4:5:6:7:8::\")", "invalid ip");
  Error("ip(\"1.2.3.4/01\")", "prefix");
  Error("ip(1)", "type error");
  Error("ip(\"1.1.1.1\").isIpv4(1)", "wrong number of arguments");
}

TEST_F(EvalTest, Decimals) {
  True("decimal(\"1.23\").lessThan(decimal(\"1.24\"))");
  True("decimal(\"-1.0\").lessThanOrEqual(decimal(\"-1.0\"))");
  True("decimal(\"922337203685477.5807\").greaterThan(decimal(\"0.0\"))");
  True("decimal(\"-922337203685477.5808\").lessThan(decimal(\"0.0\"))");
  True("decimal(\"2.0\").greaterThanOrEqual(decimal(\"2.0000\"))");
  Error("decimal(\"922337203685477.5808\")", "overflow");
  Error("decimal(\"1.12345\")", "too many digits");
  Error("decimal(\"1.\")", "well-formed");
  Error("decimal(\"+1.0\")", "well-formed");
  Error("decimal(\"1.0\").lessThan(1)", "type error");
}

TEST_F(EvalTest, DatetimesAndDurations) {
  True("datetime(\"2024-01-01T00:00:00+0100\") < datetime(\"2024-01-01\")");
  True("datetime(\"1969-12-31T23:00:00Z\").toDate() == datetime(\"1969-12-31\")");
  True("datetime(\"1969-12-31T23:00:00Z\").toTime() == duration(\"23h\")");
  True("datetime(\"2024-02-29\").offset(duration(\"1d\")) == datetime(\"2024-03-01\")");
  True("datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")) == duration(\"24h\")");
  True("duration(\"-1d1h\").toDays() == -1");
  True("duration(\"1d2h3m4s5ms\").toMilliseconds() == 93784005");
  True("duration(\"90m\").toHours() == 1");
  True("duration(\"90s\").toMinutes() == 1");
  True("duration(\"1500ms\").toSeconds() == 1");
  True("duration(\"-9223372036854775808ms\") < duration(\"0ms\")");
  Error("datetime(\"2023-02-29\")", "invalid datetime");
  Error("datetime(\"2024-01-01T24:00:00Z\")", "invalid datetime");
  Error("datetime(\"2024-01-01T00:00:00+2400\")", "invalid datetime");
  Error("duration(\"1h1d\")", "invalid duration");
  Error("duration(\"\")", "invalid duration");
  Error("duration(\"9223372036854775808ms\")", "overflow");
  Error("duration(\"106751991167301d\")", "overflow");
  Error("datetime(\"2024-01-01\").offset(duration(\"9223372036854775807ms\"))", "overflow");
  Error("datetime(\"2024-01-01\").toDays()", "type error");
}

TEST_F(EvalTest, RecordsAndSetsAreValues) {
  True("{a: 1}.a == 1");
  Error("{a: 1}.b", "does not have the attribute");
  True("[1, [2, 3]].contains([3, 2])");
  True("{\"x y\": 1}[\"x y\"] == 1");
}

TEST(WildcardTest, PathologicalPatternsStayFast) {
  // A backtracking matcher is exponential here; ours is linear in the text per literal.
  std::string text(20000, 'a');
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "a*";
  pattern += "b";
  auto e = ParseExpression("\"" + text + "\" like \"" + pattern + "\"");
  ASSERT_TRUE(e);
  Request r;
  auto v = Authorizer::Evaluate(**e, r, Entities());
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->as_bool());
}

}  // namespace
}  // namespace mandate::cedar

// Parse errors with positions, every limit, the formatter and EST round trips.
#include <gtest/gtest.h>

#include "src/cedar/cedar.h"
#include "src/json/json.h"

namespace mandate::cedar {
namespace {

std::vector<Diagnostic> Errors(std::string_view text, const Limits& limits = {}) {
  std::vector<Diagnostic> diags;
  auto set = ParsePolicies(text, limits, &diags);
  EXPECT_FALSE(set) << text;
  if (!set) {
    EXPECT_EQ(set.error().reason(), "cedar.parse");
  }
  return diags;
}

TEST(ParserTest, IdsFollowTextualOrderAndAnnotationsAreKept) {
  auto set = ParsePolicies(R"(
    @id("first") @advice permit(principal, action, resource);
    // a comment
    forbid(principal, action, resource) unless { true };
  )");
  ASSERT_TRUE(set) << set.error().ToString();
  ASSERT_EQ(set->policies().size(), 2u);
  EXPECT_EQ(set->policies()[0].id, "policy0");
  EXPECT_EQ(set->policies()[1].id, "policy1");
  EXPECT_EQ(set->policies()[0].annotations,
            (std::vector<std::pair<std::string, std::string>>{{"id", "first"}, {"advice", ""}}));
}

TEST(ParserTest, ErrorsCarryLineColumnAndWhatWasExpected) {
  auto d = Errors("permit(principal, action, resource)\nwhen { 1 + };");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].line, 2u);
  EXPECT_EQ(d[0].column, 12u);
  EXPECT_NE(d[0].message.find("expected"), std::string::npos) << d[0].message;

  d = Errors("permit(principal, action)");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("`,`"), std::string::npos) << d[0].message;
}

TEST(ParserTest, CollectsOneErrorPerBrokenPolicy) {
  auto d = Errors(
      "permit(principal, action, resource) when { x };\n"
      "permit(principal, action, resource);\n"
      "forbid(principal, action, resource) when { 1 < 2 < 3 };\n"
      "permit(principal == ?resource, action, resource);\n");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].line, 1u);
  EXPECT_NE(d[0].message.find("invalid variable"), std::string::npos);
  EXPECT_EQ(d[1].line, 3u);
  EXPECT_NE(d[1].message.find("multiple relational operators"), std::string::npos);
  EXPECT_EQ(d[2].line, 4u);
  EXPECT_NE(d[2].message.find("slot"), std::string::npos);
}

TEST(ParserTest, RejectsWhatCedarRejects) {
  for (const char* bad : {
           "permit(principal, action, resource) when { principal.if };",
           "permit(principal, action, resource) when { {if: 1} };",
           "permit(principal, action is Action, resource);",
           "permit(principal, action, resource) when { principal == ?principal };",
           "@a(\"1\") @a(\"2\") permit(principal, action, resource);",
           "permit(principal, action, resource) when { foo(1) };",
           "permit(principal, action, resource) when { lessThan(1, 2) };",
           "permit(principal, action, resource) when { 1.foo() };",
           "permit(principal, action, resource) when { [1].contains(1, 2) };",
           "permit(principal, action, resource) when { -----1 == 1 };",
           "permit(principal, action, resource) when { 9223372036854775808 };",
           "permit(principal, action, resource) when { \"\\q\" };",
           "permit(principal, action, resource) when { \"\\u{110000}\" };",
           "permit(principal, action, resource) when { \"\\x80\" };",
           "permit(principal, action, resource) when { __cedar::ip(\"1.1.1.1\") };",
           "permit(principal, action, resource) when { 1 + if true then 1 else 2 };",
           "permit(principal, action, resource) when { };",
           "permit(principal, action, resource) when { {a: 1, a: 2} };",
           "permit(principal, action, resource) when { principal has \"a\".b };",
           "permit(principal, action, resource)",
           "allow(principal, action, resource);",
       }) {
    EXPECT_FALSE(ParsePolicies(bad)) << bad;
  }
  EXPECT_TRUE(
      ParsePolicies("permit(principal, action, resource) when { -9223372036854775808 < 0 };"));
  EXPECT_TRUE(ParsePolicies(
      "permit(principal, action, resource) when { [1,].isEmpty() && {a:1,}.a == 1 };"));
  EXPECT_TRUE(ParsePolicies("@if(\"x\") permit(principal, action in [], resource);"));
}

TEST(ParserTest, LimitsAreEnforced) {
  Limits limits;
  limits.max_policy_text_bytes = 64;
  auto d = Errors(std::string(100, ' '), limits);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("exceeds the limit"), std::string::npos);

  // Deep nesting: parentheses, unary chains and long operator chains all count.
  std::string deep = "permit(principal, action, resource) when { " + std::string(5000, '(') +
                     "true" + std::string(5000, ')') + " };";
  d = Errors(deep);
  ASSERT_FALSE(d.empty());
  EXPECT_NE(d[0].message.find("nesting"), std::string::npos) << d[0].message;
  std::string chain = "permit(principal, action, resource) when { true";
  for (int i = 0; i < 5000; ++i) chain += " && true";
  d = Errors(chain + " };");
  ASSERT_FALSE(d.empty());
  EXPECT_NE(d[0].message.find("nesting"), std::string::npos);
  std::string attrs = "permit(principal, action, resource) when { context";
  for (int i = 0; i < 5000; ++i) attrs += ".a";
  EXPECT_FALSE(ParsePolicies(attrs + " };"));

  limits = Limits();
  limits.max_literal_bytes = 16;
  d = Errors("permit(principal, action, resource) when { \"" + std::string(17, 'x') + "\" };",
             limits);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("string literal exceeds"), std::string::npos);
  limits.max_set_elements = 3;
  EXPECT_FALSE(
      ParsePolicies("permit(principal, action, resource) when { [1,2,3,4] == [] };", limits));

  limits = Limits();
  limits.max_policies = 2;
  d = Errors(
      "permit(principal, action, resource); forbid(principal, action, resource);"
      "permit(principal, action, resource);",
      limits);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("too many policies"), std::string::npos);

  d = Errors("permit(principal, action, resource) when { \"\xff\" };");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("utf-8"), std::string::npos);
  EXPECT_EQ(d[0].column, 45u);  // the byte after `when { "`
}

TEST(ParserTest, FormatterAndEstRoundTrip) {
  const char* text = R"(
    @id("x") permit(principal is User in Group::"g", action in [Action::"a", Action::"b"], resource)
    when { (1 + 2) * 3 == 9 && !(context.a has b) || principal.x like "a\*b*" }
    unless { if context.n > -1 then resource is NS::T in context.s else [1, {a: ip("1.2.3.4")}].isEmpty() };
    forbid(principal == ?principal, action == Action::"a", resource is R in ?resource)
    when { -(-1) == 1 && decimal("1.5").lessThan(context.d) && datetime("2024-01-01").offset(duration("1h")) > context.t && principal.getTag("k") == context["x y"] };
  )";
  auto set = ParsePolicies(text);
  ASSERT_TRUE(set) << set.error().ToString();
  std::string formatted = FormatPolicySet(*set);
  auto reparsed = ParsePolicies(formatted);
  ASSERT_TRUE(reparsed) << reparsed.error().ToString() << "\n" << formatted;
  EXPECT_EQ(FormatPolicySet(*reparsed), formatted);
  for (const Policy& p : set->policies()) {
    auto est = PolicyToEst(p);
    auto back = PolicyFromEst(est, p.id);
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(FormatPolicy(*back), FormatPolicy(p));
    EXPECT_EQ(json::Serialize(PolicyToEst(*back)), json::Serialize(est));
  }
}

TEST(ParserTest, EstRejectsMalformedInput) {
  for (
      const char* bad : {
          R"({"effect":"allow","principal":{"op":"All"},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[]})",
          R"({"effect":"permit","principal":{"op":"=="},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[]})",
          R"({"effect":"permit","principal":{"op":"All"},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[{"kind":"when","body":{"Nope":1}}]})",
          R"({"effect":"permit","principal":{"op":"All"},"action":{"op":"All"},"resource":{"op":"All"},"conditions":[{"kind":"when","body":{"==":{"left":{"Value":1}}}}]})",
          R"({"effect":"permit","principal":{"op":"All"},"action":{"op":"All"},"resource":{"op":"All"},"extra":1})",
      }) {
    auto j = json::Parse(bad);
    ASSERT_TRUE(j) << bad;
    auto p = PolicyFromEst(*j, "p");
    EXPECT_FALSE(p) << bad;
    if (!p) {
      EXPECT_EQ(p.error().reason(), "cedar.est");
    }
  }
}

}  // namespace
}  // namespace mandate::cedar

// Decisions over policy sets: forbid overrides permit, errors skip a policy, templates and
// linking, and the scope index returning exactly what a full scan would.
#include <gtest/gtest.h>

#include "src/cedar/cedar.h"

namespace mandate::cedar {
namespace {

constexpr const char* kEntities = R"([
  {"uid":{"type":"Agent","id":"a1"},"attrs":{"level":3},"parents":[{"type":"Team","id":"ops"}]},
  {"uid":{"type":"Team","id":"ops"},"attrs":{},"parents":[]},
  {"uid":{"type":"Tool","id":"pay"},"attrs":{"risk":5},"parents":[{"type":"Box","id":"fin"}]},
  {"uid":{"type":"Action","id":"call"},"attrs":{},"parents":[{"type":"Action","id":"any"}]}
])";

Response Decide(std::string_view policies, std::string_view context = "{}",
                std::string principal = "a1") {
  auto set = ParsePolicies(policies);
  EXPECT_TRUE(set) << set.error().ToString();
  auto authorizer = Authorizer::Build(*set);
  EXPECT_TRUE(authorizer) << authorizer.error().ToString();
  auto entities = EntitiesFromJson(kEntities);
  EXPECT_TRUE(entities) << entities.error().ToString();
  Request r{EntityUid("Agent", principal), EntityUid("Action", "call"), EntityUid("Tool", "pay"),
            *ContextFromJson(context)};
  return (*authorizer)->Authorize(r, *entities);
}

std::vector<std::string> ErrorIds(const Response& r) {
  std::vector<std::string> ids;
  for (const auto& e : r.errors) ids.push_back(e.policy_id);
  return ids;
}

TEST(AuthorizerTest, DefaultDenyWithNoPolicies) {
  Response r = Decide("");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_TRUE(r.reasons.empty());
}

TEST(AuthorizerTest, ForbidOverridesPermit) {
  Response r = Decide(R"(
    permit(principal, action, resource);
    forbid(principal in Team::"ops", action, resource) when { resource.risk > principal.level };
    permit(principal == Agent::"a1", action == Action::"call", resource);
  )");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_EQ(r.reasons, std::vector<std::string>{"policy1"});
  EXPECT_TRUE(r.errors.empty());
}

TEST(AuthorizerTest, PermitWinsWhileAnotherPolicyErrors) {
  Response r = Decide(R"(
    forbid(principal, action, resource) when { context.missing };
    permit(principal, action in Action::"any", resource in Box::"fin");
    permit(principal, action, resource) when { 9223372036854775807 + principal.level > 0 };
  )");
  EXPECT_EQ(r.decision, Decision::kAllow);
  EXPECT_EQ(r.reasons, std::vector<std::string>{"policy1"});
  EXPECT_EQ(ErrorIds(r), (std::vector<std::string>{"policy0", "policy2"}));
}

TEST(AuthorizerTest, ErroringForbidDoesNotDeny) {
  Response r = Decide(R"(
    permit(principal, action, resource);
    forbid(principal, action, resource) when { principal.nope == 1 };
  )");
  EXPECT_EQ(r.decision, Decision::kAllow);
  EXPECT_EQ(ErrorIds(r), std::vector<std::string>{"policy1"});
}

TEST(AuthorizerTest, UnlessAndMultipleConditions) {
  EXPECT_EQ(
      Decide("permit(principal, action, resource) when { context.ok } unless { context.bad };",
             R"({"ok": true, "bad": false})")
          .decision,
      Decision::kAllow);
  EXPECT_EQ(
      Decide("permit(principal, action, resource) when { context.ok } unless { context.bad };",
             R"({"ok": true, "bad": true})")
          .decision,
      Decision::kDeny);
  // A false condition stops evaluation: the erroring second one is never reached.
  Response r = Decide("permit(principal, action, resource) when { false } when { 1 + true };");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_TRUE(r.errors.empty());
}

TEST(AuthorizerTest, ScopeForms) {
  EXPECT_EQ(Decide("permit(principal is Agent in Team::\"ops\", action in [Action::\"x\", "
                   "Action::\"any\"], resource is Tool);")
                .decision,
            Decision::kAllow);
  EXPECT_EQ(Decide("permit(principal is Team, action, resource);").decision, Decision::kDeny);
  EXPECT_EQ(Decide("permit(principal, action == Action::\"any\", resource);").decision,
            Decision::kDeny);
  EXPECT_EQ(Decide("permit(principal, action in [], resource);").decision, Decision::kDeny);
  // A principal that is not in the store matches only `==` on itself.
  EXPECT_EQ(Decide("permit(principal in Team::\"ops\", action, resource);", "{}", "ghost").decision,
            Decision::kDeny);
  EXPECT_EQ(
      Decide("permit(principal == Agent::\"ghost\", action, resource);", "{}", "ghost").decision,
      Decision::kAllow);
}

TEST(AuthorizerTest, TemplatesAndLinking) {
  auto set = ParsePolicies(R"(
    permit(principal == ?principal, action, resource in ?resource) when { context.ok };
    permit(principal, action, resource) when { false };
  )");
  ASSERT_TRUE(set) << set.error().ToString();
  ASSERT_EQ(set->templates().size(), 1u);
  EXPECT_EQ(set->templates()[0].id, "policy0");
  EXPECT_EQ(set->policies()[0].id, "policy1");
  // Missing, extra and unknown slots are rejected.
  EXPECT_EQ(set->Link("policy0", "l0", {{SlotId::kPrincipal, EntityUid("Agent", "a1")}}).reason(),
            "cedar.link");
  EXPECT_EQ(set->Link("nope", "l0", {}).reason(), "cedar.link");
  EXPECT_EQ(set->Link("policy1", "l0", {{SlotId::kPrincipal, EntityUid("Agent", "a1")}}).reason(),
            "cedar.link");
  ASSERT_TRUE(set->Link("policy0", "link-a1",
                        {{SlotId::kPrincipal, EntityUid("Agent", "a1")},
                         {SlotId::kResource, EntityUid("Box", "fin")}})
                  .ok());
  ASSERT_TRUE(set->Link("policy0", "link-other",
                        {{SlotId::kPrincipal, EntityUid("Agent", "other")},
                         {SlotId::kResource, EntityUid("Box", "fin")}})
                  .ok());
  EXPECT_EQ(set->Link("policy0", "link-a1",
                      {{SlotId::kPrincipal, EntityUid("Agent", "a1")},
                       {SlotId::kResource, EntityUid("Box", "fin")}})
                .reason(),
            "cedar.link");
  auto authorizer = Authorizer::Build(*set);
  ASSERT_TRUE(authorizer);
  auto entities = EntitiesFromJson(kEntities);
  Request r{EntityUid("Agent", "a1"), EntityUid("Action", "call"), EntityUid("Tool", "pay"),
            RecordBuilder().Add("ok", Value::Bool(true)).Build()};
  Response resp = (*authorizer)->Authorize(r, *entities);
  EXPECT_EQ(resp.decision, Decision::kAllow);
  EXPECT_EQ(resp.reasons, std::vector<std::string>{"link-a1"});
  // Linked policies survive an EST round trip.
  auto again = PolicySetFromEst(PolicySetToEst(*set));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->policies().size(), 3u);
  ASSERT_NE(again->FindPolicy("link-other"), nullptr);
  EXPECT_EQ(again->FindPolicy("link-other")->principal.entity, EntityUid("Agent", "other"));
  EXPECT_EQ(FormatPolicy(again->templates()[0]), FormatPolicy(set->templates()[0]));
}

TEST(AuthorizerTest, IndexAgreesWithAFullScan) {
  // Many policies over many principals: every decision equals the unindexed evaluation.
  std::string text;
  for (int i = 0; i < 300; ++i) {
    std::string n = std::to_string(i);
    text += "permit(principal == Agent::\"a" + n + "\", action in [Action::\"call\", Action::\"x" +
            n + "\"], resource in Box::\"fin\") when { context.n == " + n + " };\n";
    if (i % 7 == 0)
      text += "forbid(principal in Team::\"ops\", action, resource == Tool::\"t" + n + "\");\n";
  }
  auto set = ParsePolicies(text);
  ASSERT_TRUE(set);
  auto authorizer = Authorizer::Build(*set);
  auto entities = EntitiesFromJson(kEntities);
  for (int i = 0; i < 300; i += 13) {
    for (const char* tool : {"pay", "t0", "t7"}) {
      Request r{EntityUid("Agent", "a" + std::to_string(i)), EntityUid("Action", "call"),
                EntityUid("Tool", tool), RecordBuilder().Add("n", Value::Long(i)).Build()};
      Response indexed = (*authorizer)->Authorize(r, *entities);
      std::vector<std::string> expected;
      for (const Policy& p : set->policies()) {
        auto one = ParsePolicies(FormatPolicy(p));
        auto single = Authorizer::Build(*one);
        if ((*single)->Authorize(r, *entities).decision == Decision::kAllow)
          expected.push_back(p.id);
      }
      if (std::string(tool) == "pay") {
        EXPECT_EQ(indexed.reasons, expected) << i;
        EXPECT_EQ(indexed.decision, expected.empty() ? Decision::kDeny : Decision::kAllow);
      }
    }
  }
}

TEST(AuthorizerTest, ContextBuiltWithoutJson) {
  Value context = RecordBuilder()
                      .Add("step", Value::String("pay"))
                      .Add("args", RecordBuilder().Add("amount", Value::Long(10)).Build())
                      .Add("tags", Value::SetOf({Value::String("a"), Value::String("b")}))
                      .Build();
  auto set = ParsePolicies(
      "permit(principal, action, resource) when { context.step == \"pay\" && "
      "context.args.amount < 100 && context.tags.contains(\"b\") };");
  auto authorizer = Authorizer::Build(*set);
  auto entities = EntitiesFromJson(kEntities);
  Request r{EntityUid("Agent", "a1"), EntityUid("Action", "call"), EntityUid("Tool", "pay"),
            context};
  EXPECT_EQ((*authorizer)->Authorize(r, *entities).decision, Decision::kAllow);
}

}  // namespace
}  // namespace mandate::cedar

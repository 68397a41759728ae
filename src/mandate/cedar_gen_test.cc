#include "src/mandate/cedar_gen.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mandate {
namespace {

constexpr const char* kMandate = R"(name: pay
version: "1"
owner: o
agents: [{spiffe_id: "spiffe://example.org/a"}]
systems: [{name: bank, kind: http, audience: bank}]
inputs: {payee: string, cap: {type: long, required: false}}
steps:
  - {id: check, system: bank, actions: GET, resources: /balance, reads: [financial]}
  - id: pay
    system: bank
    actions: POST
    resources: /payments
    args: {amount: long, to: string, memo: {type: string, required: false}}
    guard: |
      context.args.amount <= 1000 &&
      context.args.to == context.inputs.payee
order:
  next:
    check:
      - step: pay
        when: context.args.amount > 0
limits: {deadline: 5m, max_calls: 4}
policies:
  - id: no-weekend
    cedar: |
      @escalate("owner")
      forbid (principal, action == Action::"pay", resource)
      when { context.task.labels_read.contains("pii") };
      forbid (principal, action, resource) when { context.task.calls > 3 };
)";

std::string All(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.ToString() + "\n";
  return s;
}

TEST(CedarGenTest, SchemaAndPoliciesAreGenerated) {
  LoadResult r = LoadMandateText(kMandate, "pay.yaml");
  ASSERT_TRUE(r.ok()) << All(r);
  ASSERT_NE(r.mandate->cedar, nullptr);
  const MandateCedar& c = *r.mandate->cedar;
  EXPECT_NE(c.schema, nullptr);
  EXPECT_NE(c.schema_text.find(R"(type Inputs = {"payee": String, "cap"?: Long};)"),
            std::string::npos)
      << c.schema_text;
  EXPECT_NE(
      c.schema_text.find(R"(context: {args: {"amount": Long, "to": String, "memo"?: String})"),
      std::string::npos)
      << c.schema_text;
  std::vector<std::string> ids;
  for (const auto& p : c.policies.policies()) ids.push_back(p.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"step.check", "step.pay", "order.check.pay",
                                           "policy.no-weekend.0", "policy.no-weekend.1"}));
  const cedar::Policy* escalate = c.policies.FindPolicy("policy.no-weekend.0");
  ASSERT_NE(escalate, nullptr);
  ASSERT_EQ(escalate->annotations.size(), 1u);
  EXPECT_EQ(escalate->annotations[0].first, "escalate");
  EXPECT_EQ(c.policies.FindPolicy("order.check.pay")->effect, cedar::Effect::kForbid);
  EXPECT_NE(c.policies_text.find("@id(\"step.pay\")"), std::string::npos);
}

TEST(CedarGenTest, GuardSyntaxErrorPointsIntoTheMandate) {
  std::string text = kMandate;
  text.replace(text.find("context.args.amount <= 1000 &&"), 30, "context.args.amount <= 1000 &&&");
  LoadResult r = LoadMandateText(text, "pay.yaml");
  ASSERT_FALSE(r.ok());
  auto it = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                         [](const Diagnostic& d) { return d.code == "cedar.parse"; });
  ASSERT_NE(it, r.diagnostics.end()) << All(r);
  EXPECT_EQ(it->where.line, 15) << it->ToString();
  EXPECT_GE(it->where.column, 7);
  EXPECT_NE(it->message.find("step `pay`: guard"), std::string::npos);
}

TEST(CedarGenTest, PolicySyntaxErrorPointsIntoTheMandate) {
  std::string text = kMandate;
  text.replace(text.find("when { context.task.calls > 3 }"), 31, "when { context.task.calls > }");
  LoadResult r = LoadMandateText(text, "pay.yaml");
  ASSERT_FALSE(r.ok());
  auto it = std::find_if(r.diagnostics.begin(), r.diagnostics.end(),
                         [](const Diagnostic& d) { return d.code == "cedar.parse"; });
  ASSERT_NE(it, r.diagnostics.end()) << All(r);
  EXPECT_EQ(it->where.line, 29) << it->ToString();
  EXPECT_EQ(it->where.column, 72);
}

TEST(CedarGenTest, StrictValidationFindsTypeErrorsInGuards) {
  std::string text = kMandate;
  text.replace(text.find("context.args.amount <= 1000 &&"), 30,
               "context.args.amount == \"big\" &&");
  LoadResult r = LoadMandateText(text, "pay.yaml");
  ASSERT_FALSE(r.ok());
  auto it = std::find_if(r.diagnostics.begin(), r.diagnostics.end(), [](const Diagnostic& d) {
    return d.code.rfind("cedar.", 0) == 0 && d.severity == Severity::kError;
  });
  ASSERT_NE(it, r.diagnostics.end()) << All(r);
  EXPECT_EQ(it->where.line, 15) << it->ToString();
  EXPECT_NE(it->message.find("step `pay`: guard"), std::string::npos) << it->ToString();
}

TEST(CedarGenTest, StrictValidationFindsMisspeltAttributesInPolicies) {
  std::string text = kMandate;
  text.replace(text.find("context.task.calls > 3"), 22, "context.task.cals > 3");
  LoadResult r = LoadMandateText(text, "pay.yaml");
  ASSERT_FALSE(r.ok());
  auto it = std::find_if(r.diagnostics.begin(), r.diagnostics.end(), [](const Diagnostic& d) {
    return d.code.rfind("cedar.", 0) == 0 && d.severity == Severity::kError;
  });
  ASSERT_NE(it, r.diagnostics.end()) << All(r);
  EXPECT_EQ(it->where.line, 29) << it->ToString();
  EXPECT_NE(it->message.find("policy `no-weekend`"), std::string::npos) << it->ToString();
}

TEST(CedarGenTest, UnguardedArgumentsOfOtherStepsNeedScoping) {
  std::string text = kMandate;
  text +=
      "  - id: amounts\n    cedar: 'forbid (principal, action, resource) when { "
      "context.args.amount > 5 };'\n";
  LoadResult r = LoadMandateText(text, "pay.yaml");
  EXPECT_FALSE(r.ok()) << "`check` has no `amount`: strict validation rejects the unscoped policy";
}

}  // namespace
}  // namespace mandate

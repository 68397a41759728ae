#include "src/mandate/chain.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mandate {
namespace {

// Invoices: list -> (read -> pay|escalate)* -> report, with a loop bound, a branch on live data
// (the `when` guards are Cedar; the chain allows both branches), budgets and a prerequisite.
constexpr const char* kInvoices = R"(name: invoices
version: "2"
owner: finance-team
agents: [{spiffe_prefix: "spiffe://example.org/agents/"}]
systems:
  - {name: erp, kind: http, audience: erp}
  - {name: bank, kind: http, audience: bank}
  - {name: mail, kind: mcp, audience: mail}
inputs:
  vendor: string
  approvers: set<string>
steps:
  - {id: list, system: erp, actions: GET, resources: "/vendors/{vendor}/invoices", reads: [financial]}
  - {id: read, system: erp, actions: GET, resources: "/vendors/{vendor}/invoices/*", reads: [financial, pii]}
  - id: pay
    system: bank
    actions: POST
    resources: /payments
    args: {amount: long}
    guard: context.args.amount <= 1000
    max_calls: 2
  - {id: escalate, system: mail, actions: send_mail, resources: "{approvers}", writes: [external], args: {amount: long}}
  - {id: report, system: mail, actions: "send_*", resources: finance@example.org}
order:
  start: [list]
  next:
    list: [read]
    read:
      - {step: pay, when: "context.args.amount <= 1000"}
      - {step: escalate, when: "context.args.amount > 1000"}
    pay: [read, report]
    escalate: [read, report]
  loops:
    - {head: read, max_iterations: 3}
  requires:
    report: [read]
  final: [report]
limits: {deadline: 1h, max_calls: 20}
)";

std::string All(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.ToString() + "\n";
  return s;
}

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LoadResult r = LoadMandateText(kInvoices, "invoices.yaml");
    ASSERT_TRUE(r.ok()) << All(r);
    mandate_ = r.mandate;
    chain_ = std::make_unique<Chain>(mandate_);
    auto inputs = BindTaskInputs(
        *mandate_,
        boost::json::parse(R"({"vendor":"acme","approvers":["cfo@example.org"]})").as_object());
    ASSERT_TRUE(inputs.has_value()) << inputs.error().ToString();
    inputs_ = *inputs;
  }

  // Calls and, when allowed, advances the progress; returns the match.
  ChainMatch Call(std::string_view system, std::string_view action, std::string_view resource) {
    ChainMatch m = chain_->Match(progress_, {system, action, resource}, inputs_);
    if (m.allowed()) progress_ = m.candidates[0].after;
    return m;
  }
  std::string StepOf(const ChainMatch& m) { return mandate_->steps[m.candidates[0].step].id; }

  std::shared_ptr<const Mandate> mandate_;
  std::unique_ptr<Chain> chain_;
  TaskInputs inputs_;
  TaskProgress progress_;
};

TEST_F(ChainTest, FollowsTheOrderAndTracksProgress) {
  ChainMatch m = Call("erp", "GET", "/vendors/acme/invoices");
  ASSERT_TRUE(m.allowed());
  EXPECT_EQ(StepOf(m), "list");
  m = Call("erp", "GET", "/vendors/acme/invoices/7");
  ASSERT_TRUE(m.allowed());
  EXPECT_EQ(StepOf(m), "read");
  m = Call("bank", "POST", "/payments");
  ASSERT_TRUE(m.allowed());
  EXPECT_EQ(progress_.calls, 3u);
  EXPECT_EQ(progress_.last_step, 2);
  EXPECT_EQ(chain_->StepNames(progress_.steps_done),
            (std::vector<std::string>{"list", "read", "pay"}));
  EXPECT_EQ(chain_->LabelNames(progress_.labels_read),
            (std::vector<std::string>{"financial", "pii"}));
  EXPECT_FALSE(chain_->MayComplete(progress_));
  m = Call("mail", "send_report", "finance@example.org");
  ASSERT_TRUE(m.allowed()) << m.reason();
  EXPECT_TRUE(chain_->MayComplete(progress_));
}

TEST_F(ChainTest, OutOfOrderIsADeviationWithAReason) {
  ChainMatch m = Call("bank", "POST", "/payments");
  EXPECT_FALSE(m.allowed());
  EXPECT_EQ(m.reason(), "chain.out_of_order");
  EXPECT_EQ(chain_->Describe(m, progress_, {"bank", "POST", "/payments"}),
            "call `POST` on `bank` resource `/payments`: step `pay` may not follow the start");
  EXPECT_EQ(progress_, TaskProgress{});
}

TEST_F(ChainTest, BranchAllowsEitherSideAfterRead) {
  Call("erp", "GET", "/vendors/acme/invoices");
  Call("erp", "GET", "/vendors/acme/invoices/1");
  TaskProgress after_read = progress_;
  EXPECT_TRUE(Call("mail", "send_mail", "cfo@example.org").allowed());
  progress_ = after_read;
  EXPECT_TRUE(Call("bank", "POST", "/payments").allowed());
  // but not both in a row
  EXPECT_EQ(Call("mail", "send_mail", "cfo@example.org").reason(), "chain.out_of_order");
}

TEST_F(ChainTest, LoopBound) {
  Call("erp", "GET", "/vendors/acme/invoices");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Call("erp", "GET", "/vendors/acme/invoices/" + std::to_string(i)).allowed()) << i;
    ASSERT_TRUE(Call("mail", "send_mail", "cfo@example.org").allowed()) << i;
  }
  ChainMatch m = Call("erp", "GET", "/vendors/acme/invoices/9");
  EXPECT_EQ(m.reason(), "chain.loop_bound");
  EXPECT_EQ(progress_.loop_iterations[0], 3);
}

TEST_F(ChainTest, StepBudget) {
  Call("erp", "GET", "/vendors/acme/invoices");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(Call("erp", "GET", "/vendors/acme/invoices/1").allowed());
    ASSERT_TRUE(Call("bank", "POST", "/payments").allowed());
  }
  ASSERT_TRUE(Call("erp", "GET", "/vendors/acme/invoices/1").allowed());
  ChainMatch m = Call("bank", "POST", "/payments");
  EXPECT_EQ(m.reason(), "chain.budget_exhausted");
  EXPECT_NE(chain_->Describe(m, progress_, {"bank", "POST", "/payments"}).find("budget of 2 calls"),
            std::string::npos);
}

TEST_F(ChainTest, TotalBudget) {
  progress_.calls = 20;
  EXPECT_EQ(Call("erp", "GET", "/vendors/acme/invoices").reason(), "chain.budget_exhausted");
}

TEST_F(ChainTest, PrerequisiteIsChecked) {
  auto text = std::string(kInvoices);
  text.replace(text.find("    pay: [read, report]"), 23,
               "    pay: [read, report]\n    list: [report]");
  text.replace(text.find("    list: [read]\n"), 17, "");
  LoadResult r = LoadMandateText(text, "x.yaml");
  ASSERT_TRUE(r.ok()) << All(r);
  Chain chain(r.mandate);
  TaskProgress p;
  ChainMatch m = chain.Match(p, {"erp", "GET", "/vendors/acme/invoices"}, inputs_);
  ASSERT_TRUE(m.allowed());
  m = chain.Match(m.candidates[0].after, {"mail", "send_x", "finance@example.org"}, inputs_);
  EXPECT_EQ(m.reason(), "chain.missing_prerequisite");
}

TEST_F(ChainTest, UnknownSystemActionAndResource) {
  EXPECT_EQ(Call("crm", "GET", "/x").reason(), "chain.unknown_system");
  EXPECT_EQ(Call("erp", "DELETE", "/vendors/acme/invoices").reason(), "chain.unknown_action");
  EXPECT_EQ(Call("erp", "GET", "/vendors/evil/invoices").reason(), "chain.resource_mismatch");
  EXPECT_EQ(Call("erp", "GET", "/vendors/acme/invoices/1/../../x").reason(),
            "chain.resource_mismatch");
  EXPECT_EQ(Call("mail", "send_mail", "attacker@evil.example").reason(), "chain.resource_mismatch");
}

TEST_F(ChainTest, InputValuesAreLiteralNotWildcards) {
  auto inputs =
      BindTaskInputs(*mandate_, boost::json::parse(R"({"vendor":"*","approvers":[]})").as_object());
  ASSERT_TRUE(inputs.has_value());
  ChainMatch m = chain_->Match({}, {"erp", "GET", "/vendors/acme/invoices"}, *inputs);
  EXPECT_EQ(m.reason(), "chain.resource_mismatch");
  m = chain_->Match({}, {"erp", "GET", "/vendors/*/invoices"}, *inputs);
  EXPECT_TRUE(m.allowed());
}

TEST_F(ChainTest, BindTaskInputsChecksTypes) {
  auto bind = [&](const char* json) {
    return BindTaskInputs(*mandate_, boost::json::parse(json).as_object());
  };
  EXPECT_EQ(bind(R"({"approvers":[]})").error().reason(), "task.missing_input");
  EXPECT_EQ(bind(R"({"vendor":1,"approvers":[]})").error().reason(), "task.invalid_input");
  EXPECT_EQ(bind(R"({"vendor":"a","approvers":"x"})").error().reason(), "task.invalid_input");
  EXPECT_EQ(bind(R"({"vendor":"a","approvers":[],"x":1})").error().reason(), "task.unknown_input");
}

TEST_F(ChainTest, PlannerMayOnlyDelegate) {
  LoadResult r = LoadMandateText(R"(name: planner
version: "1"
owner: o
agents: [{spiffe_id: "spiffe://example.org/planner"}]
systems: [{name: s, kind: mcp, audience: s}]
steps:
  - {id: a, system: s, actions: read_file, resources: "docs/x", delegable: true}
limits: {deadline: 5m, max_calls: 5}
planning: {role: planner, executor_mandates: [executor]}
)",
                                 "planner.yaml");
  ASSERT_TRUE(r.ok()) << All(r);
  Chain chain(r.mandate);
  EXPECT_EQ(chain.Match({}, {"s", "read_file", "docs/x"}, {}).reason(),
            "chain.planner_may_only_delegate");
}

TEST_F(ChainTest, FreeOrderWithoutNext) {
  LoadResult r = LoadMandateText(R"(name: free
version: "1"
owner: o
systems: [{name: s, kind: mcp, audience: s}]
steps:
  - {id: a, system: s, actions: read_file, resources: "docs/**"}
  - {id: b, system: s, actions: "*", resources: "docs/readme.md", max_calls: 1}
limits: {max_calls: 5}
)",
                                 "free.yaml");
  ASSERT_TRUE(r.ok());
  Chain chain(r.mandate);
  TaskInputs none{{}};
  // Both steps match; the more specific resource pattern is preferred.
  ChainMatch m = chain.Match({}, {"s", "read_file", "docs/readme.md"}, none);
  ASSERT_EQ(m.count, 2);
  EXPECT_EQ(m.candidates[0].step, 1);
  // Once b's budget is used, a is the allowed candidate and comes first.
  m = chain.Match(m.candidates[0].after, {"s", "read_file", "docs/readme.md"}, none);
  ASSERT_TRUE(m.allowed());
  EXPECT_EQ(m.candidates[0].step, 0);
  EXPECT_EQ(m.candidates[1].verdict, ChainVerdict::kBudgetExhausted);
  EXPECT_TRUE(chain.Match({}, {"s", "read_file", "docs/a/b/c.md"}, none).allowed());
  EXPECT_EQ(chain.Match({}, {"s", "read_file", "etc/passwd"}, none).reason(),
            "chain.resource_mismatch");
}

TEST_F(ChainTest, HostileResourcesFailClosedQuickly) {
  std::string huge(5000, 'a');
  EXPECT_EQ(Call("erp", "GET", huge).reason(), "chain.resource_mismatch");
  std::string slashes = "/vendors/acme/invoices/" + std::string(2000, '/');
  EXPECT_EQ(Call("erp", "GET", slashes).reason(), "chain.resource_mismatch");
}

// Matching reads the progress and never changes it: the same call matches the same way every
// time. (Its speed is measured in bench/authority, not asserted here.)
TEST_F(ChainTest, MatchIsPureAndRepeatable) {
  Call("erp", "GET", "/vendors/acme/invoices");
  const ChainCall call{"erp", "GET", "/vendors/acme/invoices/42"};
  const TaskProgress before = progress_;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += chain_->Match(progress_, call, inputs_).allowed();
  EXPECT_EQ(allowed, 1000);
  EXPECT_EQ(progress_.calls, before.calls);
  EXPECT_EQ(progress_.steps_done, before.steps_done);
}

}  // namespace
}  // namespace mandate

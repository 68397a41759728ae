#include "src/mandate/attenuation.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mandate {
namespace {

Grant Parent() {
  Grant g;
  g.steps = {{"read", "drive", {"read_file"}, {"folders/q3/*"}, 5, true},
             {"send", "mail", {"send_*"}, {"*@example.org"}, 2, true},
             {"pay", "bank", {"POST"}, {"/payments"}, 1, false}};
  g.labels = {"pii", "untrusted"};
  g.total_calls = 10;
  g.deadline_micros = 2'000'000;
  return g;
}

Grant Child() {
  Grant g;
  g.steps = {{"read", "drive", {"read_file"}, {"folders/q3/report.pdf"}, 3, false}};
  g.labels = {"untrusted"};
  g.total_calls = 5;
  g.deadline_micros = 1'000'000;
  g.may_delegate = false;
  return g;
}

void ExpectReason(const Status& s, std::string_view reason) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.reason(), reason) << s.ToString();
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
}

TEST(AttenuationTest, ContainedChildIsAccepted) {
  EXPECT_TRUE(CheckAttenuation(Parent(), Child()).ok());
  Grant child = Child();
  child.steps.push_back({"send", "mail", {"send_mail"}, {"bob@example.org"}, 2, false});
  EXPECT_TRUE(CheckAttenuation(Parent(), child).ok())
      << CheckAttenuation(Parent(), child).ToString();
}

TEST(AttenuationTest, EveryAmplificationHasItsReason) {
  Grant c = Child();
  c.steps.push_back({"delete", "drive", {"delete_file"}, {"folders/q3/a"}, 1, false});
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.extra_step");

  c = Child();
  c.steps.push_back({"query", "crm", {"GET"}, {"/x"}, 1, false});
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.extra_system");

  c = Child();
  c.steps[0].system = "mail";
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.extra_system");

  c = Child();
  c.steps[0].actions = {"write_file"};
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.extra_action");

  c = Child();
  c.steps[0].actions = {"*"};
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.extra_action");

  c = Child();
  c.steps[0].resources = {"folders/**"};
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.wider_resource");

  c = Child();
  c.steps[0].resources = {"folders/q3/*/x"};  // `*` in the parent does not cross `/`
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.wider_resource");

  c = Child();
  c.steps[0].resources = {};
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.wider_resource");

  c = Child();
  c.labels.push_back("financial");
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.new_label");

  c = Child();
  c.steps[0].calls = 6;
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.larger_budget");

  c = Child();
  c.steps[0].calls.reset();
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.larger_budget");

  c = Child();
  c.total_calls = 11;
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.larger_budget");

  c = Child();
  c.deadline_micros = 3'000'000;
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.later_deadline");

  c = Child();
  c.deadline_micros = 0;  // no deadline is later than any
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.later_deadline");

  c = Child();
  c.steps = {{"pay", "bank", {"POST"}, {"/payments"}, 1, false}};
  ExpectReason(CheckAttenuation(Parent(), c), "delegation.not_delegable");

  // Re-delegation beyond what was handed on: an executor may not delegate.
  ExpectReason(CheckAttenuation(Child(), Child()), "delegation.not_delegable");
}

TEST(AttenuationTest, WildcardContainment) {
  Grant p = Parent();
  p.steps[0].resources = {"folders/**"};
  Grant c = Child();
  c.steps[0].resources = {"folders/q3/*"};
  EXPECT_TRUE(CheckAttenuation(p, c).ok());
  c.steps[0].resources = {"folders/*/**"};
  EXPECT_TRUE(CheckAttenuation(p, c).ok());
  c.steps[0].resources = {"folder*"};
  ExpectReason(CheckAttenuation(p, c), "delegation.wider_resource");
}

TEST(AttenuationTest, CurrentGrantFromProgress) {
  LoadResult r = LoadMandateText(R"(name: export
version: "1"
owner: o
systems: [{name: drive, kind: mcp, audience: drive}]
inputs: {folder: string}
steps:
  - {id: list, system: drive, actions: list_files, resources: "{folder}", max_calls: 3, delegable: true}
  - {id: read, system: drive, actions: read_file, resources: "{folder}/*", reads: [pii], delegable: true}
limits: {max_calls: 10, deadline: 5m}
)",
                                 "e.yaml");
  ASSERT_TRUE(r.ok());
  Chain chain(r.mandate);
  auto inputs = BindTaskInputs(*r.mandate, boost::json::parse(R"({"folder":"q3"})").as_object());
  ASSERT_TRUE(inputs.has_value());
  ChainMatch m = chain.Match({}, {"drive", "list_files", "q3"}, *inputs);
  ASSERT_TRUE(m.allowed());
  Grant g = CurrentGrant(chain, m.candidates[0].after, *inputs, 99);
  ASSERT_EQ(g.steps.size(), 2u);
  EXPECT_EQ(g.steps[0].resources, std::vector<std::string>{"q3"});
  EXPECT_EQ(*g.steps[0].calls, 2u);
  EXPECT_EQ(g.steps[1].resources, std::vector<std::string>{"q3/*"});
  EXPECT_EQ(*g.total_calls, 9u);
  EXPECT_EQ(g.labels, std::vector<std::string>{"pii"});

  Grant child;
  child.steps = {{"read", "drive", {"read_file"}, {"q3/a.txt"}, {}, false}};
  child.labels = {"pii"};
  child.total_calls = 5;
  child.deadline_micros = 50;
  EXPECT_TRUE(CheckAttenuation(g, child).ok());
  child.steps[0].resources = {"q4/a.txt"};
  ExpectReason(CheckAttenuation(g, child), "delegation.wider_resource");

  // An input value that would read as a wildcard is not held at all.
  auto star = BindTaskInputs(*r.mandate, boost::json::parse(R"({"folder":"*"})").as_object());
  Grant h = CurrentGrant(chain, {}, *star, 99);
  child.steps[0].resources = {"*/a.txt"};
  ExpectReason(CheckAttenuation(h, child), "delegation.wider_resource");
}

std::shared_ptr<const Mandate> DriveMandate() {
  LoadResult r = LoadMandateText(R"(name: export
version: "1"
owner: o
systems: [{name: drive, kind: mcp, audience: drive}]
steps:
  - {id: list, system: drive, actions: list_files, resources: "q3", max_calls: 3, delegable: true}
  - {id: read, system: drive, actions: "read_*", resources: "q3/*", reads: [pii], delegable: true}
)",
                                 "e.yaml");
  EXPECT_TRUE(r.ok());
  return r.mandate;
}

TEST(AttenuationTest, CallsOfADelegatedTaskStayInsideItsGrant) {
  Chain chain(DriveMandate());
  Grant g;
  g.steps = {{"read", "drive", {"read_file"}, {"q3/a.txt"}, 2, false}};
  g.labels = {"pii"};
  g.total_calls = 5;
  TaskProgress after;
  after.counts[1] = 1;
  after.calls = 1;
  EXPECT_TRUE(CheckCallWithinGrant(g, chain, 1, "read_file", "q3/a.txt", after).ok());
  ExpectReason(CheckCallWithinGrant(g, chain, 0, "list_files", "q3", after),
               "delegation.step_not_granted");
  ExpectReason(CheckCallWithinGrant(g, chain, 1, "read_meta", "q3/a.txt", after),
               "delegation.action_not_granted");
  ExpectReason(CheckCallWithinGrant(g, chain, 1, "read_file", "q3/b.txt", after),
               "delegation.resource_not_granted");
  after.counts[1] = 3;
  ExpectReason(CheckCallWithinGrant(g, chain, 1, "read_file", "q3/a.txt", after),
               "delegation.budget_exhausted");
  g.labels.clear();
  after.counts[1] = 1;
  ExpectReason(CheckCallWithinGrant(g, chain, 1, "read_file", "q3/a.txt", after),
               "delegation.label_not_granted");
}

TEST(AttenuationTest, RemainingGrantSubtractsWhatWasUsed) {
  Chain chain(DriveMandate());
  Grant g;
  g.steps = {{"read", "drive", {"read_file"}, {}, 4, true}};
  g.total_calls = 6;
  TaskProgress p;
  p.counts[1] = 3;
  p.calls = 5;
  Grant now = RemainingGrant(g, chain, p);
  EXPECT_EQ(*now.steps[0].calls, 1u);
  EXPECT_EQ(*now.total_calls, 1u);
  p.counts[1] = 9;
  EXPECT_EQ(*RemainingGrant(g, chain, p).steps[0].calls, 0u);
}

TEST(AttenuationTest, GrantJsonRoundTripAndHostileInput) {
  Grant g = Parent();
  g.may_delegate = false;
  auto back = GrantFromJson(GrantToJson(g));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(GrantToJson(*back), GrantToJson(g));
  for (const char* bad :
       {"null", "[]", R"({"steps":[]})",
        R"({"steps":{},"deadline_us":1,"may_delegate":true,"labels":[]})",
        R"({"steps":[{"id":1}],"deadline_us":1,"may_delegate":true,"labels":[]})",
        R"({"steps":[],"deadline_us":1,"may_delegate":true,"labels":[],"total_calls":-1})"}) {
    auto parsed = GrantFromJson(boost::json::parse(bad));
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().reason(), "delegation.invalid_grant");
  }
}

}  // namespace
}  // namespace mandate

#include "src/enforce/internal/mcp_governor.h"

#include "src/enforce/internal/decision_audit.h"
#include "src/enforce/internal/fake_decision_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <mutex>

namespace mandate::enforce::internal {
namespace {

boost::json::object Parse(const std::string& text) { return boost::json::parse(text).as_object(); }

class McpGovernorTest : public ::testing::Test {
 protected:
  McpClientOutcome Send(std::string_view text) { return governor.OnClientMessage(text, agent); }
  McpGovernorTest() { client.allowed = {"read_file", "list_directory"}; }
  FakeDecisionClient client;
  AgentCredentials agent{"task.jwt", "", "POST", "stdio:", ""};
  McpGovernor governor{client, nullptr, "filesystem"};
};

TEST_F(McpGovernorTest, AllowedCallIsForwardedWithToolAsActionAndArgumentsAsContext) {
  client.answer.verdict = Verdict::kAllow;
  auto out = Send(
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/tmp/a"}}})");
  EXPECT_TRUE(out.forward);
  ASSERT_EQ(client.asked.size(), 1u);
  EXPECT_EQ(client.asked[0].system, "filesystem");
  EXPECT_EQ(client.asked[0].action, "read_file");
  EXPECT_EQ(client.asked[0].resource, "filesystem");
  EXPECT_EQ(client.asked[0].args.at("path").as_string(), "/tmp/a");
}

TEST_F(McpGovernorTest, ToolOutsideTheMandateIsUnknownTool) {
  client.answer.verdict = Verdict::kDeny;
  client.answer.reasons = {{"chain", "chain.unknown_action", "no step allows this action", ""}};
  auto out =
      Send(R"({"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"write_file"}})");
  ASSERT_FALSE(out.forward);
  auto reply = Parse(out.reply);
  EXPECT_EQ(reply.at("id").as_string(), "a");
  EXPECT_EQ(reply.at("error").at("code").as_int64(), -32602);
  EXPECT_EQ(client.lists, 0) << "the authority's reason decides, no second round trip";
}

// Regression: on the real authority a tool outside the mandate came back as an isError result.
TEST_F(McpGovernorTest, UnknownSystemIsUnknownToolButOrderAndBudgetAreRefusals) {
  client.answer.verdict = Verdict::kDeny;
  client.answer.reasons = {{"chain", "chain.unknown_system", "unknown system", ""}};
  auto unknown =
      Parse(Send(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}})").reply);
  EXPECT_EQ(unknown.at("error").at("code").as_int64(), -32602);
  for (const char* code : {"chain.out_of_order", "chain.budget_exhausted",
                           "chain.resource_mismatch", "guard.unsatisfied"}) {
    client.answer.reasons = {{"chain", code, "refused", ""}};
    auto reply = Parse(
        Send(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_file"}})")
            .reply);
    ASSERT_TRUE(reply.contains("result")) << code;
    EXPECT_TRUE(reply.at("result").at("isError").as_bool()) << code;
  }
}

TEST_F(McpGovernorTest, RefusedForArgumentsIsAnIsErrorResultWithTheReason) {
  client.answer.verdict = Verdict::kDeny;
  client.answer.reasons = {{"policy", "policy.forbid", "path outside /data", "p1"}};
  auto out = Send(
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc"}}})");
  ASSERT_FALSE(out.forward);
  auto reply = Parse(out.reply);
  EXPECT_EQ(reply.at("id").as_int64(), 3);
  EXPECT_TRUE(reply.at("result").at("isError").as_bool());
  std::string text(reply.at("result").at("content").at(0).at("text").as_string());
  EXPECT_NE(text.find("policy.forbid"), std::string::npos) << text;
}

TEST_F(McpGovernorTest, RevokedTaskIsRefusedNotUnknown) {
  client.answer.verdict = Verdict::kDeny;
  client.answer.task_revoked = true;
  client.answer.reasons = {{"revocation", "revocation.task_revoked", "revoked", ""}};
  auto out =
      Send(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_file"}})");
  EXPECT_TRUE(Parse(out.reply).at("result").at("isError").as_bool());
  EXPECT_EQ(client.lists, 0);
}

TEST_F(McpGovernorTest, AuthorityDownFailsClosed) {
  client.answer = ErrorDecision("authority.unavailable", "connection refused");
  auto out =
      Send(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file"}})");
  ASSERT_FALSE(out.forward);
  EXPECT_EQ(Parse(out.reply).at("error").at("code").as_int64(), -32603);
}

TEST_F(McpGovernorTest, BatchesCannotSmuggleACall) {
  client.answer.verdict = Verdict::kAllow;
  auto out = Send(
      R"([{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"write_file"}}])");
  ASSERT_FALSE(out.forward);
  auto replies = boost::json::parse(out.reply).as_array();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].at("id").as_int64(), 2);
  EXPECT_EQ(replies[1].at("error").at("code").as_int64(), -32600);
  EXPECT_TRUE(client.asked.empty());
}

TEST_F(McpGovernorTest, MalformedOrAmbiguousMessagesAreNeverForwarded) {
  EXPECT_EQ(Parse(Send("{").reply).at("error").at("code").as_int64(), -32700);
  // Duplicate `method`: a lenient server would read the last one.
  auto dup = Send(R"({"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"})");
  EXPECT_FALSE(dup.forward);
  EXPECT_FALSE(Send(R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}})").forward);
  EXPECT_FALSE(
      Send(
          R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[1]}})")
          .forward);
  EXPECT_FALSE(Send(R"({"jsonrpc":"2.0","id":1,"method":7})").forward);
  EXPECT_TRUE(client.asked.empty());
}

TEST_F(McpGovernorTest, OtherMessagesPassThrough) {
  EXPECT_TRUE(Send(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{}})").forward);
  EXPECT_TRUE(Send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").forward);
  EXPECT_TRUE(Send(R"({"jsonrpc":"2.0","id":5,"result":{}})").forward);
  EXPECT_TRUE(client.asked.empty());
}

TEST_F(McpGovernorTest, ToolsListHidesToolsTheTaskMayNeverCall) {
  auto out = Send(R"({"jsonrpc":"2.0","id":9,"method":"tools/list"})");
  ASSERT_TRUE(out.forward);
  ASSERT_TRUE(out.tools_list_id);
  std::string response =
      R"({"jsonrpc":"2.0","id":9,"result":{"tools":[{"name":"read_file"},{"name":"write_file"},{"name":"list_directory"}]}})";
  auto filtered =
      Parse(McpGovernor::FilterToolsList(response, *out.tools_list_id, out.allowed_tools));
  auto& tools = filtered.at("result").at("tools").as_array();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].at("name").as_string(), "read_file");
  EXPECT_EQ(tools[1].at("name").as_string(), "list_directory");
  // Another id is left alone.
  EXPECT_EQ(McpGovernor::FilterToolsList(response, "10", out.allowed_tools), response);
}

TEST_F(McpGovernorTest, ToolsListHidesEverythingWhenTheAuthorityCannotSay) {
  client.reachable = false;
  auto out = Send(R"({"jsonrpc":"2.0","id":"x","method":"tools/list"})");
  auto filtered = Parse(McpGovernor::FilterToolsList(
      R"({"jsonrpc":"2.0","id":"x","result":{"tools":[{"name":"read_file"}]}})", *out.tools_list_id,
      out.allowed_tools));
  EXPECT_TRUE(filtered.at("result").at("tools").as_array().empty());
}

// What the governor refuses on its own (no authority decision records it) goes to the audit
// trail: the revocation stream not synced, and an allowed call whose task the deny set holds.
TEST_F(McpGovernorTest, ItsOwnRefusalsAreRecorded) {
  std::vector<std::string> bodies;
  std::mutex mu;
  SystemClock clock;
  DecisionAudit audit(
      [&](const std::string& body) {
        std::lock_guard lock(mu);
        bodies.push_back(body);
        return Status();
      },
      clock, {.enforcement_point = "mcp-proxy", .flush_interval_ms = 5});
  RevocationFeed feed(clock, 0);
  McpGovernor audited{client, &feed, "filesystem", "", &audit};
  const std::string call =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/a"}}})";
  EXPECT_FALSE(audited.OnClientMessage(call, agent).forward);  // not synced yet
  feed.OnConnected();
  ASSERT_TRUE(feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1"})").ok());
  client.answer.verdict = Verdict::kAllow;
  client.answer.task_id = "t_1";
  EXPECT_FALSE(audited.OnClientMessage(call, agent).forward);  // allowed, but revoked here
  ASSERT_TRUE(audit.Flush(5000));
  std::vector<std::pair<std::string, std::string>> records;  // (decision, reason)
  for (const std::string& body : bodies) {
    const boost::json::object batch = Parse(body);
    for (const auto& r : batch.at("records").as_array()) {
      const auto& o = r.as_object();
      records.emplace_back(o.at("decision").as_string(), o.at("reason").as_string());
      EXPECT_EQ(o.at("action").as_string(), "read_file");
      EXPECT_EQ(o.at("args_digest").as_string().size(), 64u);
    }
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, "error");
  EXPECT_EQ(records[0].second.rfind("revocation.not_synced", 0), 0u) << records[0].second;
  EXPECT_EQ(records[1].first, "deny");
  EXPECT_EQ(records[1].second.rfind("revocation.task_revoked", 0), 0u) << records[1].second;
}

}  // namespace
}  // namespace mandate::enforce::internal

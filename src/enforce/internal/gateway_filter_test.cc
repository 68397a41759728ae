#include "src/enforce/internal/gateway_filter.h"

#include "src/enforce/internal/fake_decision_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace mandate::enforce::internal {
namespace {

constexpr const char* kSecret = "upstream-api-key-123";

class GatewayFilterTest : public ::testing::Test {
 protected:
  GatewayFilter Make(InjectedCredential::Kind kind, const RevocationFeed* feed = nullptr,
                     const DecisionAudit* audit = nullptr) {
    SystemRoutes tracker{
        "tracker", "", {{"GET", "/issues/{id}", "read_issue", "issues/{id}", false, {}}}};
    auto table = RouteTable::Build({tracker});
    EXPECT_TRUE(table);
    SystemRuntime runtime;
    runtime.upstream.upstream = "http://127.0.0.1:9000";
    runtime.upstream.credential.kind = kind;
    runtime.upstream.credential.header = "X-Api-Key";
    runtime.upstream.credential.username = "svc";
    runtime.secret = kSecret;
    return GatewayFilter(std::move(*table), {{"tracker", runtime}}, "https://gw.example", client,
                         feed, audit);
  }
  GatewayRequest Request() {
    return {"GET",
            "/tracker/issues/7?full=1",
            {{"Host", "gw.example"},
             {"Authorization", "DPoP task.token.jwt"},
             {"DPoP", "proof.jwt"},
             {"Cookie", "session=agent"},
             {"X-Api-Key", "agent-supplied"},
             {"X-Mandate-Task-Token", "smuggled"},
             {"Connection", "keep-alive, X-Hop"},
             {"X-Hop", "1"},
             {"Accept", "application/json"}},
            "",
            ""};
  }
  FakeDecisionClient client;
};

TEST_F(GatewayFilterTest, AllowedRequestIsForwardedWithOnlyTheInjectedCredential) {
  client.answer.verdict = Verdict::kAllow;
  client.answer.task_id = "t_1";
  client.answer.step = "read";
  GatewayFilter filter = Make(InjectedCredential::Kind::kHeader);
  GatewayOutcome out = filter.OnRequest(Request());
  ASSERT_TRUE(out.forward) << out.reply_body;
  EXPECT_EQ(out.upstream_url, "http://127.0.0.1:9000/issues/7?full=1");
  http::HeaderList expected = {{"Accept", "application/json"},
                               {"X-Api-Key", kSecret},
                               {"X-Mandate-Step", "read"},
                               {"X-Mandate-Task", "t_1"}};
  EXPECT_EQ(out.upstream_headers, expected);
  ASSERT_EQ(client.asked.size(), 1u);
  const AuthorizeRequest& ask = client.asked[0];
  EXPECT_EQ(ask.agent.task_token, "task.token.jwt");
  EXPECT_EQ(ask.agent.dpop_proof, "proof.jwt");
  EXPECT_EQ(ask.agent.method, "GET");
  EXPECT_EQ(ask.agent.url, "https://gw.example/tracker/issues/7");
  EXPECT_EQ(ask.system, "tracker");
  EXPECT_EQ(ask.action, "read_issue");
  EXPECT_EQ(ask.resource, "issues/7");
  EXPECT_EQ(ask.args.at("full").as_string(), "1");
}

TEST_F(GatewayFilterTest, BearerAndBasicGoInAuthorization) {
  client.answer.verdict = Verdict::kAllow;
  GatewayOutcome bearer = Make(InjectedCredential::Kind::kBearer).OnRequest(Request());
  EXPECT_EQ(*http::FindHeader(bearer.upstream_headers, "authorization"),
            std::string("Bearer ") + kSecret);
  GatewayOutcome basic = Make(InjectedCredential::Kind::kBasic).OnRequest(Request());
  // base64("svc:upstream-api-key-123")
  EXPECT_EQ(*http::FindHeader(basic.upstream_headers, "authorization"),
            "Basic c3ZjOnVwc3RyZWFtLWFwaS1rZXktMTIz");
}

TEST_F(GatewayFilterTest, DenyIs403JsonNamingTheReasonWithoutTheSecret) {
  client.answer.verdict = Verdict::kDeny;
  client.answer.task_id = "t_1";
  client.answer.reasons = {{"chain", "chain.out_of_order", "step `pay` needs `review` first", ""}};
  GatewayOutcome out = Make(InjectedCredential::Kind::kHeader).OnRequest(Request());
  ASSERT_FALSE(out.forward);
  EXPECT_EQ(out.status, 403);
  auto body = boost::json::parse(out.reply_body).as_object();
  EXPECT_EQ(body.at("error").at("code").as_string(), "chain.out_of_order");
  EXPECT_EQ(body.at("decision").as_string(), "deny");
  EXPECT_EQ(*http::FindHeader(out.reply_headers, "x-mandate-reason"), "chain.out_of_order");
  EXPECT_EQ(out.reply_body.find(kSecret), std::string::npos);
}

TEST_F(GatewayFilterTest, RefusalsBeforeAsking) {
  GatewayFilter filter = Make(InjectedCredential::Kind::kHeader);
  GatewayRequest no_token = Request();
  no_token.headers.erase(no_token.headers.begin() + 1);
  EXPECT_EQ(filter.OnRequest(no_token).status, 401);
  GatewayRequest unknown = Request();
  unknown.method = "DELETE";
  EXPECT_EQ(filter.OnRequest(unknown).status, 403);
  GatewayRequest traversal = Request();
  traversal.target = "/tracker/issues/../admin";
  EXPECT_EQ(filter.OnRequest(traversal).status, 400);
  GatewayRequest no_proof = Request();
  no_proof.headers.erase(no_proof.headers.begin() + 2);
  GatewayOutcome unproven = filter.OnRequest(no_proof);
  EXPECT_EQ(unproven.status, 401);
  EXPECT_EQ(unproven.decision.PrimaryCode(), "dpop.missing");
  EXPECT_TRUE(client.asked.empty());
}

// Whether the key matches the credential's `cnf.jkt` is the verifier's to say (it alone reads
// the credential): the filter passes the connection's proven key along instead of refusing.
TEST_F(GatewayFilterTest, ABoundConnectionPassesItsProvenKeyAlong) {
  GatewayFilter filter = Make(InjectedCredential::Kind::kHeader);
  client.answer.verdict = Verdict::kAllow;
  GatewayRequest request = Request();
  request.bound_jkt = "thumbprint-of-the-proven-key";
  request.headers.erase(request.headers.begin() + 2);  // the DPoP proof
  EXPECT_TRUE(filter.OnRequest(request).forward);
  ASSERT_EQ(client.asked.size(), 1u);
  EXPECT_EQ(client.asked[0].agent.connection_jkt, "thumbprint-of-the-proven-key");
  EXPECT_TRUE(client.asked[0].agent.dpop_proof.empty());
  // With a proof, the proof decides: the connection's key is not passed.
  GatewayRequest proven = Request();
  proven.bound_jkt = "thumbprint-of-the-proven-key";
  EXPECT_TRUE(filter.OnRequest(proven).forward);
  EXPECT_TRUE(client.asked[1].agent.connection_jkt.empty());
}

TEST_F(GatewayFilterTest, AuthorityFailureFailsClosed) {
  client.answer = ErrorDecision("authority.unavailable", "connection refused");
  GatewayOutcome out = Make(InjectedCredential::Kind::kHeader).OnRequest(Request());
  EXPECT_FALSE(out.forward);
  EXPECT_EQ(out.status, 503);
}

TEST_F(GatewayFilterTest, RevocationFeedOverridesALaggingAllowAndGatesReadiness) {
  FakeClock clock;
  RevocationFeed feed(clock, 0);
  client.answer.verdict = Verdict::kAllow;
  client.answer.task_id = "t_1";
  GatewayFilter filter = Make(InjectedCredential::Kind::kHeader, &feed);
  EXPECT_EQ(filter.OnRequest(Request()).status, 503);  // not synced yet
  feed.OnConnected();
  EXPECT_TRUE(filter.OnRequest(Request()).forward);
  ASSERT_TRUE(feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1"})").ok());
  GatewayOutcome out = filter.OnRequest(Request());
  EXPECT_EQ(out.status, 403);
  EXPECT_NE(out.reply_body.find("revocation.task_revoked"), std::string::npos);
}

TEST_F(GatewayFilterTest, NamesTheCallForTheAuditRecordAndClosesWhenTheAuditIsBehind) {
  client.answer.verdict = Verdict::kAllow;
  FakeClock clock;
  std::atomic<bool> sink_up{true};
  DecisionAuditOptions options;
  options.grace_ms = 100;
  options.flush_interval_ms = 5;
  DecisionAudit audit(
      [&](const std::string&) {
        return sink_up ? Status() : Status(StatusCode::kUnavailable, "http.client.connect", "no");
      },
      clock, options);
  GatewayFilter filter = Make(InjectedCredential::Kind::kHeader, nullptr, &audit);
  GatewayOutcome out = filter.OnRequest(Request());
  ASSERT_TRUE(out.forward);
  EXPECT_EQ(out.system, "tracker");
  EXPECT_EQ(out.action, "read_issue");
  EXPECT_EQ(out.resource, "issues/7");
  EXPECT_EQ(out.args.at("full").as_string(), "1");
  sink_up = false;
  LocalDecisionRecord record;
  record.decision = "allow";
  audit.Record(std::move(record));
  EXPECT_FALSE(audit.Flush(50));
  clock.AdvanceMicros(200'000);  // past the grace: the undelivered record closes the gateway
  const size_t asked = client.asked.size();
  GatewayOutcome closed = filter.OnRequest(Request());
  EXPECT_FALSE(closed.forward);
  EXPECT_EQ(closed.status, 503);
  EXPECT_EQ(closed.decision.PrimaryCode(), "audit.unavailable");
  EXPECT_EQ(client.asked.size(), asked);
  sink_up = true;
  ASSERT_TRUE(audit.Flush(5000));
  EXPECT_TRUE(filter.OnRequest(Request()).forward);
}

TEST_F(GatewayFilterTest, ScrubsTheSecretFromUpstreamResponses) {
  GatewayFilter filter = Make(InjectedCredential::Kind::kBasic);
  http::HeaderList headers = {{"X-Echo", std::string("Basic c3ZjOnVwc3RyZWFtLWFwaS1rZXktMTIz")}};
  std::string body = std::string("{\"key\":\"") + kSecret + "\"}";
  filter.ScrubResponse("tracker", headers, body);
  EXPECT_EQ(body, "{\"key\":\"[redacted]\"}");
  EXPECT_EQ(headers[0].second, "[redacted]");
}

}  // namespace
}  // namespace mandate::enforce::internal

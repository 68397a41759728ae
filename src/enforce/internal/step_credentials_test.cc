#include "src/enforce/internal/step_credentials.h"

#include <gtest/gtest.h>

#include "src/enforce/internal/fake_decision_client.h"

namespace mandate::enforce::internal {
namespace {

using credential::Algorithm;
using credential::CredentialClaims;
using credential::SigningKey;

constexpr const char* kUrl = "https://gw.example/tracker/issues/7";

class StepCredentialTest : public ::testing::Test {
 protected:
  StepCredentialTest() {
    ring = *credential::KeyRing::Open(*store, clock);
    issuer = std::make_unique<credential::CredentialIssuer>("mandate", ring, clock);
    feed.OnConnected();
  }
  CredentialClaims Claims() const {
    CredentialClaims c;
    c.agent = "spiffe://example.org/agents/triage";
    c.audience = "https://tracker.example.org";
    c.action = "read_issue";
    c.resource = "issues/7";
    c.task_id = "t_1";
    c.step = "read";
    c.jkt = agent_key.public_key().thumbprint();
    return c;
  }
  AuthorizeRequest Ask(const std::string& credential, const std::string& action = "read_issue") {
    AuthorizeRequest r;
    r.agent.task_token = credential;
    r.agent.method = "GET";
    r.agent.url = kUrl;
    r.agent.dpop_proof =
        *credential::MintDpopProof(agent_key, "GET", kUrl, clock.NowSeconds(), credential);
    r.system = "tracker";
    r.action = action;
    r.resource = "issues/7";
    return r;
  }
  FakeClock clock;
  std::unique_ptr<credential::SigningKeyStore> store = credential::NewInMemorySigningKeyStore();
  std::shared_ptr<credential::KeyRing> ring;
  std::unique_ptr<credential::CredentialIssuer> issuer;
  SigningKey agent_key = *SigningKey::Generate(Algorithm::kES256, "agent");
  RevocationFeed feed{clock, 5'000'000};
  AuthorityKeys keys{[this]() -> Result<std::string> { return ring->JwksJson(); }, clock};
  FakeDecisionClient authority;
  StepCredentialClient client{
      authority, keys, &feed, "mandate", {{"tracker", "https://tracker.example.org"}}, clock};
};

TEST_F(StepCredentialTest, AStepCredentialIsDecidedLocallyWithoutARoundTrip) {
  std::string credential = *issuer->MintStepCredential(Claims());
  Decision d = client.Authorize(Ask(credential));
  ASSERT_EQ(d.verdict, Verdict::kAllow) << d.PrimaryCode() << ": " << d.PrimaryMessage();
  EXPECT_EQ(d.task_id, "t_1");
  EXPECT_EQ(d.step, "read");
  EXPECT_TRUE(authority.asked.empty());
  EXPECT_EQ(keys.fetches(), 1);
  // A second use within the credential's life: still local, keys cached.
  EXPECT_EQ(client.Authorize(Ask(credential)).verdict, Verdict::kAllow);
  EXPECT_EQ(keys.fetches(), 1);
}

// What a server thread may decide inline: only what needs no JWKS fetch and no authority call.
TEST_F(StepCredentialTest, DecidesWithoutWaitingOnlyWhatNeedsNoNetwork) {
  std::string credential = *issuer->MintStepCredential(Claims());
  EXPECT_FALSE(client.TryAuthorizeWithoutWaiting(Ask(credential)));  // keys never fetched
  EXPECT_EQ(keys.fetches(), 0);
  ASSERT_EQ(client.Authorize(Ask(credential)).verdict, Verdict::kAllow);
  auto inline_decision = client.TryAuthorizeWithoutWaiting(Ask(credential));
  ASSERT_TRUE(inline_decision);
  EXPECT_EQ(inline_decision->verdict, Verdict::kAllow);
  // Refusals are decided inline too: a proof for another URL.
  AuthorizeRequest wrong = Ask(credential);
  wrong.agent.url = "https://gw.example/tracker/issues/8";
  ASSERT_TRUE(client.TryAuthorizeWithoutWaiting(wrong));
  EXPECT_EQ(client.TryAuthorizeWithoutWaiting(wrong)->verdict, Verdict::kDeny);
  // A task token is the authority's to decide.
  EXPECT_FALSE(client.TryAuthorizeWithoutWaiting(Ask("eyJhbGciOiJFUzI1NiJ9.e30.sig")));
  // Stale keys would need a fetch.
  clock.AdvanceSeconds(301);
  EXPECT_FALSE(client.TryAuthorizeWithoutWaiting(Ask(credential)));
  EXPECT_TRUE(authority.asked.empty());
}

TEST_F(StepCredentialTest, ATaskTokenGoesToTheAuthority) {
  authority.answer.verdict = Verdict::kAllow;
  EXPECT_EQ(client.Authorize(Ask("eyJhbGciOiJFUzI1NiJ9.e30.sig")).verdict, Verdict::kAllow);
  EXPECT_EQ(authority.asked.size(), 1u);
  EXPECT_EQ(client.local_decisions(), 0);
}

TEST_F(StepCredentialTest, ARevokedTaskIsDeniedAtOnceEvenWhenCached) {
  std::string credential = *issuer->MintStepCredential(Claims());
  ASSERT_EQ(client.Authorize(Ask(credential)).verdict, Verdict::kAllow);
  ASSERT_TRUE(feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1"})").ok());
  Decision d = client.Authorize(Ask(credential));
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_EQ(d.PrimaryCode(), "revocation.task_revoked");
  EXPECT_EQ(d.reasons.front().check, "revocation");
}

// A bound connection (the gateway verified a proof for this credential on it before) may omit
// the proof; scope, expiry and the deny set are still checked on every call.
TEST_F(StepCredentialTest, AProvenConnectionNeedsNoNewProofButIsStillChecked) {
  std::string credential = *issuer->MintStepCredential(Claims());
  AuthorizeRequest unproven = Ask(credential);
  unproven.agent.dpop_proof.clear();
  EXPECT_EQ(client.Authorize(unproven).PrimaryCode(), "dpop.missing");
  AuthorizeRequest bound = unproven;
  bound.agent.proven_on_connection = true;
  EXPECT_EQ(client.Authorize(bound).verdict, Verdict::kAllow);
  AuthorizeRequest other_action = bound;
  other_action.action = "close_issue";
  EXPECT_EQ(client.Authorize(other_action).PrimaryCode(), "credential.scope_mismatch");
  ASSERT_TRUE(feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1"})").ok());
  EXPECT_EQ(client.Authorize(bound).PrimaryCode(), "revocation.task_revoked");
}

TEST_F(StepCredentialTest, ARevokedCredentialIdIsDenied) {
  CredentialClaims c = Claims();
  c.jti = "j-42";
  std::string credential = *issuer->MintStepCredential(c);
  ASSERT_TRUE(
      feed.OnEvent("revocation", "1", R"({"id":1,"scope":"credential","value":"j-42"})").ok());
  EXPECT_EQ(client.Authorize(Ask(credential)).PrimaryCode(), "revocation.credential_revoked");
}

TEST_F(StepCredentialTest, TheCredentialCoversOnlyItsActionResourceAndSystem) {
  std::string credential = *issuer->MintStepCredential(Claims());
  Decision other = client.Authorize(Ask(credential, "delete_issue"));
  EXPECT_EQ(other.PrimaryCode(), "credential.scope_mismatch");
  AuthorizeRequest wrong_system = Ask(credential);
  wrong_system.system = "billing";
  EXPECT_EQ(client.Authorize(wrong_system).PrimaryCode(), "jwt.aud_mismatch");
}

TEST_F(StepCredentialTest, ProofOfPossessionIsRequiredAndBound) {
  std::string credential = *issuer->MintStepCredential(Claims());
  AuthorizeRequest no_proof = Ask(credential);
  no_proof.agent.dpop_proof.clear();
  EXPECT_EQ(client.Authorize(no_proof).PrimaryCode(), "dpop.missing");
  AuthorizeRequest thief = Ask(credential);
  SigningKey other = *SigningKey::Generate(Algorithm::kES256, "thief");
  thief.agent.dpop_proof =
      *credential::MintDpopProof(other, "GET", kUrl, clock.NowSeconds(), credential);
  Decision d = client.Authorize(thief);
  EXPECT_EQ(d.PrimaryCode(), "dpop.key_mismatch");
  EXPECT_EQ(d.reasons.front().check, "authentication");
  AuthorizeRequest replay = Ask(credential);
  ASSERT_EQ(client.Authorize(replay).verdict, Verdict::kAllow);
  EXPECT_EQ(client.Authorize(replay).PrimaryCode(), "dpop.replayed");
}

TEST_F(StepCredentialTest, ExpiredAndForgedCredentialsAreRefused) {
  std::string credential = *issuer->MintStepCredential(Claims(), 5);
  std::string forged = credential;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(client.Authorize(Ask(forged)).verdict, Verdict::kDeny);
  clock.AdvanceSeconds(60);
  EXPECT_EQ(client.Authorize(Ask(credential)).PrimaryCode(), "jwt.expired");
}

TEST_F(StepCredentialTest, AnUnknownKidRefreshesTheKeysAtMostOncePerInterval) {
  ASSERT_EQ(client.Authorize(Ask(*issuer->MintStepCredential(Claims()))).verdict, Verdict::kAllow);
  ASSERT_TRUE(ring->Rotate().ok());  // the authority signs with a new key now
  clock.AdvanceSeconds(10);
  Decision d = client.Authorize(Ask(*issuer->MintStepCredential(Claims())));
  EXPECT_EQ(d.verdict, Verdict::kAllow) << d.PrimaryCode();
  EXPECT_EQ(keys.fetches(), 2);
  // A flood of unknown kids cannot turn into a flood of fetches.
  ASSERT_TRUE(ring->Rotate().ok());
  for (int i = 0; i < 3; ++i) {
    (void)client.Authorize(Ask(*issuer->MintStepCredential(Claims())));
  }
  EXPECT_EQ(keys.fetches(), 2);
}

TEST_F(StepCredentialTest, NoKeysVerifyNothing) {
  AuthorityKeys down(
      []() -> Result<std::string> {
        return Err(StatusCode::kUnavailable, "authority.unavailable", "down");
      },
      clock);
  StepCredentialClient offline(authority, down, &feed, "mandate", {}, clock);
  Decision d = offline.Authorize(Ask(*issuer->MintStepCredential(Claims())));
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_TRUE(authority.asked.empty());
}

TEST(LooksLikeStepCredential, ReadsOnlyTheHeaderType) {
  EXPECT_FALSE(LooksLikeStepCredential(""));
  EXPECT_FALSE(LooksLikeStepCredential("not-a-jwt"));
  EXPECT_FALSE(LooksLikeStepCredential(std::string(20000, 'a')));
  // {"alg":"ES256","typ":"mandate-step+jwt"} . {} . sig
  EXPECT_TRUE(
      LooksLikeStepCredential("eyJhbGciOiJFUzI1NiIsInR5cCI6Im1hbmRhdGUtc3RlcCtqd3QifQ.e30.c2ln"));
}

}  // namespace
}  // namespace mandate::enforce::internal

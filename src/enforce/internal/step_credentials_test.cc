#include "src/enforce/internal/step_credentials.h"

#include <gtest/gtest.h>

#include "src/enforce/internal/fake_decision_client.h"

namespace mandate::enforce::internal {
namespace {

using credential::Algorithm;
using credential::CredentialClaims;
using credential::SigningKey;

constexpr const char* kUrl = "https://gw.example/tracker/issues/7";
// The `vault` system's step credentials are sealed (HS256), the tracker's signed.
constexpr const char* kVault = "https://vault.example.org";

class StepCredentialTest : public ::testing::Test {
 protected:
  StepCredentialTest() {
    ring = *credential::KeyRing::Open(*store, clock, {.sealed_audiences = {kVault}});
    issuer = std::make_unique<credential::CredentialIssuer>("mandate", ring, clock);
    feed.OnConnected();
  }
  CredentialClaims Claims(const char* audience = "https://tracker.example.org") const {
    CredentialClaims c;
    c.agent = "spiffe://example.org/agents/triage";
    c.audience = audience;
    c.action = "read_issue";
    c.resource = "issues/7";
    c.task_id = "t_1";
    c.step = "read";
    c.jkt = agent_key.public_key().thumbprint();
    c.single_use = true;  // as the authority mints them
    c.args = credential::ArgumentsClaim(Args());
    return c;
  }
  static boost::json::object Args() { return {{"id", 7}, {"fields", {"title", "state"}}}; }
  std::string Mint() const { return *issuer->MintStepCredential(Claims()); }
  std::string MintSealed() const { return *issuer->MintStepCredential(Claims(kVault)); }
  AuthorizeRequest AskVault(const std::string& credential) {
    AuthorizeRequest r = Ask(credential);
    r.system = "vault";
    return r;
  }
  // What `GET /v1/ep/keys?audience=<vault>` answers, or `refusal` when set.
  Result<std::string> ServeSealingKeys() const {
    if (!refusal.ok()) return Err(refusal);
    const std::vector<std::string> audiences{kVault};
    return ring->SealingKeys()->ToJson(audiences);
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
    r.args = Args();
    return r;
  }
  FakeClock clock;
  std::unique_ptr<credential::SigningKeyStore> store = credential::NewInMemorySigningKeyStore();
  std::shared_ptr<credential::KeyRing> ring;
  std::unique_ptr<credential::CredentialIssuer> issuer;
  SigningKey agent_key = *SigningKey::Generate(Algorithm::kES256, "agent");
  RevocationFeed feed{clock, 5'000'000};
  AuthorityKeys keys{[this]() -> Result<std::string> { return ring->JwksJson(); }, clock};
  Status refusal;
  SealingKeys sealing{[this] { return ServeSealingKeys(); }, clock};
  FakeDecisionClient authority;
  StepCredentialClient client{authority,
                              keys,
                              &feed,
                              "mandate",
                              {{"tracker", "https://tracker.example.org"}, {"vault", kVault}},
                              clock,
                              StepCredentialClient::kReplayCapacity,
                              &sealing};
};

TEST_F(StepCredentialTest, AStepCredentialIsDecidedLocallyWithoutARoundTrip) {
  std::string credential = *issuer->MintStepCredential(Claims());
  Decision d = client.Authorize(Ask(credential));
  ASSERT_EQ(d.verdict, Verdict::kAllow) << d.PrimaryCode() << ": " << d.PrimaryMessage();
  EXPECT_EQ(d.task_id, "t_1");
  EXPECT_EQ(d.step, "read");
  EXPECT_TRUE(authority.asked.empty());
  EXPECT_EQ(keys.fetches(), 1);
  // The next call with a new credential: still local, keys cached.
  EXPECT_EQ(client.Authorize(Ask(Mint())).verdict, Verdict::kAllow);
  EXPECT_EQ(keys.fetches(), 1);
  EXPECT_TRUE(authority.asked.empty());
}

// The hole this closes: one decision, one call. A second use (with a fresh, valid proof) is
// refused with a reason naming the rule, and is not sent to the authority either.
TEST_F(StepCredentialTest, AStepCredentialAdmitsOneCall) {
  std::string credential = Mint();
  ASSERT_EQ(client.Authorize(Ask(credential)).verdict, Verdict::kAllow);
  clock.AdvanceSeconds(1);  // a fresh proof: only the credential repeats
  Decision again = client.Authorize(Ask(credential));
  EXPECT_EQ(again.verdict, Verdict::kDeny);
  EXPECT_EQ(again.PrimaryCode(), "credential.already_used");
  EXPECT_EQ(again.reasons.front().check, "credential");
  EXPECT_NE(again.PrimaryMessage().find("admits one call"), std::string::npos);
  EXPECT_EQ(again.task_id, "t_1");  // named in the audit record
  EXPECT_TRUE(authority.asked.empty());
}

// Full of unexpired identifiers, the replay cache refuses (could not decide: 503 at the gateway)
// rather than forget a spent credential and admit it again.
TEST_F(StepCredentialTest, AFullReplayCacheRefusesRatherThanForgets) {
  StepCredentialClient small(authority, keys, &feed, "mandate",
                             {{"tracker", "https://tracker.example.org"}}, clock,
                             /*replay_capacity=*/16);
  Decision d;
  int allowed = 0;
  for (int i = 0; i < 200 && d.PrimaryCode() != "replay.cache_full"; ++i) {
    d = small.Authorize(Ask(Mint()));
    if (d.verdict == Verdict::kAllow) ++allowed;
  }
  EXPECT_EQ(d.verdict, Verdict::kError);
  EXPECT_EQ(d.PrimaryCode(), "replay.cache_full");
  EXPECT_GT(allowed, 0);
  EXPECT_TRUE(authority.asked.empty());
}

// Spent only by a call that passes every check: a refused attempt (a thief's proof, arguments
// it does not cover) leaves it usable for the call it was issued for.
TEST_F(StepCredentialTest, ARefusedAttemptDoesNotSpendTheCredential) {
  std::string credential = Mint();
  AuthorizeRequest thief = Ask(credential);
  SigningKey other = *SigningKey::Generate(Algorithm::kES256, "thief");
  thief.agent.dpop_proof =
      *credential::MintDpopProof(other, "GET", kUrl, clock.NowSeconds(), credential);
  EXPECT_EQ(client.Authorize(thief).PrimaryCode(), "dpop.key_mismatch");
  AuthorizeRequest other_args = Ask(credential);
  other_args.args["id"] = 8;
  EXPECT_EQ(client.Authorize(other_args).PrimaryCode(), "credential.arguments_mismatch");
  EXPECT_EQ(client.Authorize(Ask(credential)).verdict, Verdict::kAllow);
}

// The `args` claim binds the arguments the authority decided on: another value is refused,
// member order is not a difference, and a credential without the claim is refused (fail closed).
TEST_F(StepCredentialTest, TheArgumentsAreBound) {
  AuthorizeRequest bigger = Ask(Mint());
  bigger.args["id"] = 1000000;
  Decision d = client.Authorize(bigger);
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_EQ(d.PrimaryCode(), "credential.arguments_mismatch");
  EXPECT_EQ(d.reasons.front().check, "credential");
  AuthorizeRequest extra = Ask(Mint());
  extra.args["admin"] = true;
  EXPECT_EQ(client.Authorize(extra).PrimaryCode(), "credential.arguments_mismatch");
  AuthorizeRequest none = Ask(Mint());
  none.args.clear();
  EXPECT_EQ(client.Authorize(none).PrimaryCode(), "credential.arguments_mismatch");
  AuthorizeRequest reordered = Ask(Mint());
  reordered.args = {{"fields", {"title", "state"}}, {"id", 7}};
  EXPECT_EQ(client.Authorize(reordered).verdict, Verdict::kAllow);
  CredentialClaims unbound = Claims();
  unbound.args.clear();
  Decision old = client.Authorize(Ask(*issuer->MintStepCredential(unbound)));
  EXPECT_EQ(old.PrimaryCode(), "credential.arguments_mismatch");
  EXPECT_NE(old.PrimaryMessage().find("does not bind"), std::string::npos);
}

// What a server thread may decide inline: only what needs no JWKS fetch and no authority call.
TEST_F(StepCredentialTest, DecidesWithoutWaitingOnlyWhatNeedsNoNetwork) {
  std::string credential = Mint();
  EXPECT_FALSE(client.TryAuthorizeWithoutWaiting(Ask(credential)));  // keys never fetched
  EXPECT_EQ(keys.fetches(), 0);
  ASSERT_EQ(client.Authorize(Ask(credential)).verdict, Verdict::kAllow);
  auto inline_decision = client.TryAuthorizeWithoutWaiting(Ask(Mint()));
  ASSERT_TRUE(inline_decision);
  EXPECT_EQ(inline_decision->verdict, Verdict::kAllow);
  // Refusals are decided inline too: a proof for another URL.
  credential = Mint();
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

TEST_F(StepCredentialTest, ARevokedTaskIsDeniedAtOnce) {
  ASSERT_EQ(client.Authorize(Ask(Mint())).verdict, Verdict::kAllow);
  std::string unused = Mint();
  ASSERT_TRUE(feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1"})").ok());
  Decision d = client.Authorize(Ask(unused));
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_EQ(d.PrimaryCode(), "revocation.task_revoked");
  EXPECT_EQ(d.reasons.front().check, "revocation");
}

// A replayed `all` names no task (an enforcement point that reconnects gets it so): credentials
// issued up to it are denied by their `iat`, those issued after it (new tasks) pass.
TEST_F(StepCredentialTest, AnAllRevocationWithoutTasksDeniesWhatWasIssuedUpToIt) {
  std::string held = Mint();
  const int64_t now = clock.NowMicros();
  ASSERT_TRUE(feed.OnEvent("revocation", "1",
                           R"({"id":1,"scope":"all","value":"","tasks":[],"at":)" +
                               std::to_string(now) + "}")
                  .ok());
  Decision d = client.Authorize(Ask(held));
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_EQ(d.PrimaryCode(), "revocation.task_revoked");
  clock.AdvanceSeconds(1);
  EXPECT_EQ(client.Authorize(Ask(Mint())).verdict, Verdict::kAllow);
}

// A bound connection (the gateway verified a proof of the agent's key on it before) may omit the
// proof for any credential bound to THAT key; every credential is still checked on its own:
// scope, arguments, single use, the deny set.
TEST_F(StepCredentialTest, AProvenConnectionNeedsNoNewProofButIsStillChecked) {
  AuthorizeRequest unproven = Ask(Mint());
  unproven.agent.dpop_proof.clear();
  EXPECT_EQ(client.Authorize(unproven).PrimaryCode(), "dpop.missing");
  auto bound = [&](std::string credential) {
    AuthorizeRequest r = Ask(credential);
    r.agent.dpop_proof.clear();
    r.agent.connection_jkt = agent_key.public_key().thumbprint();
    return r;
  };
  AuthorizeRequest first = bound(Mint());
  Decision d = client.Authorize(first);
  EXPECT_EQ(d.verdict, Verdict::kAllow);
  EXPECT_EQ(d.proof, "bound_connection");
  EXPECT_TRUE(d.proven_jkt.empty());                                    // nothing new was proven
  EXPECT_EQ(client.Authorize(bound(Mint())).verdict, Verdict::kAllow);  // another credential
  EXPECT_EQ(client.Authorize(first).PrimaryCode(), "credential.already_used");
  AuthorizeRequest other_key = bound(Mint());
  other_key.agent.connection_jkt = "another-agents-key-thumbprint";
  EXPECT_EQ(client.Authorize(other_key).PrimaryCode(), "dpop.missing");
  AuthorizeRequest other_action = bound(Mint());
  other_action.action = "close_issue";
  EXPECT_EQ(client.Authorize(other_action).PrimaryCode(), "credential.scope_mismatch");
  AuthorizeRequest other_args = bound(Mint());
  other_args.args["id"] = 8;
  EXPECT_EQ(client.Authorize(other_args).PrimaryCode(), "credential.arguments_mismatch");
  ASSERT_TRUE(feed.OnEvent("revocation", "1", R"({"id":1,"scope":"task","value":"t_1"})").ok());
  EXPECT_EQ(client.Authorize(bound(Mint())).PrimaryCode(), "revocation.task_revoked");
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
  Decision d2 = client.Authorize(replay);
  ASSERT_EQ(d2.verdict, Verdict::kAllow);
  EXPECT_EQ(d2.proven_jkt, agent_key.public_key().thumbprint());  // what a connection binds
  replay.agent.task_token = Mint();  // the proof's `ath` no longer matches: refused before that
  EXPECT_EQ(client.Authorize(replay).PrimaryCode(), "dpop.ath_mismatch");
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

// Sealed step credentials (docs/design/sealed-step-credentials.md): verified under the
// audience's sealing keys from the authority, refetched on rotation (rate-limited), refused with
// the reason when the keys cannot be had; signed credentials keep working.
TEST_F(StepCredentialTest, ASealedCredentialIsDecidedLocallyOnceWithoutTheJwks) {
  const std::string credential = MintSealed();
  EXPECT_EQ(StepCredentialFormOf(credential), StepCredentialForm::kSealed);
  // Nothing fetched yet: the non-blocking path declines rather than fetch.
  EXPECT_FALSE(client.TryAuthorizeWithoutWaiting(AskVault(credential)).has_value());
  Decision d = client.Authorize(AskVault(credential));
  ASSERT_EQ(d.verdict, Verdict::kAllow) << d.PrimaryCode() << ": " << d.PrimaryMessage();
  EXPECT_EQ(sealing.fetches(), 1);
  EXPECT_EQ(keys.fetches(), 0);  // a sealed credential needs no public key
  auto next = client.TryAuthorizeWithoutWaiting(AskVault(MintSealed()));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->verdict, Verdict::kAllow);
  clock.AdvanceSeconds(1);
  EXPECT_EQ(client.Authorize(AskVault(credential)).PrimaryCode(), "credential.already_used");
  EXPECT_TRUE(authority.asked.empty());
}

TEST_F(StepCredentialTest, RotationRefetchesTheSealingKeysAtMostOncePerInterval) {
  ASSERT_EQ(client.Authorize(AskVault(MintSealed())).verdict, Verdict::kAllow);
  ASSERT_TRUE(ring->Rotate().ok());
  clock.AdvanceSeconds(10);
  Decision d = client.Authorize(AskVault(MintSealed()));  // sealed under the new key's sealing key
  EXPECT_EQ(d.verdict, Verdict::kAllow) << d.PrimaryCode();
  EXPECT_EQ(sealing.fetches(), 2);
  ASSERT_TRUE(ring->Rotate().ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client.Authorize(AskVault(MintSealed())).PrimaryCode(), "jws.sealing_key_unknown");
  }
  EXPECT_EQ(sealing.fetches(), 2);
  clock.AdvanceSeconds(5);
  EXPECT_EQ(client.Authorize(AskVault(MintSealed())).verdict, Verdict::kAllow);
}

TEST_F(StepCredentialTest, WithoutSealingKeysSealedAreRefusedWithTheReasonSignedStillPass) {
  refusal = Status(StatusCode::kUnavailable, "authority.bad_answer",
                   "the authority answered http 403 for the sealing keys");
  Decision d = client.Authorize(AskVault(MintSealed()));
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_EQ(d.PrimaryCode(), "jws.sealing_key_unknown");
  EXPECT_EQ(d.reasons.front().check, "authentication");
  EXPECT_NE(d.PrimaryMessage().find("http 403"), std::string::npos);
  // The tracker's credentials are signed (Ed25519): unaffected.
  const std::string signed_credential = Mint();
  EXPECT_EQ(StepCredentialFormOf(signed_credential), StepCredentialForm::kSigned);
  Decision tracker = client.Authorize(Ask(signed_credential));
  EXPECT_EQ(tracker.verdict, Verdict::kAllow) << tracker.PrimaryCode();
  EXPECT_TRUE(authority.asked.empty());
}

TEST_F(StepCredentialTest, AnEnforcementPointWithoutSealingRefusesSealedCredentials) {
  StepCredentialClient unsealed(authority, keys, &feed, "mandate", {{"vault", kVault}}, clock);
  Decision d = unsealed.Authorize(AskVault(MintSealed()));
  EXPECT_EQ(d.verdict, Verdict::kDeny);
  EXPECT_EQ(d.PrimaryCode(), "jws.sealing_key_unknown");
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

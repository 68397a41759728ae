#include "src/credential/credential.h"

#include <gtest/gtest.h>

#include <thread>

#include "src/credential/internal/claims.h"

namespace mandate::credential {
namespace {

struct Fixture {
  FakeClock clock;
  std::unique_ptr<SigningKeyStore> store = NewInMemorySigningKeyStore();
  std::shared_ptr<KeyRing> ring;
  std::unique_ptr<CredentialIssuer> issuer;
  std::unique_ptr<CredentialVerifier> verifier;
  SigningKey agent_key = *SigningKey::Generate(Algorithm::kEdDSA, "agent");
  std::string revoked_task;

  explicit Fixture(Algorithm alg = Algorithm::kEdDSA) {
    KeyRingOptions options;
    options.algorithm = alg;
    ring = *KeyRing::Open(*store, clock, options);
    issuer = std::make_unique<CredentialIssuer>("https://mandate.test", ring, clock);
    verifier = std::make_unique<CredentialVerifier>(
        "https://mandate.test", [this] { return ring->PublicKeys(); },
        [this](const CredentialClaims& c) {
          return c.task_id == revoked_task
                     ? PermissionDenied("credential.revoked", "credential: task revoked")
                     : Status();
        },
        clock);
  }

  CredentialClaims Step() const {
    CredentialClaims c;
    c.agent = "spiffe://example.org/agent/planner";
    c.audience = "github";
    c.action = "issues.create";
    c.resource = "repo/acme/app";
    c.task_id = "t-1";
    c.step = "open-issue";
    c.jkt = agent_key.public_key().thumbprint();
    c.actor_chain = {"spiffe://example.org/agent/executor", "spiffe://example.org/agent/root"};
    return c;
  }
};

TEST(Credential, StepCredentialRoundTripsWithEveryClaim) {
  for (Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    Fixture f(alg);
    auto token = f.issuer->MintStepCredential(f.Step());
    ASSERT_TRUE(token.has_value()) << token.error().ToString();
    auto claims = f.verifier->VerifyStepCredential(*token, "github");
    ASSERT_TRUE(claims.has_value()) << claims.error().ToString();
    EXPECT_EQ((*claims)->action, "issues.create");
    EXPECT_EQ((*claims)->resource, "repo/acme/app");
    EXPECT_EQ((*claims)->step, "open-issue");
    EXPECT_EQ((*claims)->expires_at - (*claims)->issued_at, 60);
    EXPECT_EQ((*claims)->actor_chain, f.Step().actor_chain);
    EXPECT_EQ((*claims)->jkt, f.agent_key.public_key().thumbprint());
    EXPECT_EQ((*claims)->jti.size(), 22u);
    // Cached: still the same answer, and still subject to the audience check.
    EXPECT_TRUE(f.verifier->VerifyStepCredential(*token, "github").has_value());
    EXPECT_EQ(f.verifier->VerifyStepCredential(*token, "slack").error().reason(),
              "jwt.aud_mismatch");
    // Not a task token.
    EXPECT_EQ(f.verifier->VerifyTaskToken(*token).error().reason(), "credential.type_mismatch");
  }
}

TEST(Credential, CacheNeverOutlivesExpiryOrRevocation) {
  Fixture f;
  auto token = *f.issuer->MintStepCredential(f.Step(), 5);
  ASSERT_TRUE(f.verifier->VerifyStepCredential(token, "github").has_value());
  f.revoked_task = "t-1";
  EXPECT_EQ(f.verifier->VerifyStepCredential(token, "github").error().reason(),
            "credential.revoked");
  f.revoked_task.clear();
  ASSERT_TRUE(f.verifier->VerifyStepCredential(token, "github").has_value());
  f.clock.AdvanceSeconds(5 + 30);
  EXPECT_EQ(f.verifier->VerifyStepCredential(token, "github").error().reason(), "jwt.expired");
}

TEST(Credential, SingleUseCredentialIsSpentOnce) {
  Fixture f;
  auto step = f.Step();
  step.single_use = true;
  auto token = *f.issuer->MintStepCredential(step);
  ASSERT_TRUE(f.verifier->VerifyStepCredential(token, "github").has_value());
  EXPECT_EQ(f.verifier->VerifyStepCredential(token, "github").error().reason(),
            "credential.already_used");
}

// What the authority mints now: single use, and the decided arguments' digest in `args`.
TEST(Credential, SingleUseAndArgumentsRoundTrip) {
  Fixture f;
  auto step = f.Step();
  step.single_use = true;
  step.args = ArgumentsClaim(boost::json::object{{"amount", 50}, {"currency", "EUR"}});
  auto token = *f.issuer->MintStepCredential(step);
  auto claims = f.verifier->VerifyStepCredential(token, "github", SingleUse::kDefer);
  ASSERT_TRUE(claims.has_value()) << claims.error().ToString();
  EXPECT_TRUE((*claims)->single_use);
  EXPECT_EQ((*claims)->args, step.args);
  EXPECT_EQ((*claims)->args.size(), 43u);  // base64url of 32 bytes, no padding
  // Deferred: not spent until the caller says so, then spent once.
  ASSERT_TRUE(f.verifier->VerifyStepCredential(token, "github", SingleUse::kDefer).has_value());
  EXPECT_TRUE(f.verifier->ConsumeSingleUse(**claims).ok());
  Status again = f.verifier->ConsumeSingleUse(**claims);
  EXPECT_EQ(again.reason(), "credential.already_used");
  EXPECT_NE(again.message().find("admits one call"), std::string::npos);
  EXPECT_EQ(f.verifier->VerifyStepCredential(token, "github").error().reason(),
            "credential.already_used");
  // Without the claims: none in the payload, and none parsed.
  auto plain = f.verifier->VerifyStepCredential(*f.issuer->MintStepCredential(f.Step()), "github");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE((*plain)->args.empty());
  EXPECT_FALSE((*plain)->single_use);
  EXPECT_TRUE(f.verifier->ConsumeSingleUse(**plain).ok());  // reusable ones are not spent
}

// A mistyped `args` or `single_use` is refused, never read as "unbound" or "reusable".
TEST(Credential, MistypedArgumentsOrSingleUseClaimsAreRefused) {
  Fixture f;
  auto step = f.Step();
  step.issuer = "https://mandate.test";
  step.jti = "j-1";
  step.issued_at = 1;
  step.expires_at = 61;
  step.args = "digest";
  std::string payload;
  internal::AppendClaimsJson(step, payload);
  ASSERT_TRUE(internal::ParseCredentialClaims(payload, CredentialKind::kStepCredential));
  for (auto [from, to] : {std::pair{R"("args":"digest")", R"("args":5)"},
                          std::pair{R"("args":"digest")", R"("args":"")"},
                          std::pair{R"("args":"digest")", R"("args":null)"},
                          std::pair{R"("args":"digest")", R"("single_use":"yes")"}}) {
    std::string bad = payload;
    bad.replace(bad.find(from), std::string_view(from).size(), to);
    auto parsed = internal::ParseCredentialClaims(bad, CredentialKind::kStepCredential);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().reason(), "credential.claim_invalid") << bad;
  }
}

// The `args` claim: SHA-256 of the canonical form, so member order does not matter, values do.
TEST(Credential, ArgumentsClaimDigestsTheCanonicalForm) {
  // base64url(SHA-256("{}")).
  EXPECT_EQ(ArgumentsClaim({}), "RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o");
  EXPECT_EQ(ArgumentsClaim({{"a", 1}, {"b", {{"y", 2}, {"x", 3}}}}),
            ArgumentsClaim({{"b", {{"x", 3}, {"y", 2}}}, {"a", 1}}));
  EXPECT_NE(ArgumentsClaim({{"amount", 50}}), ArgumentsClaim({{"amount", 1000000}}));
  EXPECT_NE(ArgumentsClaim({{"amount", 50}}), ArgumentsClaim({{"amount", "50"}}));
  EXPECT_NE(ArgumentsClaim({{"amount", 50}}), ArgumentsClaim({}));
}

TEST(Credential, TaskTokenBindsMandateAndDeadline) {
  Fixture f;
  CredentialClaims task;
  task.agent = "spiffe://example.org/agent/planner";
  task.task_id = "t-9";
  task.mandate = "payments";
  task.mandate_version = 3;
  task.jkt = f.agent_key.public_key().thumbprint();
  task.expires_at = f.clock.NowSeconds() + 600;
  auto token = f.issuer->MintTaskToken(task);
  ASSERT_TRUE(token.has_value());
  auto claims = f.verifier->VerifyTaskToken(*token);
  ASSERT_TRUE(claims.has_value()) << claims.error().ToString();
  EXPECT_EQ((*claims)->mandate, "payments");
  EXPECT_EQ((*claims)->mandate_version, 3);
  EXPECT_EQ((*claims)->audience, "https://mandate.test");
  EXPECT_EQ(f.verifier->VerifyStepCredential(*token, "github").error().reason(),
            "credential.type_mismatch");
}

// A bound connection re-admits the claims it holds instead of looking the token up again: the
// checks of every cached use still apply (revocation, expiry, the signing key still published).
TEST(Credential, ReadmitRechecksWhatEveryUseChecks) {
  Fixture f;
  CredentialClaims task;
  task.agent = "spiffe://example.org/agent/planner";
  task.task_id = "t-7";
  task.jkt = f.agent_key.public_key().thumbprint();
  task.mandate = "payments";
  task.mandate_version = 1;
  task.expires_at = f.clock.NowSeconds() + 600;
  auto token = f.issuer->MintTaskToken(task);
  ASSERT_TRUE(token.has_value()) << token.error().ToString();
  auto verified = f.verifier->VerifyTaskToken(*token);
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  auto claims = *verified;
  EXPECT_EQ(claims->kid, f.ring->Active()->key.kid());
  auto again = f.verifier->Readmit(claims);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->get(), claims.get());
  f.revoked_task = "t-7";
  EXPECT_EQ(f.verifier->Readmit(claims).error().reason(), "credential.revoked");
  f.revoked_task.clear();
  auto step = f.verifier->VerifyStepCredential(*f.issuer->MintStepCredential(f.Step()), "github");
  ASSERT_TRUE(step.has_value()) << step.error().ToString();
  EXPECT_EQ(f.verifier->Readmit(*step).error().reason(), "credential.type_mismatch");
  auto retired = std::make_shared<CredentialClaims>(*claims);
  retired->kid = "retired-key";
  EXPECT_EQ(f.verifier->Readmit(retired).error().reason(), "jws.kid_unknown");
  f.clock.AdvanceSeconds(3600);
  EXPECT_EQ(f.verifier->Readmit(claims).error().reason(), "jwt.expired");
}

TEST(KeyRing, RotationKeepsOldKeyForTheOverlapThenDropsIt) {
  Fixture f;
  auto before = *f.issuer->MintStepCredential(f.Step(), 7200);
  const std::string old_kid = f.ring->Active()->key.kid();
  f.clock.AdvanceSeconds(24 * 3600);
  ASSERT_TRUE(f.ring->RotateIfDue().ok());
  EXPECT_NE(f.ring->Active()->key.kid(), old_kid);
  EXPECT_EQ(f.ring->PublicKeys()->size(), 2u);
  f.clock.SetMicros(f.clock.NowMicros());  // no-op, keeps the clock explicit
  // The token is expired by now; a fresh one from the new key verifies, and the JWKS has both.
  auto after = *f.issuer->MintStepCredential(f.Step());
  EXPECT_TRUE(f.verifier->VerifyStepCredential(after, "github").has_value());
  EXPECT_NE(f.ring->JwksJson().find(old_kid), std::string::npos);
  f.clock.AdvanceSeconds(3601);
  ASSERT_TRUE(f.ring->RotateIfDue().ok());
  EXPECT_EQ(f.ring->PublicKeys()->size(), 1u);
  EXPECT_EQ(f.ring->JwksJson().find(old_kid), std::string::npos);
  // Reopening from the store restores the same active key.
  auto reopened = *KeyRing::Open(*f.store, f.clock);
  EXPECT_EQ(reopened->Active()->key.kid(), f.ring->Active()->key.kid());
}

// `mandate keys rotate` rotates through a second key ring over the same store while the server's
// ring keeps running: the server's next tick adopts the new key and keeps the old one published.
TEST(KeyRing, AdoptsARotationSavedByAnotherProcess) {
  Fixture f;
  const std::string old_kid = f.ring->Active()->key.kid();
  auto old_token = *f.issuer->MintStepCredential(f.Step(), 7200);
  f.clock.AdvanceSeconds(5);
  auto offline = *KeyRing::Open(*f.store, f.clock);
  ASSERT_TRUE(offline->Rotate().ok());
  const std::string new_kid = offline->Active()->key.kid();
  ASSERT_NE(new_kid, old_kid);
  EXPECT_EQ(f.ring->Active()->key.kid(), old_kid);  // not yet: the server ticks once a minute
  ASSERT_TRUE(f.ring->RotateIfDue().ok());
  EXPECT_EQ(f.ring->Active()->key.kid(), new_kid);
  EXPECT_TRUE(f.ring->PublicKeys()->Contains(old_kid));
  EXPECT_TRUE(f.verifier->VerifyStepCredential(old_token, "github").has_value());
  auto new_token = *f.issuer->MintStepCredential(f.Step());
  EXPECT_TRUE(f.verifier->VerifyStepCredential(new_token, "github").has_value());
  // After the overlap the old key is gone, and with it every credential it signed.
  f.clock.AdvanceSeconds(3601);
  ASSERT_TRUE(f.ring->RotateIfDue().ok());
  EXPECT_FALSE(f.ring->PublicKeys()->Contains(old_kid));
  EXPECT_EQ(f.verifier->VerifyStepCredential(old_token, "github").error().reason(),
            "jws.kid_unknown");
}

TEST(KeyRing, TokensOfARemovedKeyAreRejectedEvenWhenCached) {
  Fixture f;
  auto token = *f.issuer->MintStepCredential(f.Step(), 600);
  ASSERT_TRUE(f.verifier->VerifyStepCredential(token, "github").has_value());
  KeyRingOptions no_overlap;
  no_overlap.overlap_seconds = 0;
  auto store = NewInMemorySigningKeyStore();
  auto other = *KeyRing::Open(*store, f.clock);
  CredentialVerifier verifier(
      "https://mandate.test", [&] { return other->PublicKeys(); }, nullptr, f.clock);
  EXPECT_EQ(verifier.VerifyStepCredential(token, "github").error().reason(), "jws.kid_unknown");
}

TEST(Dpop, ProofBindsKeyMethodUrlTimeAndToken) {
  FakeClock clock;
  DpopVerifier verifier(clock);
  auto key = *SigningKey::Generate(Algorithm::kES256, "");
  auto proof = *MintDpopProof(key, "POST", "https://API.example.com:443/tools/call?x=1",
                              clock.NowSeconds(), "the-token");
  DpopCheck check{proof, "POST", "https://api.example.com/tools/call", "the-token",
                  key.public_key().thumbprint()};
  auto ok = verifier.Verify(check);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(verifier.Verify(check).error().reason(), "dpop.replayed");
}

// Regression for the per-thread `ath` cache: with many tokens in turn (a worker serving many
// agents), each proof is checked against the token actually presented, cached or not.
TEST(Dpop, AthIsCheckedAgainstThePresentedTokenAmongMany) {
  FakeClock clock;
  DpopVerifier verifier(clock);
  auto key = *SigningKey::Generate(Algorithm::kEdDSA, "");
  const std::string url = "https://api.example.com/v1/authorize";
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 20; ++i) {
      const std::string token = "token-" + std::to_string(i);
      const std::string other = "token-" + std::to_string((i + 1) % 20);
      auto proof = *MintDpopProof(key, "POST", url, clock.NowSeconds(), token);
      DpopCheck wrong{proof, "POST", url, other, key.public_key().thumbprint()};
      EXPECT_EQ(verifier.Verify(wrong).error().reason(), "dpop.ath_mismatch") << token;
      DpopCheck right{proof, "POST", url, token, key.public_key().thumbprint()};
      auto ok = verifier.Verify(right);
      EXPECT_TRUE(ok.has_value()) << token << ": " << ok.error().ToString();
      EXPECT_EQ(verifier.Verify(right).error().reason(), "dpop.replayed") << token;
    }
  }
}

TEST(Dpop, NormalizesHtu) {
  EXPECT_EQ(*NormalizeHtu("HTTPS://Example.COM:443"), "https://example.com/");
  EXPECT_EQ(*NormalizeHtu("http://127.0.0.1:8080/a%2fb?q#f"), "http://127.0.0.1:8080/a%2Fb");
  EXPECT_EQ(NormalizeHtu("ftp://x/").error().reason(), "dpop.htu_mismatch");
  EXPECT_EQ(NormalizeHtu("https://user@x/").error().reason(), "dpop.htu_mismatch");
}

TEST(Credential, ConcurrentVerificationIsConsistent) {
  Fixture f;
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(*f.issuer->MintStepCredential(f.Step()));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (f.verifier->VerifyStepCredential(tokens[i % tokens.size()], "github")) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

}  // namespace
}  // namespace mandate::credential

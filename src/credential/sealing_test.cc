// Sealed step credentials: HS256 minting and verification, and every refusal around it.
#include "src/credential/sealing.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "src/credential/credential.h"

namespace mandate::credential {
namespace {

constexpr std::string_view kIssuer = "https://mandate.test";

struct Sealed {
  FakeClock clock;
  std::unique_ptr<SigningKeyStore> store = NewInMemorySigningKeyStore();
  std::shared_ptr<KeyRing> ring;
  std::unique_ptr<CredentialIssuer> issuer;
  SigningKey agent_key = *SigningKey::Generate(Algorithm::kEdDSA, "agent");

  explicit Sealed(Algorithm alg = Algorithm::kEdDSA) {
    KeyRingOptions options;
    options.algorithm = alg;
    options.sealed_audiences = {"github", "gitlab"};
    ring = *KeyRing::Open(*store, clock, options);
    issuer = std::make_unique<CredentialIssuer>(std::string(kIssuer), ring, clock);
  }
  // A verifier as an enforcement point holds one: the JWKS and the sealing keys it was given.
  std::unique_ptr<CredentialVerifier> Verifier(SealingKeySource sealing) const {
    return std::make_unique<CredentialVerifier>(
        std::string(kIssuer), [this] { return ring->PublicKeys(); }, nullptr, clock,
        VerifierOptions{.sealing_keys = std::move(sealing)});
  }
  std::unique_ptr<CredentialVerifier> Verifier() const {
    return Verifier([this] { return ring->SealingKeys(); });
  }
  CredentialClaims Step(std::string audience = "github") const {
    CredentialClaims c;
    c.agent = "spiffe://example.org/agent/planner";
    c.audience = std::move(audience);
    c.action = "issues.create";
    c.resource = "repo/acme/app";
    c.task_id = "t-1";
    c.step = "open-issue";
    c.jkt = agent_key.public_key().thumbprint();
    c.single_use = true;
    return c;
  }
};

std::string Header(std::string_view token) {
  return *Base64UrlDecode(token.substr(0, token.find('.')));
}

// `header` + the token's payload, MACed under `key` (32 bytes) or signed by `signer`.
std::string Reseal(std::string_view token, std::string_view header, std::string_view mac_key) {
  const size_t dot = token.find('.');
  std::string out = Base64UrlEncode(header) + "." +
                    std::string(token.substr(dot + 1, token.rfind('.') - dot - 1));
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(mac_key.data()),
                              mac_key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(out.data()),
                                out.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return out + "." + Base64UrlEncode(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
}

TEST(HkdfSha256, MatchesRfc5869TestCase1) {
  const std::string ikm(22, '\x0b');
  const std::string salt("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 13);
  const std::string info("\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9", 10);
  auto okm = internal::HkdfSha256(salt, ikm, info);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, okm.data(), okm.size());
  // The first 32 of the RFC's 42 output bytes (T(1)).
  EXPECT_STREQ(hex, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
}

TEST(Sealing, KeysAreDerivedPerSigningKeyAndAudience) {
  Sealed f;
  const SigningKey& signing = f.ring->Active()->key;
  auto github = *DeriveSealingKey(signing, "github");
  EXPECT_EQ(github.secret, DeriveSealingKey(signing, "github")->secret);  // deterministic
  EXPECT_NE(github.secret, DeriveSealingKey(signing, "gitlab")->secret);
  EXPECT_EQ(github.kid, signing.kid());
  const SealingKey* held = f.ring->SealingKeys()->Find(signing.kid(), "github");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->secret, github.secret);
  EXPECT_EQ(f.ring->SealingKeys()->Find(signing.kid(), "slack"), nullptr);
  auto other = *SigningKey::Generate(Algorithm::kEdDSA, signing.kid());  // same kid, new key
  EXPECT_NE(DeriveSealingKey(other, "github")->secret, github.secret);
  // Never from public material: a key without its private part derives nothing.
  EXPECT_FALSE(DeriveSealingKey(*SigningKey::Generate(Algorithm::kRS256, "rsa"), "github"));
  EXPECT_EQ(DeriveSealingKey(signing, "").error().reason(), "sealing.audience_invalid");
}

TEST(Sealing, SealedAudienceIsMintedHs256AndVerifiesOnce) {
  for (Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    Sealed f(alg);
    auto token = *f.issuer->MintStepCredential(f.Step());
    EXPECT_EQ(Header(token), R"({"alg":"HS256","kid":")" + f.ring->Active()->key.kid() +
                                 R"(","typ":"mandate-step+jwt"})");
    auto verifier = f.Verifier();
    auto claims = verifier->VerifyStepCredential(token, "github");
    ASSERT_TRUE(claims.has_value()) << claims.error().ToString();
    EXPECT_TRUE((*claims)->sealed);
    EXPECT_EQ((*claims)->kid, f.ring->Active()->key.kid());
    EXPECT_EQ((*claims)->action, "issues.create");
    EXPECT_EQ(verifier->VerifyStepCredential(token, "github").error().reason(),
              "credential.already_used");
    // An audience nobody sealed stays signed, exactly as before.
    auto slack = *f.issuer->MintStepCredential(f.Step("slack"));
    EXPECT_NE(Header(slack).find(std::string(AlgorithmName(alg))), std::string::npos);
    ASSERT_TRUE(verifier->VerifyStepCredential(slack, "slack").has_value());
  }
}

TEST(Sealing, RefusesAnotherAudienceAMissingKeyAndATamperedSeal) {
  Sealed f;
  auto token = *f.issuer->MintStepCredential(f.Step());
  // Sealed for github, presented to gitlab's enforcement point: gitlab's key does not verify it.
  EXPECT_EQ(f.Verifier()->VerifyStepCredential(token, "gitlab").error().reason(),
            "jws.signature_invalid");
  // An enforcement point holding only gitlab's keys has no key for github's credential.
  auto gitlab_only = std::make_shared<SealingKeySet>();
  gitlab_only->Add(*DeriveSealingKey(f.ring->Active()->key, "gitlab"));
  auto gitlab_ep = f.Verifier([gitlab_only] { return gitlab_only; });
  EXPECT_EQ(gitlab_ep->VerifyStepCredential(token, "github").error().reason(),
            "jws.sealing_key_unknown");
  // No sealing keys at all: refused, fail closed.
  EXPECT_EQ(f.Verifier(nullptr)->VerifyStepCredential(token, "github").error().reason(),
            "jws.sealing_key_unknown");
  EXPECT_EQ(f.Verifier([] { return std::shared_ptr<const SealingKeySet>(); })
                ->VerifyStepCredential(token, "github")
                .error()
                .reason(),
            "jws.sealing_key_unknown");
  // A flipped bit of the MAC, a truncated MAC, a MAC under another key.
  std::string flipped = token;
  flipped[flipped.size() - 2] = flipped[flipped.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(f.Verifier()->VerifyStepCredential(flipped, "github").error().reason(),
            "jws.signature_invalid");
  EXPECT_EQ(f.Verifier()
                ->VerifyStepCredential(token.substr(0, token.size() - 3), "github")
                .error()
                .reason(),
            "jws.signature_invalid");
  std::string wrong_key(32, 'k');
  EXPECT_EQ(f.Verifier()
                ->VerifyStepCredential(Reseal(token, Header(token), wrong_key), "github")
                .error()
                .reason(),
            "jws.signature_invalid");
  // The untouched token still verifies: none of the above spent it.
  EXPECT_TRUE(f.Verifier()->VerifyStepCredential(token, "github").has_value());
}

TEST(Sealing, AlgorithmConfusionIsRefused) {
  Sealed f;
  const SigningKey& signing = f.ring->Active()->key;
  auto sealed = *f.issuer->MintStepCredential(f.Step());
  auto signed_token = *f.issuer->MintStepCredential(f.Step("slack"));
  const std::string kid = signing.kid();
  const std::string hs = R"({"alg":"HS256","kid":")" + kid + R"(","typ":"mandate-step+jwt"})";
  // HS256 keyed with the signing key's public bytes (the JWK `x`, raw or as text): for an
  // audience without sealing there is no key at all; for a sealed one the MAC does not verify.
  const std::string x = std::string(signing.public_key().ToJwk().at("x").as_string());
  for (const std::string& public_bytes :
       {*Base64UrlDecode(x), x, signing.public_key().thumbprint()}) {
    EXPECT_EQ(f.Verifier()
                  ->VerifyStepCredential(Reseal(signed_token, hs, public_bytes), "slack")
                  .error()
                  .reason(),
              "jws.sealing_key_unknown");
    EXPECT_EQ(f.Verifier()
                  ->VerifyStepCredential(Reseal(sealed, hs, public_bytes), "github")
                  .error()
                  .reason(),
              "jws.signature_invalid");
  }
  // An EdDSA header over a sealed credential's MAC: checked against the public key, refused.
  const std::string ed = R"({"alg":"EdDSA","kid":")" + kid + R"(","typ":"mandate-step+jwt"})";
  const size_t dot = sealed.find('.');
  const std::string relabelled = Base64UrlEncode(ed) + sealed.substr(dot);
  EXPECT_EQ(f.Verifier()->VerifyStepCredential(relabelled, "github").error().reason(),
            "jws.signature_invalid");
  // HS256 never for a task token, even MACed under a real sealing key.
  CredentialClaims task;
  task.agent = "spiffe://example.org/agent/planner";
  task.task_id = "t-1";
  task.mandate = "m";
  task.jkt = f.agent_key.public_key().thumbprint();
  task.expires_at = f.clock.NowSeconds() + 600;
  auto task_token = *f.issuer->MintTaskToken(task);
  const std::string task_hs = R"({"alg":"HS256","kid":")" + kid + R"(","typ":"mandate-task+jwt"})";
  const SealingKey* key = f.ring->SealingKeys()->Find(kid, "github");
  const std::string secret(reinterpret_cast<const char*>(key->secret.data()), 32);
  EXPECT_EQ(f.Verifier()->VerifyTaskToken(Reseal(task_token, task_hs, secret)).error().reason(),
            "jws.alg_key_mismatch");
  // Other spellings of HMAC and `none` stay refused by the header parser.
  for (std::string_view alg : {"hs256", "HS384", "HS512", "none"}) {
    const std::string h =
        R"({"alg":")" + std::string(alg) + R"(","kid":")" + kid + R"(","typ":"mandate-step+jwt"})";
    auto r = f.Verifier()->VerifyStepCredential(Reseal(sealed, h, secret), "github");
    ASSERT_FALSE(r.has_value()) << alg;
    EXPECT_TRUE(r.error().reason() == "jws.alg_key_mismatch" ||
                r.error().reason() == "jws.alg_none")
        << alg << ": " << r.error().reason();
  }
  // Outside the step-credential verifier HS256 is refused as before.
  EXPECT_EQ(DecodeJws(sealed).error().reason(), "jws.alg_key_mismatch");
  // Without a `kid` there is nothing to select a sealing key by.
  EXPECT_EQ(f.Verifier()
                ->VerifyStepCredential(
                    Reseal(sealed, R"({"alg":"HS256","typ":"mandate-step+jwt"})", secret), "github")
                .error()
                .reason(),
            "jws.kid_missing");
}

TEST(Sealing, RotationKeepsTheOldSealingKeyForTheOverlapThenRetiresIt) {
  Sealed f;
  auto before = *f.issuer->MintStepCredential(f.Step());
  const std::string old_kid = f.ring->Active()->key.kid();
  f.clock.AdvanceSeconds(10);
  ASSERT_TRUE(f.ring->Rotate().ok());
  auto after = *f.issuer->MintStepCredential(f.Step());
  EXPECT_NE(Header(after).find(f.ring->Active()->key.kid()), std::string::npos);
  auto verifier = f.Verifier();
  EXPECT_TRUE(verifier->VerifyStepCredential(before, "github").has_value());
  EXPECT_TRUE(verifier->VerifyStepCredential(after, "github").has_value());
  const SealingKey* old_key = f.ring->SealingKeys()->Find(old_kid, "github");
  ASSERT_NE(old_key, nullptr);
  EXPECT_EQ(old_key->retire_at, f.clock.NowSeconds() + 3600);
  auto late = *f.issuer->MintStepCredential(f.Step(), 7200);
  f.clock.AdvanceSeconds(3601);
  ASSERT_TRUE(f.ring->RotateIfDue().ok());
  EXPECT_EQ(f.ring->SealingKeys()->Find(old_kid, "github"), nullptr);
  EXPECT_TRUE(f.Verifier()->VerifyStepCredential(late, "github").has_value());
}

// An enforcement point's fetched copy may outlive the signing key's retirement by its ttl:
// the retirement time it carries is honoured.
TEST(Sealing, ARetiredSealingKeyInAFetchedCopyVerifiesNothing) {
  Sealed f;
  auto token = *f.issuer->MintStepCredential(f.Step(), 7200);
  auto copy = std::make_shared<SealingKeySet>();
  SealingKey key = *f.ring->SealingKeys()->Find(f.ring->Active()->key.kid(), "github");
  key.retire_at = f.clock.NowSeconds() + 100;
  copy->Add(key);
  auto verifier = f.Verifier([copy] { return copy; });
  f.clock.AdvanceSeconds(100 + 30 - 1);
  EXPECT_TRUE(verifier->VerifyStepCredential(token, "github", SingleUse::kDefer).has_value());
  f.clock.AdvanceSeconds(1);
  EXPECT_EQ(verifier->VerifyStepCredential(token, "github").error().reason(),
            "jws.sealing_key_unknown");
}

TEST(Sealing, KeyDocumentRoundTripsAndRefusesHostileInput) {
  Sealed f;
  const auto& keys = *f.ring->SealingKeys();
  const std::vector<std::string> github{"github"};
  auto parsed = SealingKeySet::FromJson(keys.ToJson(github));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  ASSERT_EQ(parsed->keys().size(), 1u);
  EXPECT_EQ(parsed->keys()[0].audience, "github");
  EXPECT_EQ(parsed->keys()[0].secret, keys.Find(parsed->keys()[0].kid, "github")->secret);
  EXPECT_TRUE(SealingKeySet::FromJson(keys.ToJson({}))->empty());
  const std::string k = Base64UrlEncode(std::string(32, 'k'));
  for (const std::string& bad : std::vector<std::string>{
           std::string("nope"), std::string("[]"), std::string(R"({"keys":5})"), R"({"keys":[5]})",
           R"({"keys":[{"kty":"oct","alg":"HS512","kid":"a","aud":"b","k":")" + k + "\"}]}",
           R"({"keys":[{"kty":"RSA","alg":"HS256","kid":"a","aud":"b","k":")" + k + "\"}]}",
           R"({"keys":[{"kty":"oct","alg":"HS256","kid":"","aud":"b","k":")" + k + "\"}]}",
           R"({"keys":[{"kty":"oct","alg":"HS256","kid":"a","aud":"b","k":"AAAA"}]})",
           R"({"keys":[{"kty":"oct","alg":"HS256","kid":"a","aud":"b","k":"@@"}]})",
           R"({"keys":[{"kty":"oct","alg":"HS256","kid":"a","aud":"b","k":")" + k +
               R"(","retire_at":"soon"}]})",
           std::string(2 << 20, '[')}) {
    auto r = SealingKeySet::FromJson(bad);
    ASSERT_FALSE(r.has_value()) << bad.substr(0, 80);
    EXPECT_EQ(r.error().reason(), "sealing.keys_invalid");
  }
}

}  // namespace
}  // namespace mandate::credential

#include <gtest/gtest.h>

#include "src/credential/jose.h"

namespace mandate::credential {
namespace {

// RFC 8037 Appendix A.1 (key), A.3 (thumbprint), A.4 (JWS).
constexpr std::string_view kRfc8037Jwk =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr std::string_view kRfc8037Jws =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// RFC 7515 Appendix A.3.
constexpr std::string_view kRfc7515A3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
constexpr std::string_view kRfc7515A3Jws =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

TEST(JoseVectors, Rfc8037Ed25519SignsAndVerifiesExactly) {
  auto key = SigningKey::FromJwkText(kRfc8037Jwk);
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
  EXPECT_EQ(key->public_key().thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  auto signed_token = SignCompact(*key, R"({"alg":"EdDSA"})", "Example of Ed25519 signing");
  ASSERT_TRUE(signed_token.has_value());
  EXPECT_EQ(*signed_token, kRfc8037Jws);
  auto jws = DecodeJws(kRfc8037Jws);
  ASSERT_TRUE(jws.has_value()) << jws.error().ToString();
  EXPECT_EQ(jws->payload, "Example of Ed25519 signing");
  EXPECT_TRUE(key->public_key().Verify(jws->alg, jws->signing_input, jws->signature).ok());
}

TEST(JoseVectors, Rfc7515A3Es256Verifies) {
  auto key = SigningKey::FromJwkText(kRfc7515A3Jwk);
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
  auto jws = DecodeJws(kRfc7515A3Jws);
  ASSERT_TRUE(jws.has_value()) << jws.error().ToString();
  EXPECT_EQ(jws->alg, Algorithm::kES256);
  Status s = key->public_key().Verify(jws->alg, jws->signing_input, jws->signature);
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto claims = ParseClaims(jws->payload);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->at("iss").as_string(), "joe");
  // Flipping one bit of the signature must fail.
  std::string bad = jws->signature;
  bad[5] ^= 1;
  EXPECT_EQ(key->public_key().Verify(jws->alg, jws->signing_input, bad).reason(),
            "jws.signature_invalid");
}

TEST(Jose, EveryAlgorithmRoundTrips) {
  FakeClock clock;
  for (Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kES384, Algorithm::kRS256,
                        Algorithm::kPS256}) {
    auto key = SigningKey::Generate(alg, "k1");
    ASSERT_TRUE(key.has_value());
    std::string header = R"({"alg":")" + std::string(AlgorithmName(alg)) + R"(","kid":"k1"})";
    std::string payload = R"({"iss":"me","exp":)" + std::to_string(clock.NowSeconds() + 60) + "}";
    auto token = SignCompact(*key, header, payload);
    ASSERT_TRUE(token.has_value());
    KeySet set;
    set.Add(key->public_key());
    ClaimRules rules;
    rules.issuers = {"me"};
    auto claims = VerifyJwt(*token, set, rules, clock);
    EXPECT_TRUE(claims.has_value()) << AlgorithmName(alg) << ": " << claims.error().ToString();
    // The JWKS round trip keeps the key usable.
    auto reparsed = KeySet::FromJwks(set.ToJwksJson());
    ASSERT_TRUE(reparsed.has_value()) << reparsed.error().ToString();
    EXPECT_TRUE(VerifyJwt(*token, *reparsed, {}, clock).has_value());
  }
}

TEST(Jose, PrivateJwkRoundTrip) {
  for (Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kES384}) {
    auto key = SigningKey::Generate(alg, "k");
    ASSERT_TRUE(key.has_value());
    auto jwk = key->ToPrivateJwk();
    ASSERT_TRUE(jwk.has_value());
    auto again = SigningKey::FromJwk(*jwk);
    ASSERT_TRUE(again.has_value()) << again.error().ToString();
    EXPECT_EQ(again->public_key().thumbprint(), key->public_key().thumbprint());
    auto sig = again->Sign("abc");
    ASSERT_TRUE(sig.has_value());
    EXPECT_TRUE(key->public_key().Verify(alg, "abc", *sig).ok());
  }
}

// The r || s <-> DER conversion is hand-written: hundreds of signatures cover r and s with the
// top bit set (DER sign padding) and, now and then, with leading zero bytes.
TEST(Jose, EcdsaSignaturesRoundTripThroughDer) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384}) {
    auto key = SigningKey::Generate(alg, "k");
    ASSERT_TRUE(key.has_value());
    for (int i = 0; i < 300; ++i) {
      const std::string input = "message " + std::to_string(i);
      auto sig = key->Sign(input);
      ASSERT_TRUE(sig.has_value());
      ASSERT_EQ(sig->size(), alg == Algorithm::kES256 ? 64u : 96u);
      ASSERT_TRUE(key->public_key().Verify(alg, input, *sig).ok()) << i;
    }
    // r = 0 and a zero-length signature are refused, not crashed on.
    std::string zero(alg == Algorithm::kES256 ? 64 : 96, '\0');
    EXPECT_EQ(key->public_key().Verify(alg, "m", zero).reason(), "jws.signature_invalid");
    EXPECT_EQ(key->public_key().Verify(alg, "m", "").reason(), "jws.signature_invalid");
  }
}

TEST(Jose, Base64UrlIsStrict) {
  EXPECT_EQ(Base64UrlEncode("hi?"), "aGk_");
  EXPECT_TRUE(Base64UrlDecode("aGk_").has_value());
  EXPECT_EQ(Base64UrlDecode("aGk=").error().reason(), "jws.base64_noncanonical");
  EXPECT_EQ(Base64UrlDecode("aGk/").error().reason(), "jws.base64_noncanonical");
  EXPECT_EQ(Base64UrlDecode("aGl").error().reason(), "jws.base64_noncanonical");  // trailing bits
  EXPECT_EQ(Base64UrlDecode("a").error().reason(), "jws.base64_noncanonical");
  EXPECT_EQ(*Base64UrlDecode("aGk"), "hi");
}

}  // namespace
}  // namespace mandate::credential

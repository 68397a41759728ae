// Scoped enforcement-point tokens: minting, verification and hostile input.
#include "src/credential/ep_token.h"

#include <gtest/gtest.h>

#include "src/credential/jose.h"

namespace mandate::credential {
namespace {

constexpr std::string_view kFull =
    "9f2c0a1b7d3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";

TEST(ScopedEpToken, RoundTripsItsScope) {
  auto token = MintScopedEpToken(kFull, {"gw-payments", {"payments", "refunds"}});
  ASSERT_TRUE(token.has_value()) << token.error().ToString();
  EXPECT_TRUE(LooksLikeScopedEpToken(*token));
  auto scope = VerifyScopedEpToken(*token, kFull);
  ASSERT_TRUE(scope.has_value()) << scope.error().ToString();
  EXPECT_EQ(scope->name, "gw-payments");
  EXPECT_EQ(scope->audiences, (std::vector<std::string>{"payments", "refunds"}));
}

TEST(ScopedEpToken, RotatingTheFullTokenInvalidatesIt) {
  auto token = *MintScopedEpToken(kFull, {"", {"payments"}});
  std::string rotated(kFull);
  rotated[0] = 'a';
  EXPECT_EQ(VerifyScopedEpToken(token, rotated).error().reason(), "ep.token_invalid");
  EXPECT_EQ(VerifyScopedEpToken(token, "").error().reason(), "ep.token_invalid");
}

TEST(ScopedEpToken, ForgedOrMalformedTokensAreRefused) {
  auto token = *MintScopedEpToken(kFull, {"gw", {"payments"}});
  const size_t dot = token.rfind('.');
  // Another scope with the original MAC: the payload is what the MAC covers.
  std::string widened = std::string(kScopedEpTokenPrefix) +
                        Base64UrlEncode(R"({"name":"gw","aud":["payments","crm"]})") +
                        token.substr(dot);
  std::string flipped = token;
  flipped[dot + 3] = flipped[dot + 3] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {widened, flipped, token.substr(0, dot), token.substr(0, dot + 1), std::string("mep1."),
        std::string("mep1.."), std::string("mep2") + token.substr(4), std::string(kFull),
        std::string(""), token + "A", std::string(9000, 'm'), "mep1." + std::string(8000, '.')}) {
    auto r = VerifyScopedEpToken(bad, kFull);
    ASSERT_FALSE(r.has_value()) << bad.substr(0, 60);
    EXPECT_EQ(r.error().reason(), "ep.token_invalid");
    EXPECT_EQ(r.error().code(), StatusCode::kUnauthenticated);
  }
}

TEST(ScopedEpToken, MintingRefusesAnEmptyOrOversizedScope) {
  EXPECT_EQ(MintScopedEpToken(kFull, {"gw", {}}).error().reason(), "ep.scope_invalid");
  EXPECT_EQ(MintScopedEpToken(kFull, {"gw", {"a", "a"}}).error().reason(), "ep.scope_invalid");
  EXPECT_EQ(MintScopedEpToken(kFull, {"gw", {""}}).error().reason(), "ep.scope_invalid");
  EXPECT_EQ(MintScopedEpToken(kFull, {std::string(300, 'n'), {"a"}}).error().reason(),
            "ep.scope_invalid");
  EXPECT_EQ(MintScopedEpToken(kFull, {"gw", std::vector<std::string>(65, "a")}).error().reason(),
            "ep.scope_invalid");
  EXPECT_EQ(MintScopedEpToken("", {"gw", {"a"}}).error().reason(), "ep.token_invalid");
}

}  // namespace
}  // namespace mandate::credential

#include <gtest/gtest.h>

#include <sodium.h>

#include <boost/json/serialize.hpp>
#include <cstring>
#include <map>

#include "src/identity/identity.h"
#include "src/identity/internal/test_svids.h"

namespace mandate::identity {
namespace {

using credential::Algorithm;
using credential::SigningKey;

TEST(SpiffeId, AcceptsValidIds) {
  for (std::string_view text :
       {"spiffe://example.org", "spiffe://staging.example.com/payments/mysql",
        "spiffe://k8s-west.example.com/ns/staging/sa/default",
        "spiffe://example.com/9eebccd2-12bf-40a6-b262-65fe0487d453", "spiffe://1.2.3.4/a_b.c-D",
        "spiffe://trust_domain_name.example.com/x"}) {
    auto id = ParseSpiffeId(text);
    ASSERT_TRUE(id.has_value()) << text << ": " << id.error().ToString();
    EXPECT_EQ(id->ToString(), text);
  }
  auto id = *ParseSpiffeId("spiffe://example.org/a/b");
  EXPECT_EQ(id.trust_domain, "example.org");
  EXPECT_EQ(id.path, "/a/b");
  EXPECT_TRUE(ParseSpiffeId("spiffe://" + std::string(255, 'a')).has_value());
  EXPECT_TRUE(ParseSpiffeId("spiffe://a/" + std::string(2048 - 11, 'b')).has_value());
}

TEST(X509Svid, VerifiesLeafAndIntermediateChains) {
  TrustBundles bundles;
  auto bundle = LoadSpiffeBundleFile("example.org", testing::SvidDir() + "/ca.pem");
  ASSERT_TRUE(bundle.has_value()) << bundle.error().ToString();
  bundles.Set(std::move(*bundle));
  SystemClock clock;
  std::vector<std::string> chain{testing::SvidDer("good")};
  auto id = VerifyX509Svid(chain, bundles, clock);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->ToString(), "spiffe://example.org/agent/planner");
  std::vector<std::string> via{testing::SvidDer("via_inter"), testing::SvidDer("inter")};
  auto executor = VerifyX509Svid(via, bundles, clock);
  ASSERT_TRUE(executor.has_value()) << executor.error().ToString();
  EXPECT_EQ(executor->path, "/agent/executor");
}

TEST(SpiffeBundle, ReadsJwksFormWithBothKeyUses) {
  auto jwt_key = *SigningKey::Generate(Algorithm::kES256, "jwt-1");
  boost::json::object jwk = jwt_key.public_key().ToJwk();
  jwk["use"] = "jwt-svid";
  std::string pem = testing::ReadFile(testing::SvidDir() + "/ca.pem");
  auto pem_bundle = ParseSpiffeBundle("example.org", pem);
  ASSERT_TRUE(pem_bundle.has_value());
  std::string der = pem_bundle->x509_authorities_der.front();
  // Standard base64 for x5c (RFC 7517 section 4.7).
  std::string b64(der.size() * 2, '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(der.data()),
                    der.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(std::strlen(b64.c_str()));
  boost::json::object x509{{"kty", "EC"}, {"use", "x509-svid"}, {"x5c", boost::json::array{b64}}};
  boost::json::object doc{{"keys", boost::json::array{jwk, x509}},
                          {"spiffe_sequence", 7},
                          {"spiffe_refresh_hint", 300}};
  auto bundle = ParseSpiffeBundle("example.org", boost::json::serialize(doc));
  ASSERT_TRUE(bundle.has_value()) << bundle.error().ToString();
  EXPECT_EQ(bundle->jwt_authorities.size(), 1u);
  EXPECT_EQ(bundle->x509_authorities_der.size(), 1u);
  EXPECT_EQ(bundle->sequence, 7);
  EXPECT_EQ(bundle->refresh_hint_seconds, 300);
}

TEST(JwtSvid, VerifiesAgainstTheTrustDomainBundle) {
  FakeClock clock;
  auto key = *SigningKey::Generate(Algorithm::kES256, "td-key");
  SpiffeBundle bundle;
  bundle.trust_domain = "example.org";
  bundle.jwt_authorities.Add(key.public_key());
  TrustBundles bundles;
  bundles.Set(bundle);
  std::string payload = R"({"sub":"spiffe://example.org/agent/planner","aud":["mandate"],"exp":)" +
                        std::to_string(clock.NowSeconds() + 300) + "}";
  auto token =
      *credential::SignCompact(key, R"({"alg":"ES256","kid":"td-key","typ":"JWT"})", payload);
  VerifyOptions options;
  options.audience = "mandate";
  auto identity = VerifyJwtSvid(token, bundles, options, clock);
  ASSERT_TRUE(identity.has_value()) << identity.error().ToString();
  EXPECT_EQ(identity->id, "spiffe://example.org/agent/planner");
  EXPECT_EQ(identity->issuer, "spiffe://example.org");
  options.audience = "other";
  EXPECT_EQ(VerifyJwtSvid(token, bundles, options, clock).error().reason(), "jwt.aud_mismatch");
}

class FakeFetcher final : public HttpFetcher {
 public:
  std::map<std::string, std::string> documents;
  int calls = 0;
  Result<std::string> Get(std::string_view url) override {
    ++calls;
    MANDATE_RETURN_IF_ERROR(CheckFetchUrl(url));
    auto it = documents.find(std::string(url));
    if (it == documents.end()) return Err(Status(StatusCode::kUnavailable, "oidc.fetch", "down"));
    return it->second;
  }
};

TEST(OidcDiscovery, RefreshesOnUnknownKidRateLimitedAndSurvivesOutages) {
  FakeClock clock;
  auto fetcher = std::make_shared<FakeFetcher>();
  const std::string issuer = "https://idp.example.com";
  fetcher->documents[issuer + "/.well-known/openid-configuration"] =
      R"({"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks"})";
  auto a = *SigningKey::Generate(Algorithm::kRS256, "a");
  auto b = *SigningKey::Generate(Algorithm::kES256, "b");
  credential::KeySet only_a;
  only_a.Add(a.public_key());
  fetcher->documents[issuer + "/jwks"] = only_a.ToJwksJson();
  auto source = NewOidcDiscoverySource(issuer, fetcher, clock);
  auto mint = [&](const SigningKey& k) {
    std::string header = R"({"alg":")" + std::string(credential::AlgorithmName(k.algorithm())) +
                         R"(","kid":")" + k.kid() + "\"}";
    return *credential::SignCompact(k, header,
                                    R"({"iss":"https://idp.example.com","sub":"agent-7","exp":)" +
                                        std::to_string(clock.NowSeconds() + 600) + "}");
  };
  VerifyOptions options;
  auto identity = VerifyOidcToken(mint(a), issuer, *source, options, clock);
  ASSERT_TRUE(identity.has_value()) << identity.error().ToString();
  EXPECT_EQ(identity->id, "https://idp.example.com#agent-7");
  // The issuer rotates to b: the unknown kid triggers one refresh.
  credential::KeySet both;
  both.Add(b.public_key());
  both.Add(a.public_key());
  fetcher->documents[issuer + "/jwks"] = both.ToJwksJson();
  clock.AdvanceSeconds(11);
  EXPECT_TRUE(VerifyOidcToken(mint(b), issuer, *source, options, clock).has_value());
  // Unknown kids within the rate limit do not hit the issuer again.
  const int calls = fetcher->calls;
  auto stranger = *SigningKey::Generate(Algorithm::kES256, "zzz");
  EXPECT_EQ(VerifyOidcToken(mint(stranger), issuer, *source, options, clock).error().reason(),
            "jws.kid_unknown");
  EXPECT_EQ(VerifyOidcToken(mint(stranger), issuer, *source, options, clock).error().reason(),
            "jws.kid_unknown");
  EXPECT_EQ(fetcher->calls, calls);
  // Outage: the cached keys keep working.
  fetcher->documents.clear();
  clock.AdvanceSeconds(400);
  EXPECT_TRUE(VerifyOidcToken(mint(b), issuer, *source, options, clock).has_value());
}

TEST(OidcDiscovery, RefusesPlainHttpToRemoteHostsAndIssuerMismatch) {
  EXPECT_EQ(CheckFetchUrl("http://idp.example.com/x").reason(), "oidc.insecure_url");
  EXPECT_EQ(CheckFetchUrl("http://127.0.0.1.evil.com/x").reason(), "oidc.insecure_url");
  EXPECT_EQ(CheckFetchUrl("http://127.0.0.1@evil.com/x").reason(), "oidc.insecure_url");
  EXPECT_TRUE(CheckFetchUrl("http://127.0.0.1:4000/x").ok());
  EXPECT_TRUE(CheckFetchUrl("http://localhost/x").ok());
  EXPECT_TRUE(CheckFetchUrl("https://idp.example.com/x").ok());
  FakeClock clock;
  auto fetcher = std::make_shared<FakeFetcher>();
  fetcher->documents["https://a.example/.well-known/openid-configuration"] =
      R"({"issuer":"https://b.example","jwks_uri":"https://a.example/jwks"})";
  auto source = NewOidcDiscoverySource("https://a.example", fetcher, clock);
  EXPECT_EQ(source->Keys(std::nullopt).error().reason(), "oidc.issuer_mismatch");
}

TEST(HowToFix, EveryReasonHasARemedy) {
  EXPECT_NE(HowToFix("jws.alg_none").find("unsigned"), std::string_view::npos);
  EXPECT_NE(HowToFix("spiffe.port").find("port"), std::string_view::npos);
}

}  // namespace
}  // namespace mandate::identity

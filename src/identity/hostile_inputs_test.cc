// The table of hostile and malformed inputs (issue 3 acceptance): tokens, step credentials,
// DPoP proofs, SPIFFE IDs, X.509-SVIDs and JWT-SVIDs, each with the reason it must be
// rejected with.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <functional>

#include "src/credential/credential.h"
#include "src/identity/identity.h"
#include "src/identity/internal/test_svids.h"

namespace mandate::identity {
namespace {

using namespace mandate::credential;

constexpr std::string_view kIssuer = "https://issuer.test";

struct Hostile {
  std::string name;
  std::function<Status()> attempt;
  std::string reason;
};

template <typename T>
Status StatusOf(const Result<T>& r) {
  return r ? Status() : r.error();
}

std::string B64(std::string_view s) { return Base64UrlEncode(s); }

class HostileInputs : public ::testing::Test {
 protected:
  FakeClock clock;
  SigningKey ed = *SigningKey::Generate(Algorithm::kEdDSA, "k1");
  SigningKey ec = *SigningKey::Generate(Algorithm::kES256, "k2");
  SigningKey agent = *SigningKey::Generate(Algorithm::kES256, "");
  SigningKey thief = *SigningKey::Generate(Algorithm::kEdDSA, "");
  KeySet two_keys;
  std::unique_ptr<SigningKeyStore> store = NewInMemorySigningKeyStore();
  std::shared_ptr<KeyRing> ring;
  std::unique_ptr<CredentialIssuer> issuer;
  std::unique_ptr<CredentialVerifier> verifier;
  std::unique_ptr<DpopVerifier> dpop;
  TrustBundles bundles;

  void SetUp() override {
    two_keys.Add(ed.public_key());
    two_keys.Add(ec.public_key());
    ring = *KeyRing::Open(*store, clock);
    issuer = std::make_unique<CredentialIssuer>(std::string(kIssuer), ring, clock);
    verifier = std::make_unique<CredentialVerifier>(
        std::string(kIssuer), [this] { return ring->PublicKeys(); },
        [](const CredentialClaims& c) {
          return c.task_id == "revoked-task"
                     ? PermissionDenied("credential.revoked", "credential: task revoked")
                     : Status();
        },
        clock);
    dpop = std::make_unique<DpopVerifier>(clock);
    auto ca = LoadSpiffeBundleFile("example.org", testing::SvidDir() + "/ca.pem");
    ASSERT_TRUE(ca.has_value());
    ca->jwt_authorities.Add(ec.public_key());
    ca->jwt_authorities.Add(ed.public_key());
    bundles.Set(std::move(*ca));
  }

  int64_t now() const { return clock.NowSeconds(); }
  std::string Claims(int64_t exp_delta = 300, std::string extra = "") const {
    return R"({"iss":"https://issuer.test","aud":"mandate","sub":"agent","exp":)" +
           std::to_string(now() + exp_delta) + extra + "}";
  }
  std::string Signed(std::string_view header, std::string_view payload,
                     const SigningKey& key) const {
    return *SignCompact(key, header, payload);
  }
  std::string Good() const { return Signed(R"({"alg":"EdDSA","kid":"k1"})", Claims(), ed); }
  Status Jwt(const std::string& token) const {
    ClaimRules rules;
    rules.issuers = {std::string(kIssuer)};
    rules.audience = "mandate";
    return StatusOf(VerifyJwt(token, two_keys, rules, clock));
  }
  CredentialClaims Step() const {
    CredentialClaims c;
    c.agent = "spiffe://example.org/agent";
    c.audience = "github";
    c.action = "issues.create";
    c.resource = "repo/acme";
    c.task_id = "t-1";
    c.step = "s1";
    c.jkt = agent.public_key().thumbprint();
    return c;
  }
  Status Proof(const std::string& proof, std::string_view method = "POST",
               std::string_view url = "https://gw.test/tools/call", std::string_view token = "",
               std::string_view jkt = "") const {
    return StatusOf(dpop->Verify({proof, method, url, token, jkt}));
  }
  std::string ProofWith(std::string_view header, std::string_view payload,
                        const SigningKey& key) const {
    return Signed(header, payload, key);
  }
  std::string AgentJwkJson() const {
    auto jwk = agent.public_key().ToJwk();
    jwk.erase("kid");
    jwk.erase("use");
    jwk.erase("alg");
    return boost::json::serialize(jwk);
  }
  std::string ProofClaims(int64_t iat_delta = 0, std::string extra = "") const {
    return R"({"jti":"j-)" + std::to_string(iat_delta) + std::to_string(extra.size()) +
           R"(","htm":"POST","htu":"https://gw.test/tools/call","iat":)" +
           std::to_string(now() + iat_delta) + extra + "}";
  }
  Status Spiffe(std::string_view text) const { return StatusOf(ParseSpiffeId(text)); }
  Status X509(std::vector<std::string> chain, int64_t advance_days = 0) const {
    FakeClock later(SystemClock().NowMicros() + advance_days * 86400LL * 1'000'000);
    return StatusOf(VerifyX509Svid(chain, bundles, later));
  }
  Status JwtSvid(const std::string& token, std::string aud = "mandate") const {
    VerifyOptions options;
    options.audience = std::move(aud);
    return StatusOf(VerifyJwtSvid(token, bundles, options, clock));
  }
};

TEST_F(HostileInputs, EachIsRejectedWithItsReason) {
  const std::string good = Good();
  const size_t dot2 = good.rfind('.');
  const std::string eh = R"({"alg":"EdDSA","kid":"k1"})";
  auto step = [&](CredentialClaims c) { return *issuer->MintStepCredential(c); };
  CredentialClaims revoked = Step();
  revoked.task_id = "revoked-task";
  CredentialClaims once = Step();
  once.single_use = true;
  const std::string once_token = step(once);
  CredentialClaims task = Step();
  task.mandate = "payments";
  task.expires_at = now() + 600;
  const std::string agent_jwk = AgentJwkJson();
  const std::string proof_header = R"({"alg":"ES256","typ":"dpop+jwt","jwk":)" + agent_jwk + "}";
  const std::string replayed = ProofWith(proof_header, ProofClaims(0, ",\"x\":1"), agent);
  auto private_jwk = *agent.ToPrivateJwk();
  private_jwk.erase("kid");
  const std::string svid_payload = R"({"sub":"spiffe://example.org/agent","aud":"mandate","exp":)" +
                                   std::to_string(now() + 60) + "}";

  std::vector<Hostile> table = {
      // --- JWS / JWT -------------------------------------------------------------------------
      {"alg none", [&] { return Jwt(B64(R"({"alg":"none"})") + "." + B64(Claims()) + "."); },
       "jws.alg_none"},
      {"alg NONE uppercase",
       [&] { return Jwt(B64(R"({"alg":"NONE","kid":"k1"})") + "." + B64(Claims()) + ".AA"); },
       "jws.alg_none"},
      {"hmac confusion HS256",
       [&] { return Jwt(Signed(R"({"alg":"HS256","kid":"k1"})", Claims(), ed)); },
       "jws.alg_key_mismatch"},
      {"ES256 header on Ed25519 key",
       [&] { return Jwt(Signed(R"({"alg":"ES256","kid":"k1"})", Claims(), ec)); },
       "jws.alg_key_mismatch"},
      {"unsupported alg ES512",
       [&] { return Jwt(Signed(R"({"alg":"ES512","kid":"k2"})", Claims(), ec)); },
       "jws.alg_unsupported"},
      {"crit names a registered header",
       [&] { return Jwt(Signed(R"({"alg":"EdDSA","kid":"k1","crit":["kid"]})", Claims(), ed)); },
       "jws.crit_unknown"},
      {"crit unknown extension",
       [&] {
         return Jwt(
             Signed(R"({"alg":"EdDSA","kid":"k1","crit":["x-pay"],"x-pay":1})", Claims(), ed));
       },
       "jws.crit_unknown"},
      {"unencoded payload b64 false",
       [&] { return Jwt(Signed(R"({"alg":"EdDSA","kid":"k1","b64":false})", Claims(), ed)); },
       "jws.crit_unknown"},
      {"duplicate alg in header",
       [&] { return Jwt(Signed(R"({"alg":"EdDSA","kid":"k1","alg":"none"})", Claims(), ed)); },
       "jws.duplicate_member"},
      {"duplicate sub in payload",
       [&] { return Jwt(Signed(eh, Claims(300, R"(,"sub":"root")"), ed)); },
       "jws.duplicate_member"},
      {"padded base64 header",
       [&] { return Jwt(B64(eh) + "=." + good.substr(good.find('.') + 1)); },
       "jws.base64_noncanonical"},
      {"non-zero trailing bits in signature",
       [&] {
         std::string t = good;
         t.back() = t.back() == 'A' ? 'B' : char(t.back() + 1);
         return Jwt(t);
       },
       "jws.base64_noncanonical"},
      {"standard base64 alphabet",
       [&] {
         std::string t = good;
         t[good.find('.') + 2] = '+';
         return Jwt(t);
       },
       "jws.base64_noncanonical"},
      {"oversized token",
       [&] {
         return Jwt(Signed(eh, Claims(300, ",\"pad\":\"" + std::string(17000, 'x') + "\""), ed));
       },
       "jws.too_large"},
      {"two parts", [&] { return Jwt(good.substr(0, dot2)); }, "jws.malformed"},
      {"five parts (JWE shape)", [&] { return Jwt(good + ".a.b"); }, "jws.malformed"},
      {"empty token", [&] { return Jwt(""); }, "jws.malformed"},
      {"header not json", [&] { return Jwt(B64("{alg:EdDSA}") + "." + B64(Claims()) + ".AA"); },
       "jws.header_invalid"},
      {"payload is an array", [&] { return Jwt(Signed(eh, "[1,2]", ed)); }, "jwt.payload_invalid"},
      {"kid missing with two keys", [&] { return Jwt(Signed(R"({"alg":"EdDSA"})", Claims(), ed)); },
       "jws.kid_missing"},
      {"kid unknown", [&] { return Jwt(Signed(R"({"alg":"EdDSA","kid":"k9"})", Claims(), ed)); },
       "jws.kid_unknown"},
      {"expired", [&] { return Jwt(Signed(eh, Claims(-31), ed)); }, "jwt.expired"},
      {"not yet valid",
       [&] { return Jwt(Signed(eh, Claims(300, ",\"nbf\":" + std::to_string(now() + 120)), ed)); },
       "jwt.not_yet_valid"},
      {"issued in the future",
       [&] { return Jwt(Signed(eh, Claims(300, ",\"iat\":" + std::to_string(now() + 120)), ed)); },
       "jwt.iat_future"},
      {"exp missing",
       [&] { return Jwt(Signed(eh, R"({"iss":"https://issuer.test","aud":"mandate"})", ed)); },
       "jwt.exp_missing"},
      {"exp is a string",
       [&] {
         return Jwt(
             Signed(eh, R"({"iss":"https://issuer.test","aud":"mandate","exp":"soon"})", ed));
       },
       "jwt.claim_invalid"},
      {"wrong audience",
       [&] {
         return Jwt(Signed(eh,
                           R"({"iss":"https://issuer.test","aud":"other","exp":)" +
                               std::to_string(now() + 60) + "}",
                           ed));
       },
       "jwt.aud_mismatch"},
      {"audience missing",
       [&] {
         return Jwt(Signed(
             eh, R"({"iss":"https://issuer.test","exp":)" + std::to_string(now() + 60) + "}", ed));
       },
       "jwt.aud_missing"},
      {"wrong issuer",
       [&] {
         return Jwt(Signed(eh,
                           R"({"iss":"https://evil.test","aud":"mandate","exp":)" +
                               std::to_string(now() + 60) + "}",
                           ed));
       },
       "jwt.iss_mismatch"},
      {"tampered payload",
       [&] {
         std::string other = Signed(eh, Claims(3000), ed);
         return Jwt(good.substr(0, good.find('.') + 1) +
                    other.substr(other.find('.') + 1, other.rfind('.') - other.find('.') - 1) +
                    good.substr(dot2));
       },
       "jws.signature_invalid"},
      {"tampered header",
       [&] {
         return Jwt(B64(R"({"alg":"EdDSA","kid":"k1","x":1})") + good.substr(good.find('.')));
       },
       "jws.signature_invalid"},
      {"tampered signature",
       [&] {
         std::string t = good;
         t[dot2 + 3] = t[dot2 + 3] == 'a' ? 'b' : 'a';
         return Jwt(t);
       },
       "jws.signature_invalid"},
      {"truncated signature",
       [&] {
         return Jwt(good.substr(0, dot2 + 1) +
                    B64(Base64UrlDecode(good.substr(dot2 + 1))->substr(0, 60)));
       },
       "jws.signature_invalid"},
      {"empty signature", [&] { return Jwt(good.substr(0, dot2 + 1)); }, "jws.signature_invalid"},
      // --- Step credentials and task tokens ---------------------------------------------------
      {"step credential for another system",
       [&] { return StatusOf(verifier->VerifyStepCredential(step(Step()), "slack")); },
       "jwt.aud_mismatch"},
      {"task token presented as step credential",
       [&] {
         return StatusOf(verifier->VerifyStepCredential(*issuer->MintTaskToken(task), "github"));
       },
       "credential.type_mismatch"},
      {"step credential forged with another key under the issuer's kid",
       [&] {
         std::string real = step(Step());
         std::string header_b64 = real.substr(0, real.find('.'));
         auto forged = ed.Sign(real.substr(0, real.rfind('.')));
         return StatusOf(verifier->VerifyStepCredential(
             real.substr(0, real.rfind('.') + 1) + B64(*forged), "github"));
       },
       "jws.signature_invalid"},
      {"step credential of a revoked task",
       [&] { return StatusOf(verifier->VerifyStepCredential(step(revoked), "github")); },
       "credential.revoked"},
      {"single-use step credential used twice",
       [&] {
         (void)verifier->VerifyStepCredential(once_token, "github");
         return StatusOf(verifier->VerifyStepCredential(once_token, "github"));
       },
       "credential.already_used"},
      {"step credential from another issuer",
       [&] {
         CredentialIssuer evil("https://evil.test", ring, clock);
         return StatusOf(
             verifier->VerifyStepCredential(*evil.MintStepCredential(Step()), "github"));
       },
       "jwt.iss_mismatch"},
      {"expired step credential",
       [&] {
         std::string t = step(Step());
         FakeClock later(clock.NowMicros() + 91'000'000);
         CredentialVerifier v(
             std::string(kIssuer), [this] { return ring->PublicKeys(); }, nullptr, later);
         return StatusOf(v.VerifyStepCredential(t, "github"));
       },
       "jwt.expired"},
      // --- DPoP proofs ------------------------------------------------------------------------
      {"proof typ jwt",
       [&] {
         return Proof(ProofWith(R"({"alg":"ES256","typ":"JWT","jwk":)" + agent_jwk + "}",
                                ProofClaims(), agent));
       },
       "dpop.typ_invalid"},
      {"proof without jwk",
       [&] {
         return Proof(ProofWith(R"({"alg":"ES256","typ":"dpop+jwt"})", ProofClaims(), agent));
       },
       "dpop.jwk_missing"},
      {"proof jwk carries the private key",
       [&] {
         return Proof(ProofWith(R"({"alg":"ES256","typ":"dpop+jwt","jwk":)" +
                                    boost::json::serialize(private_jwk) + "}",
                                ProofClaims(), agent));
       },
       "dpop.jwk_private"},
      {"proof alg none",
       [&] {
         return Proof(B64(R"({"alg":"none","typ":"dpop+jwt","jwk":)" + agent_jwk + "}") + "." +
                      B64(ProofClaims()) + ".");
       },
       "jws.alg_none"},
      {"proof signed by another key than its jwk",
       [&] { return Proof(ProofWith(proof_header, ProofClaims(), ec)); }, "jws.signature_invalid"},
      {"proof for another method",
       [&] { return Proof(*MintDpopProof(agent, "GET", "https://gw.test/tools/call", now())); },
       "dpop.htm_mismatch"},
      {"proof for another url",
       [&] { return Proof(*MintDpopProof(agent, "POST", "https://gw.test/admin", now())); },
       "dpop.htu_mismatch"},
      {"proof too old",
       [&] {
         return Proof(*MintDpopProof(agent, "POST", "https://gw.test/tools/call", now() - 91));
       },
       "dpop.iat_window"},
      {"proof from the future",
       [&] {
         return Proof(*MintDpopProof(agent, "POST", "https://gw.test/tools/call", now() + 31));
       },
       "dpop.iat_window"},
      {"proof without jti",
       [&] {
         return Proof(ProofWith(proof_header,
                                R"({"htm":"POST","htu":"https://gw.test/tools/call","iat":)" +
                                    std::to_string(now()) + "}",
                                agent));
       },
       "dpop.claim_invalid"},
      {"proof for another access token",
       [&] {
         return Proof(*MintDpopProof(agent, "POST", "https://gw.test/tools/call", now(), "token-a"),
                      "POST", "https://gw.test/tools/call", "token-b");
       },
       "dpop.ath_mismatch"},
      {"stolen credential, thief's key (wrong PoP key)",
       [&] {
         return Proof(*MintDpopProof(thief, "POST", "https://gw.test/tools/call", now()), "POST",
                      "https://gw.test/tools/call", "", agent.public_key().thumbprint());
       },
       "dpop.key_mismatch"},
      {"replayed proof",
       [&] {
         (void)Proof(replayed);
         return Proof(replayed);
       },
       "dpop.replayed"},
      // --- SPIFFE IDs (SPIFFE ID spec section 2) ---------------------------------------------
      {"spiffe empty", [&] { return Spiffe(""); }, "spiffe.empty"},
      {"spiffe wrong scheme", [&] { return Spiffe("https://example.org/workload"); },
       "spiffe.scheme"},
      {"spiffe missing trust domain", [&] { return Spiffe("spiffe:///path/element"); },
       "spiffe.trust_domain_missing"},
      {"spiffe scheme only", [&] { return Spiffe("spiffe://"); }, "spiffe.trust_domain_missing"},
      {"spiffe uppercase trust domain", [&] { return Spiffe("spiffe://Example.org/workload"); },
       "spiffe.trust_domain_char"},
      {"spiffe bad trust domain char", [&] { return Spiffe("spiffe://exa$mple.org/workload"); },
       "spiffe.trust_domain_char"},
      {"spiffe ipv6 trust domain", [&] { return Spiffe("spiffe://[::1]/workload"); },
       "spiffe.trust_domain_char"},
      {"spiffe userinfo", [&] { return Spiffe("spiffe://user:password@example.org/workload"); },
       "spiffe.userinfo"},
      {"spiffe port", [&] { return Spiffe("spiffe://example.org:8080/workload"); }, "spiffe.port"},
      {"spiffe query", [&] { return Spiffe("spiffe://example.org/workload?query=1"); },
       "spiffe.query"},
      {"spiffe fragment", [&] { return Spiffe("spiffe://example.org/workload#fragment"); },
       "spiffe.fragment"},
      {"spiffe percent-encoded path", [&] { return Spiffe("spiffe://example.org/path%20element"); },
       "spiffe.percent_encoded"},
      {"spiffe percent-encoded trust domain", [&] { return Spiffe("spiffe://exa%6Dple.org/x"); },
       "spiffe.percent_encoded"},
      {"spiffe empty segment", [&] { return Spiffe("spiffe://example.org//workload"); },
       "spiffe.path_empty_segment"},
      {"spiffe dot segment", [&] { return Spiffe("spiffe://example.org/./workload"); },
       "spiffe.path_dot_segment"},
      {"spiffe dot-dot segment", [&] { return Spiffe("spiffe://example.org/../workload"); },
       "spiffe.path_dot_segment"},
      {"spiffe trailing slash", [&] { return Spiffe("spiffe://example.org/workload/"); },
       "spiffe.path_trailing_slash"},
      {"spiffe root slash only", [&] { return Spiffe("spiffe://example.org/"); },
       "spiffe.path_trailing_slash"},
      {"spiffe bad path char", [&] { return Spiffe("spiffe://example.org/work*load"); },
       "spiffe.path_char"},
      {"spiffe over 2048 bytes",
       [&] { return Spiffe("spiffe://example.org/" + std::string(2048, 'a')); }, "spiffe.too_long"},
      {"spiffe trust domain over 255 bytes",
       [&] { return Spiffe("spiffe://" + std::string(256, 'a') + "/x"); },
       "spiffe.trust_domain_too_long"},
      // --- X.509-SVIDs ------------------------------------------------------------------------
      {"x509 two URI SANs", [&] { return X509({testing::SvidDer("two_uris")}); },
       "svid.uri_san_count"},
      {"x509 signed by another trust domain's CA",
       [&] { return X509({testing::SvidDer("foreign_ca")}); }, "svid.chain_invalid"},
      {"x509 from an untrusted trust domain", [&] { return X509({testing::SvidDer("other_td")}); },
       "svid.trust_domain_unknown"},
      {"x509 leaf is a CA", [&] { return X509({testing::SvidDer("leaf_ca")}); }, "svid.leaf_is_ca"},
      {"x509 without digitalSignature", [&] { return X509({testing::SvidDer("no_dsig")}); },
       "svid.key_usage"},
      {"x509 URI SAN not SPIFFE", [&] { return X509({testing::SvidDer("not_spiffe")}); },
       "svid.not_spiffe"},
      {"x509 expired", [&] { return X509({testing::SvidDer("good")}, 400); }, "svid.chain_invalid"},
      {"x509 intermediate withheld", [&] { return X509({testing::SvidDer("via_inter")}); },
       "svid.chain_invalid"},
      {"x509 empty chain", [&] { return X509({}); }, "svid.chain_empty"},
      {"x509 garbage DER", [&] { return X509({"\x30\x03\x02\x01"}); }, "svid.certificate_invalid"},
      // --- JWT-SVIDs --------------------------------------------------------------------------
      {"jwt-svid signed with EdDSA",
       [&] { return JwtSvid(Signed(R"({"alg":"EdDSA","kid":"k1"})", svid_payload, ed)); },
       "svid.alg_not_allowed"},
      {"jwt-svid sub not a SPIFFE ID",
       [&] {
         return JwtSvid(Signed(
             R"({"alg":"ES256","kid":"k2"})",
             R"({"sub":"agent","aud":"mandate","exp":)" + std::to_string(now() + 60) + "}", ec));
       },
       "jwt.sub_invalid"},
      {"jwt-svid for another audience",
       [&] { return JwtSvid(Signed(R"({"alg":"ES256","kid":"k2"})", svid_payload, ec), "other"); },
       "jwt.aud_mismatch"},
      {"jwt-svid without exp",
       [&] {
         return JwtSvid(Signed(R"({"alg":"ES256","kid":"k2"})",
                               R"({"sub":"spiffe://example.org/a","aud":"mandate"})", ec));
       },
       "jwt.exp_missing"},
      {"jwt-svid from an unknown trust domain",
       [&] {
         return JwtSvid(Signed(R"({"alg":"ES256","kid":"k2"})",
                               R"({"sub":"spiffe://other.org/a","aud":"mandate","exp":)" +
                                   std::to_string(now() + 60) + "}",
                               ec));
       },
       "svid.trust_domain_unknown"},
  };

  ASSERT_GE(table.size(), 40u);
  for (const auto& entry : table) {
    Status status = entry.attempt();
    EXPECT_FALSE(status.ok()) << entry.name << ": accepted";
    EXPECT_EQ(status.reason(), entry.reason) << entry.name << ": " << status.ToString();
    EXPECT_NE(HowToFix(status.reason()), "see docs/identity.md for the error codes") << entry.name;
  }
  std::cout << "hostile inputs rejected: " << table.size() << "\n";
}

}  // namespace
}  // namespace mandate::identity

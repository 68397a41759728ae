// Test-only driver for the interop tests: exposes Mandate's minting and verification on the
// command line so node scripts can play them against `jose` and `oidc-provider`.
//   mint ALG AGENT_JKT                      -> {"jwks":...,"task_token":...,"step_credential":...}
//   verify-jwt JWKS_FILE ISS AUD            stdin: one token per line -> "ok <sub>" | "rejected
//   <reason>" verify-dpop METHOD URL JKT ACCESS_TOKEN stdin: one proof per line (one replay cache)
//   oidc ISSUER AUD TTL_SECONDS             stdin: one token per line, one discovery cache
#include <boost/json/serialize.hpp>
#include <iostream>
#include <string>

#include "src/credential/credential.h"
#include "src/identity/identity.h"

using namespace mandate;
using namespace mandate::credential;

namespace {

void Answer(const Status& status, std::string_view ok_detail) {
  if (status.ok()) {
    std::cout << "ok " << ok_detail << std::endl;
  } else {
    std::cout << "rejected " << status.reason() << " " << status.message() << std::endl;
  }
}

int Mint(std::string_view alg_name, const std::string& jkt) {
  auto alg = ParseAlgorithm(alg_name);
  if (!alg) return 2;
  SystemClock clock;
  auto store = NewInMemorySigningKeyStore();
  KeyRingOptions options;
  options.algorithm = *alg;
  auto ring = KeyRing::Open(*store, clock, options);
  if (!ring) return 2;
  CredentialIssuer issuer("https://mandate.test", *ring, clock);
  CredentialClaims task;
  task.agent = "spiffe://example.org/agent/planner";
  task.task_id = "task-42";
  task.mandate = "payments";
  task.mandate_version = 3;
  task.jkt = jkt;
  task.expires_at = clock.NowSeconds() + 600;
  CredentialClaims step = task;
  step.audience = "github";
  step.action = "issues.create";
  step.resource = "repo/acme/app";
  step.step = "open-issue";
  step.actor_chain = {"spiffe://example.org/agent/executor", "spiffe://example.org/agent/root"};
  step.expires_at = 0;
  step.single_use = true;
  auto task_token = issuer.MintTaskToken(task);
  auto step_credential = issuer.MintStepCredential(step);
  if (!task_token || !step_credential) return 2;
  boost::json::object out{{"jwks", (*ring)->JwksJson()},
                          {"task_token", *task_token},
                          {"step_credential", *step_credential}};
  std::cout << boost::json::serialize(out) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  SystemClock clock;
  std::string line;
  if (command == "mint" && argc == 4) return Mint(argv[2], argv[3]);
  if (command == "verify-jwt" && argc == 5) {
    auto source = identity::NewJwksFileSource(argv[2]);
    if (!source) {
      std::cerr << source.error().ToString() << "\n";
      return 2;
    }
    ClaimRules rules;
    rules.issuers = {argv[3]};
    rules.audience = argv[4];
    while (std::getline(std::cin, line)) {
      auto keys = (*source)->Keys(std::nullopt);
      auto claims = VerifyJwt(line, **keys, rules, clock);
      Answer(claims ? Status() : claims.error(),
             claims && claims->contains("sub") ? std::string(claims->at("sub").as_string()) : "");
    }
    return 0;
  }
  if (command == "verify-dpop" && argc == 6) {
    DpopVerifier verifier(clock);
    while (std::getline(std::cin, line)) {
      auto proof = verifier.Verify({line, argv[2], argv[3], argv[5], argv[4]});
      Answer(proof ? Status() : proof.error(), proof ? proof->jkt : "");
    }
    return 0;
  }
  if (command == "oidc" && argc == 5) {
    identity::OidcOptions options;
    options.cache_ttl_seconds = std::stoll(argv[4]);
    options.min_refresh_seconds = 0;
    auto source =
        identity::NewOidcDiscoverySource(argv[2], identity::NewHttpFetcher(), clock, options);
    identity::VerifyOptions verify;
    verify.audience = argv[3];
    while (std::getline(std::cin, line)) {
      auto id = identity::VerifyOidcToken(line, argv[2], *source, verify, clock);
      Answer(id ? Status() : id.error(), id ? id->id : "");
    }
    return 0;
  }
  std::cerr << "usage: see the comment at the top of interop_driver.cc\n";
  return 2;
}

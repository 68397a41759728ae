// `mandate token verify`: verify a JWT against a JWKS file, an OIDC issuer (discovery) or a
// SPIFFE bundle, and print the verified claims, or the reason code and what to fix.
// `mandate token verify-svid`: the same for an X.509-SVID chain (PEM) against a SPIFFE bundle,
// as `mandate serve` checks an agent's mTLS client certificate.
#include <boost/json/serialize.hpp>
#include <iostream>
#include <vector>

#include "src/cli/commands.h"
#include "src/identity/identity.h"
#include "src/util/file.h"

namespace mandate::cli {
namespace {

struct VerifyArgs {
  std::string jwks, issuer, bundle, trust_domain, aud, iss, token;
  int64_t skew = 30;
};

std::string ReadToken(const std::string& arg) {
  if (arg != "-") return arg;
  std::string token;
  std::getline(std::cin, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

int Reject(const Status& status) {
  std::cout << "rejected: " << status.reason() << "\n"
            << "  why: " << status.message() << "\n"
            << "  fix: " << identity::HowToFix(status.reason()) << "\n";
  return 1;
}

int RunVerify(const VerifyArgs& args) {
  const std::string token = ReadToken(args.token);
  SystemClock clock;
  identity::VerifyOptions options;
  options.audience = args.aud;
  options.skew_seconds = args.skew;
  boost::json::object claims;
  std::string who;
  if (!args.jwks.empty()) {
    auto source = identity::NewJwksFileSource(args.jwks);
    if (!source) return Reject(source.error());
    auto keys = (*source)->Keys(std::nullopt);
    if (!keys) return Reject(keys.error());
    credential::ClaimRules rules;
    if (!args.iss.empty()) rules.issuers = {args.iss};
    rules.audience = args.aud;
    rules.skew_seconds = args.skew;
    auto verified = credential::VerifyJwt(token, **keys, rules, clock);
    if (!verified) return Reject(verified.error());
    claims = std::move(*verified);
  } else if (!args.issuer.empty()) {
    auto source = identity::NewOidcDiscoverySource(args.issuer, identity::NewHttpFetcher(), clock);
    auto verified = identity::VerifyOidcToken(token, args.iss.empty() ? args.issuer : args.iss,
                                              *source, options, clock);
    if (!verified) return Reject(verified.error());
    who = verified->id;
    claims = std::move(verified->claims);
  } else {
    auto bundle = identity::LoadSpiffeBundleFile(args.trust_domain, args.bundle);
    if (!bundle) return Reject(bundle.error());
    identity::TrustBundles bundles;
    bundles.Set(std::move(*bundle));
    auto verified = identity::VerifyJwtSvid(token, bundles, options, clock);
    if (!verified) return Reject(verified.error());
    who = verified->id;
    claims = std::move(verified->claims);
  }
  std::cout << "valid" << (who.empty() ? "" : ": " + who) << "\n"
            << boost::json::serialize(claims) << "\n";
  return 0;
}

struct SvidArgs {
  std::string bundle, trust_domain, chain;
};

// The certificates of a PEM file as DER, in file order (leaf first).
Result<std::vector<std::string>> ReadPemChain(const std::string& path) {
  auto text = ReadFileBytes(path, 1 << 20);
  if (!text) return Err(text.error());
  std::vector<std::string> chain = identity::PemCertificatesDer(*text);
  if (chain.empty()) {
    return Err(InvalidArgument("svid.chain_empty", "no PEM certificate in `" + path + "`"));
  }
  return chain;
}

int RunVerifySvid(const SvidArgs& args) {
  auto chain = ReadPemChain(args.chain);
  if (!chain) return Reject(chain.error());
  auto bundle = identity::LoadSpiffeBundleFile(args.trust_domain, args.bundle);
  if (!bundle) return Reject(bundle.error());
  identity::TrustBundles bundles;
  bundles.Set(std::move(*bundle));
  SystemClock clock;
  auto id = identity::VerifyX509Svid(*chain, bundles, clock);
  if (!id) return Reject(id.error());
  std::cout << "valid: " << id->ToString() << "\n";
  return 0;
}

}  // namespace

void AddTokenCommands(CLI::App& app, int& exit_code) {
  auto* token = app.add_subcommand("token", "inspect and verify tokens");
  token->require_subcommand(1);
  auto args = std::make_shared<VerifyArgs>();
  auto* verify = token->add_subcommand(
      "verify", "verify a JWT and print its claims, or the reason it is rejected and what to fix");
  auto* jwks = verify->add_option("--jwks", args->jwks, "JWKS file of the issuer's keys");
  auto* issuer = verify->add_option("--issuer", args->issuer,
                                    "OIDC issuer URL (discovery; https, or http to loopback)");
  auto* bundle = verify->add_option("--bundle", args->bundle,
                                    "SPIFFE bundle file (JWKS form or PEM) to verify a JWT-SVID");
  verify->add_option("--trust-domain", args->trust_domain, "trust domain of --bundle");
  jwks->excludes(issuer)->excludes(bundle);
  issuer->excludes(bundle);
  verify->add_option("--aud", args->aud, "required audience");
  verify->add_option("--iss", args->iss, "required issuer (`iss`)");
  verify->add_option("--skew", args->skew, "clock skew allowance in seconds (default 30)");
  verify->add_option("TOKEN", args->token, "the token, or - to read it from stdin")->required();
  verify->callback([args, &exit_code, verify] {
    if (args->jwks.empty() && args->issuer.empty() && args->bundle.empty()) {
      std::cerr << "token verify: give one of --jwks, --issuer or --bundle\n";
      exit_code = 2;
      return;
    }
    if (!args->bundle.empty() && args->trust_domain.empty()) {
      std::cerr << "token verify: --bundle needs --trust-domain\n";
      exit_code = 2;
      return;
    }
    exit_code = RunVerify(*args);
  });

  auto svid = std::make_shared<SvidArgs>();
  auto* verify_svid = token->add_subcommand(
      "verify-svid",
      "verify an X.509-SVID chain against a SPIFFE bundle and print its SPIFFE ID, or the "
      "reason it is rejected and what to fix");
  verify_svid->add_option("--bundle", svid->bundle, "SPIFFE bundle file (JWKS form or PEM)")
      ->required();
  verify_svid->add_option("--trust-domain", svid->trust_domain, "trust domain of --bundle")
      ->required();
  verify_svid->add_option("CHAIN", svid->chain, "PEM file: the SVID, then its intermediates")
      ->required();
  verify_svid->callback([svid, &exit_code] { exit_code = RunVerifySvid(*svid); });
}

}  // namespace mandate::cli

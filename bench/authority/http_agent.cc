// The agent side of bench/authority/run.sh (wrk's Lua cannot sign):
//   start:   starts `--tasks` tasks on a running `mandate serve` (JWT-SVID from the bench trust
//            domain + DPoP proof, as a real agent does) and, for task i, writes DIR/token.i (its
//            task token) and DIR/proofs.i (`--proofs` fresh DPoP proofs for
//            POST /v1/authorize, one per line, each with its own jti and the token's `ath`).
//   ceiling: prints how many Ed25519 signatures libsodium verifies per second on one core, over
//            a JWS-sized message: the physical limit of "a fresh proof on every call".
// Usage: authority_http_agent start --server URL --trust-key JWK_FILE --out DIR [--tasks 2]
//                                   [--proofs 100000] [--mandate steady-research]
//        authority_http_agent ceiling [--seconds 2]
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "src/credential/credential.h"
#include "src/http/client.h"
#include "src/json/json.h"
#include "src/util/clock.h"
#include "src/util/file.h"

namespace {

using namespace mandate;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "authority_http_agent: %s\n", what.c_str());
  std::exit(1);
}

std::string MintSvid(const credential::SigningKey& key, const std::string& spiffe_id) {
  const int64_t now = SystemClock().NowSeconds();
  boost::json::object header{
      {"alg", credential::AlgorithmName(key.algorithm())}, {"kid", key.kid()}, {"typ", "JWT"}};
  boost::json::object claims{
      {"sub", spiffe_id}, {"aud", boost::json::array{"mandate"}}, {"iat", now}, {"exp", now + 300}};
  auto svid = credential::SignCompact(key, json::Serialize(header), json::Serialize(claims));
  if (!svid) Die(svid.error().ToString());
  return *svid;
}

void StartTasks(const std::string& server, const std::string& trust_key_file,
                const std::string& out, int tasks, int proofs, const std::string& mandate,
                const std::string& spiffe_id) {
  auto trust_text = ReadFileBytes(trust_key_file);
  if (!trust_text) Die(trust_text.error().ToString());
  auto trust_key = credential::SigningKey::FromJwkText(*trust_text);
  if (!trust_key) Die(trust_key.error().ToString());
  const std::string svid = MintSvid(*trust_key, spiffe_id);
  auto agent_key = credential::SigningKey::Generate(credential::Algorithm::kEdDSA, "agent");
  if (!agent_key) Die(agent_key.error().ToString());
  const std::string authorize_url = server + "/v1/authorize";
  std::vector<std::thread> writers;
  for (int i = 1; i <= tasks; ++i) {
    const std::string tasks_url = server + "/v1/tasks";
    auto proof =
        credential::MintDpopProof(*agent_key, "POST", tasks_url, SystemClock().NowSeconds(), svid);
    if (!proof) Die(proof.error().ToString());
    boost::json::object body{{"mandate", mandate},
                             {"inputs", boost::json::object{{"collection", "papers"}}}};
    auto response = http::Fetch({.method = "POST",
                                 .url = tasks_url,
                                 .headers = {{"Authorization", "Bearer " + svid},
                                             {"DPoP", *proof},
                                             {"Content-Type", "application/json"}},
                                 .body = json::Serialize(body)});
    if (!response) Die("starting a task: " + response.error().ToString());
    auto answer = json::Parse(response->body);
    const boost::json::value* token =
        answer && answer->is_object() ? answer->as_object().if_contains("task_token") : nullptr;
    if (response->status != 201 && response->status != 200) {
      Die("starting a task: HTTP " + std::to_string(response->status) + ": " + response->body);
    }
    if (token == nullptr || !token->is_string()) Die("no task token in " + response->body);
    const std::string task_token(token->as_string());
    std::ofstream(out + "/token." + std::to_string(i)) << task_token;
    // Proofs are minted in parallel, one writer per task: signing is the slow part.
    writers.emplace_back([&, i, task_token] {
      std::ofstream file(out + "/proofs." + std::to_string(i));
      const int64_t now = SystemClock().NowSeconds();
      for (int p = 0; p < proofs; ++p) {
        auto dpop = credential::MintDpopProof(*agent_key, "POST", authorize_url, now, task_token);
        if (!dpop) Die(dpop.error().ToString());
        file << *dpop << '\n';
      }
    });
  }
  for (auto& w : writers) w.join();
}

void Ceiling(double seconds) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  // About the size of a DPoP proof's signing input.
  const std::string message(380, 'x');
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), sk);
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  int64_t n = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 100; ++i, ++n) {
      if (crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()),
                                      message.size(), pk) != 0) {
        Die("a valid signature did not verify");
      }
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.0f\n", static_cast<double>(n) / elapsed);
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  CLI::App app{"the agent side of the authority's HTTP benchmark"};
  app.require_subcommand(1);
  std::string server, trust_key, out, mandate = "steady-research";
  std::string spiffe_id = "spiffe://example.org/agents/research/bench";
  int tasks = 2, proofs = 100'000;
  double seconds = 2;
  auto* start = app.add_subcommand("start", "start tasks and write their tokens and proofs");
  start->add_option("--server", server)->required();
  start->add_option("--trust-key", trust_key, "the trust domain's JWT-SVID key (JWK)")->required();
  start->add_option("--out", out)->required();
  start->add_option("--tasks", tasks);
  start->add_option("--proofs", proofs, "DPoP proofs per task");
  start->add_option("--mandate", mandate);
  start->add_option("--spiffe-id", spiffe_id);
  auto* ceiling = app.add_subcommand("ceiling", "Ed25519 verifies per second on one core");
  ceiling->add_option("--seconds", seconds);
  CLI11_PARSE(app, argc, argv);
  if (start->parsed()) StartTasks(server, trust_key, out, tasks, proofs, mandate, spiffe_id);
  if (ceiling->parsed()) Ceiling(seconds);
  return 0;
}

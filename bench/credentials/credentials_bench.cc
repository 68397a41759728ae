// Single-threaded credential throughput beside the raw signature rate of the library underneath,
// measured in the same run: libsodium for Ed25519, `openssl speed -seconds 3 ecdsap256` for
// ES256. Prints one line per figure with its ratio; docs/identity.md records a run.
// Usage: credentials_bench [seconds-per-figure (default 2)]
#include <sodium.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "src/credential/credential.h"

namespace {

using namespace mandate;
using namespace mandate::credential;
// Thread CPU time, as `openssl speed` divides by CPU time too: on a shared machine wall time
// would charge other processes' load to whichever side happened to be running.
struct Clock {
  using time_point = std::chrono::duration<double>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9);
  }
};

double seconds_per_figure = 2.0;

// Runs `op` in batches until the time budget is spent; returns operations per second.
double Rate(const std::function<void(size_t)>& op) {
  size_t done = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds_per_figure) {
    for (int i = 0; i < 64; ++i) op(done++);
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return double(done) / elapsed;
}

// Alternates short slices of `a` and `b` so that load changes on a shared machine hit both
// alike; returns both rates.
std::pair<double, double> Paired(const std::function<void(size_t)>& a,
                                 const std::function<void(size_t)>& b) {
  double ta = 0, tb = 0;
  size_t na = 0, nb = 0;
  while (ta + tb < 2 * seconds_per_figure) {
    auto t0 = Clock::now();
    for (int i = 0; i < 200; ++i) a(na++);
    auto t1 = Clock::now();
    for (int i = 0; i < 200; ++i) b(nb++);
    auto t2 = Clock::now();
    ta += std::chrono::duration<double>(t1 - t0).count();
    tb += std::chrono::duration<double>(t2 - t1).count();
  }
  return {double(na) / ta, double(nb) / tb};
}

struct OpensslSpeed {
  double sign = 0, verify = 0;
};

OpensslSpeed RunOpensslSpeed() {
  OpensslSpeed out;
  FILE* pipe = popen("openssl speed -seconds 3 ecdsap256 2>/dev/null", "r");
  if (pipe == nullptr) return out;
  std::string text;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) text += buf;
  pclose(pipe);
  // " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  14000.0"
  std::smatch m;
  if (std::regex_search(
          text, m,
          std::regex(R"(256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([0-9.]+)\s+([0-9.]+))"))) {
    out.sign = std::stod(m[1]);
    out.verify = std::stod(m[2]);
  }
  return out;
}

void Print(const char* what, double rate, const char* peer, double peer_rate) {
  if (peer_rate > 0) {
    std::printf("%-44s %12.0f /s   %-28s %12.0f /s   ratio %.2f\n", what, rate, peer, peer_rate,
                rate / peer_rate);
  } else {
    std::printf("%-44s %12.0f /s\n", what, rate);
  }
}

CredentialClaims StepClaims(const SigningKey& agent) {
  CredentialClaims c;
  c.agent = "spiffe://example.org/agents/planner";
  c.audience = "github";
  c.action = "issues.create";
  c.resource = "repo/acme/app";
  c.task_id = "task-7f3a9c";
  c.step = "open-issue";
  c.jkt = agent.public_key().thumbprint();
  c.actor_chain = {"spiffe://example.org/agents/root"};
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) seconds_per_figure = std::atof(argv[1]);
  if (sodium_init() < 0) return 1;
  SystemClock clock;
  auto agent = *SigningKey::Generate(Algorithm::kEdDSA, "");

  std::printf("credentials bench: single thread, %.1f s per figure\n", seconds_per_figure);
  const OpensslSpeed speed = RunOpensslSpeed();

  for (Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    const bool ed = alg == Algorithm::kEdDSA;
    auto store = NewInMemorySigningKeyStore();
    KeyRingOptions options;
    options.algorithm = alg;
    auto ring = *KeyRing::Open(*store, clock, options);
    CredentialIssuer issuer("https://mandate.example", ring, clock);
    const CredentialClaims claims = StepClaims(agent);
    const std::string sample = *issuer.MintStepCredential(claims);
    const std::string input = sample.substr(0, sample.rfind('.'));

    // The raw signature rate over a message of the credential's signing-input length,
    // interleaved with ours (Ed25519: libsodium; ES256: OpenSSL with a reused context over the
    // SHA-256 digest, beside the `openssl speed` figure the issue names).
    // Distinct messages for the raw side too, as every credential verified is a distinct token.
    unsigned char pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    const auto* msg = reinterpret_cast<const unsigned char*>(input.data());
    auto raw_key = *SigningKey::Generate(alg, "raw");
    std::vector<std::pair<std::string, std::string>> raw_set;
    for (size_t i = 0; i < 4096; ++i) {
      std::string token = *issuer.MintStepCredential(claims);
      std::string signing_input = token.substr(0, token.rfind('.'));
      std::string signature(64, '\0');
      if (ed) {
        crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size(), sk);
      } else {
        signature = *raw_key.Sign(signing_input);
      }
      raw_set.emplace_back(std::move(signing_input), std::move(signature));
    }
    std::function<void(size_t)> raw_sign_op = [&](size_t) {
      if (ed) {
        crypto_sign_detached(sig, nullptr, msg, input.size(), sk);
      } else if (!raw_key.Sign(input)) {
        std::abort();
      }
    };
    std::function<void(size_t)> raw_verify_op = [&](size_t i) {
      const auto& [m, s] = raw_set[i % raw_set.size()];
      if (ed) {
        if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(s.data()),
                                        reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                        pk) != 0) {
          std::abort();
        }
      } else if (!raw_key.public_key().Verify(alg, m, s).ok()) {
        std::abort();
      }
    };
    const char* peer_sign = ed ? "libsodium sign" : "openssl speed ecdsap256 sign";
    const char* peer_verify = ed ? "libsodium verify" : "openssl speed ecdsap256 verify";
    const char* name = ed ? "Ed25519" : "ES256";

    auto [raw_sign, mint] = Paired(raw_sign_op, [&](size_t) {
      if (!issuer.MintStepCredential(claims)) std::abort();
    });
    std::vector<std::string> tokens;
    const size_t n = 40000;
    for (size_t i = 0; i < n; ++i) tokens.push_back(*issuer.MintStepCredential(claims));
    VerifierOptions vopts;
    vopts.cache_capacity = 1 << 20;
    CredentialVerifier verifier(
        "https://mandate.example", [&] { return ring->PublicKeys(); },
        [](const CredentialClaims&) { return Status(); }, clock, vopts);
    auto [raw_verify, verify] = Paired(raw_verify_op, [&](size_t i) {
      if (i >= tokens.size()) std::abort();
      if (!verifier.VerifyStepCredential(tokens[i], "github")) std::abort();
    });
    if (!ed) {
      std::printf("%-44s %12.0f /s   %-28s %12.0f /s   ratio %.2f\n",
                  "  (in-process OpenSSL ES256 sign, same run)", raw_sign, "openssl speed sign",
                  speed.sign, raw_sign / speed.sign);
      std::printf("%-44s %12.0f /s   %-28s %12.0f /s   ratio %.2f\n",
                  "  (in-process OpenSSL ES256 verify, same run)", raw_verify,
                  "openssl speed verify", speed.verify, raw_verify / speed.verify);
      std::printf("%-44s %12.0f /s   %-28s %12.0f /s   ratio %.2f\n",
                  "step credential mint (ES256)", mint, "in-process OpenSSL sign", raw_sign,
                  mint / raw_sign);
      std::printf("%-44s %12.0f /s   %-28s %12.0f /s   ratio %.2f\n",
                  "step credential verify, uncached (ES256)", verify, "in-process OpenSSL verify",
                  raw_verify, verify / raw_verify);
      raw_sign = speed.sign;
      raw_verify = speed.verify;
    }
    std::string line = std::string("step credential mint (") + name + ")";
    Print(line.c_str(), mint, peer_sign, raw_sign);
    line = std::string("step credential verify, uncached (") + name + ")";
    Print(line.c_str(), verify, peer_verify, raw_verify);
    if (ed) {
      const double cached = Rate([&](size_t i) {
        if (!verifier.VerifyStepCredential(tokens[i & 1023], "github")) std::abort();
      });
      Print("step credential verify, cached (target 2M)", cached, "", 0);
    }

    // DPoP proofs with an agent key of this algorithm, each with a fresh jti.
    auto proof_key = *SigningKey::Generate(alg, "");
    DpopOptions dopts;
    dopts.replay_capacity = 1 << 22;
    FakeClock proof_clock(clock.NowMicros());  // proofs stay fresh however long the run
    DpopVerifier dpop(proof_clock, dopts);
    std::vector<std::string> proofs;
    for (size_t i = 0; i < n; ++i) {
      proofs.push_back(*MintDpopProof(proof_key, "POST", "https://gateway.example/tools/call",
                                      proof_clock.NowSeconds(), sample));
    }
    const std::string jkt = proof_key.public_key().thumbprint();
    auto [raw_again, proof_rate] = Paired(raw_verify_op, [&](size_t i) {
      if (i >= proofs.size()) std::abort();
      if (!dpop.Verify({proofs[i], "POST", "https://gateway.example/tools/call", sample, jkt})) {
        std::abort();
      }
    });
    line = std::string("DPoP proof verify (") + name + ")";
    if (!ed) {
      std::printf("%-44s %12.0f /s   %-28s %12.0f /s   ratio %.2f\n", "DPoP proof verify (ES256)",
                  proof_rate, "in-process OpenSSL verify", raw_again, proof_rate / raw_again);
      raw_again = speed.verify;
    }
    Print(line.c_str(), proof_rate, peer_verify, raw_again);
  }
  return 0;
}

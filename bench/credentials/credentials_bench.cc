// Single-threaded credential throughput beside the raw signature rate of the library underneath,
// measured in the same run and interleaved with ours: libsodium for Ed25519, OpenSSL EVP
// in-process for ES256 (with `openssl speed -seconds 3 ecdsap256` printed beside it). Prints one
// line per figure with its ratio; docs/benchmarks.md records runs.
// Usage: credentials_bench [seconds-per-figure (default 2)]
#include <openssl/evp.h>
#include <openssl/sha.h>
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

    // The raw signature rate of the library underneath, over messages of the credential's
    // signing-input length, interleaved with ours so load changes hit both alike. Ed25519:
    // libsodium. ES256: OpenSSL alone (no project code): SHA-256 of the message, then
    // EVP_PKEY_sign / EVP_PKEY_verify on a reused context with DER signatures, which is what
    // `openssl speed ecdsap256` times (minus the hashing); that figure is printed too.
    // Distinct messages on the raw side too, as every credential verified is a distinct token.
    unsigned char pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    const auto* msg = reinterpret_cast<const unsigned char*>(input.data());
    EVP_PKEY* ec_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    EVP_PKEY_CTX* ec_sign = EVP_PKEY_CTX_new_from_pkey(nullptr, ec_key, nullptr);
    EVP_PKEY_CTX* ec_verify = EVP_PKEY_CTX_new_from_pkey(nullptr, ec_key, nullptr);
    if (ec_key == nullptr || EVP_PKEY_sign_init(ec_sign) != 1 ||
        EVP_PKEY_verify_init(ec_verify) != 1) {
      std::abort();
    }
    auto openssl_sign = [&](std::string_view m, unsigned char* der, size_t* der_len) {
      unsigned char digest[32];
      SHA256(reinterpret_cast<const unsigned char*>(m.data()), m.size(), digest);
      if (EVP_PKEY_sign(ec_sign, der, der_len, digest, sizeof digest) != 1) std::abort();
    };
    // Raw signatures over `messages` (signing inputs of real tokens or proofs).
    using RawSet = std::vector<std::pair<std::string, std::string>>;
    auto make_raw_set = [&](const std::vector<std::string>& messages) {
      RawSet set;
      for (size_t i = 0; i < 4096 && i < messages.size(); ++i) {
        std::string signing_input = messages[i].substr(0, messages[i].rfind('.'));
        std::string signature(72, '\0');
        if (ed) {
          signature.resize(64);
          crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                               reinterpret_cast<const unsigned char*>(signing_input.data()),
                               signing_input.size(), sk);
        } else {
          size_t len = signature.size();
          openssl_sign(signing_input, reinterpret_cast<unsigned char*>(signature.data()), &len);
          signature.resize(len);
        }
        set.emplace_back(std::move(signing_input), std::move(signature));
      }
      return set;
    };
    std::vector<std::string> tokens;
    const size_t n = 40000;
    for (size_t i = 0; i < n; ++i) tokens.push_back(*issuer.MintStepCredential(claims));
    RawSet raw_set = make_raw_set(tokens);
    std::function<void(size_t)> raw_sign_op = [&](size_t) {
      if (ed) {
        crypto_sign_detached(sig, nullptr, msg, input.size(), sk);
      } else {
        unsigned char der[80];
        size_t len = sizeof der;
        openssl_sign(input, der, &len);
      }
    };
    std::function<void(size_t)> raw_verify_op = [&](size_t i) {
      const auto& [m, s] = raw_set[i % raw_set.size()];
      const auto* sig_bytes = reinterpret_cast<const unsigned char*>(s.data());
      if (ed) {
        if (crypto_sign_verify_detached(sig_bytes, reinterpret_cast<const unsigned char*>(m.data()),
                                        m.size(), pk) != 0) {
          std::abort();
        }
      } else {
        unsigned char digest[32];
        SHA256(reinterpret_cast<const unsigned char*>(m.data()), m.size(), digest);
        if (EVP_PKEY_verify(ec_verify, sig_bytes, s.size(), digest, sizeof digest) != 1) {
          std::abort();
        }
      }
    };
    const char* peer_sign = ed ? "libsodium sign" : "OpenSSL EVP sign (in-process)";
    const char* peer_verify = ed ? "libsodium verify" : "OpenSSL EVP verify (in-process)";
    const char* name = ed ? "Ed25519" : "ES256";

    auto [raw_sign, mint] = Paired(raw_sign_op, [&](size_t) {
      if (!issuer.MintStepCredential(claims)) std::abort();
    });
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
      Print("  (raw OpenSSL ES256 sign, in-process)", raw_sign, "openssl speed ecdsap256 sign",
            speed.sign);
      Print("  (raw OpenSSL ES256 verify, in-process)", raw_verify,
            "openssl speed ecdsap256 verify", speed.verify);
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
    raw_set = make_raw_set(proofs);  // the raw side signs proof-sized messages now
    auto [raw_again, proof_rate] = Paired(raw_verify_op, [&](size_t i) {
      if (i >= proofs.size()) std::abort();
      if (!dpop.Verify({proofs[i], "POST", "https://gateway.example/tools/call", sample, jkt})) {
        std::abort();
      }
    });
    line = std::string("DPoP proof verify (") + name + ")";
    Print(line.c_str(), proof_rate, peer_verify, raw_again);
    EVP_PKEY_CTX_free(ec_sign);
    EVP_PKEY_CTX_free(ec_verify);
    EVP_PKEY_free(ec_key);
  }
  return 0;
}

// A reference server for the HTTP benchmarks, on the same HTTP stack as `mandate serve`.
// Prints the bound port, runs until SIGINT/SIGTERM.
// Usage: http_bench_server [THREADS] [MODE]
//   MODE 204 (default, bench/http/run.sh): POST /v1/authorize answers a fixed 204, so wrk
//            measures the HTTP layer alone;
//   MODE verify (bench/authority/run.sh): POST /v1/authorize verifies one Ed25519 signature
//            (libsodium, over a DPoP-proof-sized message) and answers 200
//            {"decision":"allow"}: the measured ceiling of "a fresh proof on every call" when
//            wrk shares the machine, which no authority doing more per call can pass.
#include <sodium.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "src/http/server.h"

namespace {

// One key and one signed message, made at start; every call verifies the signature again.
struct Signed {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char signature[crypto_sign_BYTES];
  std::string message = std::string(380, 'x');  // about a DPoP proof's signing input
  Signed() {
    unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(public_key, secret_key);
    crypto_sign_detached(signature, nullptr, Bytes(message), message.size(), secret_key);
  }
  static const unsigned char* Bytes(const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  }
  bool Verify() const {
    return crypto_sign_verify_detached(signature, Bytes(message), message.size(), public_key) == 0;
  }
};

}  // namespace

int main(int argc, char** argv) {
  mandate::http::ServerOptions options;
  options.threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string_view mode = argc > 2 ? argv[2] : "204";
  if (sodium_init() < 0 || (mode != "204" && mode != "verify")) {
    std::fprintf(stderr, "usage: http_bench_server [THREADS] [204|verify]\n");
    return 2;
  }
  static const Signed kSigned;
  mandate::http::Router router;
  auto added =
      mode == "verify"
          ? router.Add("POST", "/v1/authorize",
                       [](const mandate::http::Request& request) {
                         if (request.body().empty() || !kSigned.Verify()) {
                           return mandate::http::Response::Error(401, "proof.invalid",
                                                                 "the signature did not verify");
                         }
                         return mandate::http::Response::Json(200, R"({"decision":"allow"})");
                       })
          : router.Add("POST", "/v1/authorize", [](const mandate::http::Request&) {
              return mandate::http::Response::NoContent();
            });
  if (!added.ok()) return 1;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // workers inherit the mask
  auto server = mandate::http::Server::Start(options, std::move(router));
  if (!server) {
    std::fprintf(stderr, "%s\n", server.error().ToString().c_str());
    return 1;
  }
  std::printf("%u\n", (*server)->port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  (*server)->Stop();
  return 0;
}

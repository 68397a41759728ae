// A trivial server for bench/http/run.sh: POST /v1/authorize answers a fixed 204 so wrk
// measures the HTTP layer alone. Prints the bound port, runs until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "src/http/server.h"

int main(int argc, char** argv) {
  mandate::http::ServerOptions options;
  options.threads = argc > 1 ? std::atoi(argv[1]) : 2;
  mandate::http::Router router;
  auto added = router.Add("POST", "/v1/authorize", [](const mandate::http::Request&) {
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

// A fixed-rate HTTP load generator (wrk has no fixed-rate mode): requests are scheduled at
// start + i/rate and latency is measured from the scheduled time, not the send time, so a slow
// server cannot hide its queueing (wrk2's correction for coordinated omission). rate 0 = as fast
// as the connections allow (saturation). Each request may carry a fresh DPoP proof, minted
// before the run so minting never counts as latency.
//
// loadgen --url URL --rate R --seconds S --connections C [--task-token T --agent-key JWK
//         --max-proofs N]
// prints one JSON line: {"rate":R,"sent":N,"ok":N,"rps":X,"p50_us":..,"p99_us":..,"max_us":..}
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "src/credential/credential.h"
#include "src/http/client.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  CLI::App app{"fixed-rate HTTP load generator"};
  std::string url, task_token, key_file, htu;
  double rate = 1000;
  double seconds = 5;
  int connections = 8;
  app.add_option("--url", url)->required();
  app.add_option("--rate", rate, "requests per second; 0 = saturation");
  app.add_option("--seconds", seconds);
  app.add_option("--connections", connections);
  app.add_option("--task-token", task_token);
  app.add_option("--agent-key", key_file, "private JWK: sign a DPoP proof per request");
  app.add_option("--htu", htu, "URL the proofs name (default --url)");
  size_t max_proofs = 0;
  app.add_option("--max-proofs", max_proofs,
                 "at saturation, proofs minted before the run (default 40,000 per second); the run "
                 "ends early when they are used up");
  CLI11_PARSE(app, argc, argv);
  if (htu.empty()) htu = url;

  size_t total = rate > 0 ? static_cast<size_t>(rate * seconds) : 2'000'000;
  std::vector<std::string> proofs;
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    std::stringstream text;
    text << in.rdbuf();
    auto key = mandate::credential::SigningKey::FromJwkText(text.str());
    if (!key) {
      std::fprintf(stderr, "loadgen: agent key: %s\n", key.error().ToString().c_str());
      return 1;
    }
    size_t n = rate > 0 ? total : static_cast<size_t>(40'000 * seconds);
    if (rate <= 0 && max_proofs > 0) n = std::min(n, max_proofs);
    total = std::min(total, n);
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    proofs.reserve(n);
    std::string_view method = "GET";
    for (size_t i = 0; i < n; ++i) {
      auto proof = mandate::credential::MintDpopProof(*key, method, htu, now, task_token);
      if (!proof) return 1;
      proofs.push_back(std::move(*proof));
    }
  }

  mandate::http::ClientOptions options;
  options.timeout = std::chrono::milliseconds(5000);
  mandate::http::ClientPool pool(options);
  std::atomic<size_t> next{0};
  std::atomic<size_t> ok{0};
  std::vector<std::vector<int64_t>> latencies(static_cast<size_t>(connections));
  const auto start = Clock::now() + std::chrono::milliseconds(50);
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const double period_ns = rate > 0 ? 1e9 / rate : 0;
  std::vector<std::thread> workers;
  for (int w = 0; w < connections; ++w) {
    workers.emplace_back([&, w] {
      while (true) {
        size_t i = next.fetch_add(1);
        if (i >= total) return;
        Clock::time_point scheduled =
            rate > 0 ? start + std::chrono::nanoseconds(static_cast<int64_t>(period_ns * i))
                     : Clock::now();
        if (rate > 0) std::this_thread::sleep_until(scheduled);
        if (Clock::now() > deadline) return;
        mandate::http::ClientRequest req;
        req.url = url;
        if (!task_token.empty()) req.headers.emplace_back("Authorization", "DPoP " + task_token);
        if (!proofs.empty()) req.headers.emplace_back("DPoP", proofs[i]);
        auto res = pool.Send(req);
        auto done = Clock::now();
        if (res && res->status < 400) ok.fetch_add(1);
        latencies[static_cast<size_t>(w)].push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(done - scheduled).count());
      }
    });
  }
  for (auto& t : workers) t.join();
  double elapsed = std::chrono::duration<double>(std::min(Clock::now(), deadline) - start).count();
  std::vector<int64_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "{\"rate\":%.0f,\"sent\":%zu,\"ok\":%zu,\"rps\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld,"
      "\"max_us\":%lld}\n",
      rate, all.size(), ok.load(), all.size() / elapsed, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.99)), all.empty() ? 0LL : static_cast<long long>(all.back()));
  return ok.load() == all.size() ? 0 : 3;
}

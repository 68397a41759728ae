// A fixed-rate HTTP load generator (wrk has no fixed-rate mode): request i is scheduled at
// start + i/rate and its latency is measured from that scheduled time, not from when it could
// be sent, so a slow server cannot hide its queueing (wrk2's correction for coordinated
// omission). rate 0 = saturation: every connection sends again as soon as it has its answer.
// Each request may carry a fresh DPoP proof, minted before the run so minting never counts.
//
// One thread drives every connection with non-blocking sockets and ppoll(): on a 2-core machine
// shared with the system under test, a thread per connection would add its own wake-up jitter
// to every figure (direct and gateway alike) and take CPU from what is measured.
//
// loadgen --url URL --rate R --seconds S --connections C [--task-token T --agent-key JWK
//         --htu URL --max-proofs N --proof-once]
// prints one JSON line: {"rate":R,"sent":N,"ok":N,"rps":X,"p50_us":..,"p99_us":..,"max_us":..}
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "bench/enforce/raw_http.h"
#include "src/credential/credential.h"

using mandate::bench::Clock;
using mandate::bench::RawConnection;

int main(int argc, char** argv) {
  CLI::App app{"fixed-rate HTTP load generator"};
  std::string url, task_token, key_file, htu;
  double rate = 1000;
  double seconds = 5;
  int connections = 8;
  app.add_option("--url", url, "http://IP:PORT/path")->required();
  app.add_option("--rate", rate, "requests per second; 0 = saturation");
  app.add_option("--seconds", seconds);
  app.add_option("--connections", connections);
  app.add_option("--task-token", task_token);
  app.add_option("--agent-key", key_file, "private JWK: sign a DPoP proof per request");
  app.add_option("--htu", htu, "URL the proofs name (default --url)");
  bool proof_once = false;
  app.add_flag("--proof-once", proof_once,
               "a proof only on each connection's first request (a gateway's bound connection)");
  std::string timeline_file;
  app.add_option(
      "--timeline", timeline_file,
      "write `scheduled_us latency_us` per answered request (where the tail comes from)");
  size_t max_proofs = 0;
  app.add_option("--max-proofs", max_proofs,
                 "at saturation, proofs minted before the run (default 40,000 per second); the run "
                 "ends early when they are used up");
  CLI11_PARSE(app, argc, argv);
  if (htu.empty()) htu = url;
  auto target = mandate::bench::ParseHttpUrl(url);
  if (!target || connections < 1) {
    std::fprintf(stderr, "loadgen: --url must be http://IP:PORT/path\n");
    return 2;
  }

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
    for (size_t i = 0; i < n; ++i) {
      auto proof = mandate::credential::MintDpopProof(*key, "GET", htu, now, task_token);
      if (!proof) return 1;
      proofs.push_back(std::move(*proof));
    }
  }
  const std::string head = "GET " + target->target + " HTTP/1.1\r\nHost: " + target->host + ":" +
                           std::to_string(target->port) + "\r\n" +
                           (task_token.empty() ? "" : "Authorization: DPoP " + task_token + "\r\n");
  std::vector<bool> proven(static_cast<size_t>(connections), false);
  auto request_for = [&](size_t i, size_t conn) {
    const bool with_proof = !proofs.empty() && !(proof_once && proven[conn]);
    proven[conn] = true;
    return head + (with_proof ? "DPoP: " + proofs[i] + "\r\n" : "") + "\r\n";
  };

  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int c = 0; c < connections; ++c) {
    conns.push_back(std::make_unique<RawConnection>(*target));
    if (!conns.back()->Connect()) {
      std::fprintf(stderr, "loadgen: cannot connect to %s\n", url.c_str());
      return 2;
    }
  }
  std::vector<Clock::time_point> scheduled_at(conns.size());
  std::deque<std::pair<size_t, Clock::time_point>> waiting;  // due, no free connection yet
  std::vector<int64_t> latencies;
  latencies.reserve(total);
  std::vector<std::pair<int64_t, int64_t>> timeline;  // (scheduled, latency) in us since start
  std::map<std::string, size_t> refused;              // "status reason" -> count, printed to stderr
  size_t next = 0, ok = 0;
  const auto start = Clock::now() + std::chrono::milliseconds(50);
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto drain_deadline = deadline + std::chrono::seconds(5);
  const double period_ns = rate > 0 ? 1e9 / rate : 0;
  auto scheduled = [&](size_t i) {
    return start +
           std::chrono::nanoseconds(static_cast<int64_t>(period_ns * static_cast<double>(i)));
  };
  std::vector<pollfd> fds(conns.size());
  while (true) {
    const auto now = Clock::now();
    // New requests are scheduled until the deadline; those already due but still waiting for a
    // connection are sent and measured after it too (dropping them would hide the backlog).
    const bool scheduling = now >= start && now <= deadline;
    if (scheduling && rate > 0) {
      while (next < total && scheduled(next) <= now) {
        waiting.emplace_back(next, scheduled(next));
        ++next;
      }
    }
    size_t busy = 0;
    for (size_t c = 0; c < conns.size(); ++c) {
      RawConnection& conn = *conns[c];
      if (!conn.in_flight()) {
        std::optional<std::pair<size_t, Clock::time_point>> job;
        if (!waiting.empty()) {
          job = waiting.front();
          waiting.pop_front();
        } else if (scheduling && rate <= 0 && next < total) {
          job = std::pair{next++, now};
        }
        if (job) {
          scheduled_at[c] = job->second;
          if (!conn.Send(request_for(job->first, c))) {
            std::fprintf(stderr, "loadgen: send failed\n");
            return 2;
          }
        }
      }
      busy += conn.in_flight() ? 1 : 0;
      fds[c] = {conn.fd(), static_cast<short>(conn.in_flight() ? POLLIN : 0), 0};
    }
    const bool more = !waiting.empty() || (now <= deadline && next < total);
    if (busy == 0 && !more && now >= start) break;
    if (now > drain_deadline) {
      std::fprintf(stderr, "loadgen: %zu requests unanswered 5 s after the run\n", busy);
      break;
    }
    Clock::time_point wake = now + std::chrono::milliseconds(10);
    if (now < start) wake = start;
    if (scheduling && rate > 0 && next < total) wake = std::min(wake, scheduled(next));
    mandate::bench::PollUntil(fds, wake);
    for (size_t c = 0; c < conns.size(); ++c) {
      RawConnection& conn = *conns[c];
      if (!conn.in_flight() || !conn.Read()) {
        if (conn.failed()) {
          std::fprintf(stderr, "loadgen: connection lost (or a chunked answer)\n");
          return 2;
        }
        continue;
      }
      latencies.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scheduled_at[c])
              .count());
      if (!timeline_file.empty()) {
        timeline.emplace_back(
            std::chrono::duration_cast<std::chrono::microseconds>(scheduled_at[c] - start).count(),
            latencies.back());
      }
      if (conn.status() < 400) {
        ++ok;
      } else {
        ++refused[std::to_string(conn.status()) + " " + conn.reason()];
      }
      if (!conn.keep_alive()) {
        if (!conn.Connect()) return 2;
        proven[c] = false;  // a new connection proves possession again
      }
    }
  }
  double elapsed = std::chrono::duration<double>(std::min(Clock::now(), deadline) - start).count();
  if (!timeline_file.empty()) {
    if (FILE* out = std::fopen(timeline_file.c_str(), "w")) {
      for (const auto& [at, latency] : timeline)
        std::fprintf(out, "%lld %lld\n", static_cast<long long>(at),
                     static_cast<long long>(latency));
      std::fclose(out);
    }
  }
  std::sort(latencies.begin(), latencies.end());
  for (const auto& [what, n] : refused)
    std::fprintf(stderr, "loadgen: %zu answered %s\n", n, what.c_str());
  auto pct = [&](double p) {
    return latencies.empty() ? 0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<size_t>(p * latencies.size()))];
  };
  std::printf(
      "{\"rate\":%.0f,\"sent\":%zu,\"ok\":%zu,\"rps\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld,"
      "\"max_us\":%lld}\n",
      rate, latencies.size(), ok, latencies.size() / elapsed, static_cast<long long>(pct(0.50)),
      static_cast<long long>(pct(0.99)),
      latencies.empty() ? 0LL : static_cast<long long>(latencies.back()));
  return ok == latencies.size() ? 0 : 3;
}

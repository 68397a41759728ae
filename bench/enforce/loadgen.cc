// A fixed-rate HTTP load generator (wrk has no fixed-rate mode): request i is scheduled at
// start + i/rate and its latency is measured from that scheduled time, not from when it could
// be sent, so a slow server cannot hide its queueing (wrk2's correction for coordinated
// omission). rate 0 = saturation: every connection sends again as soon as it has its answer.
// Each request may carry a fresh DPoP proof, minted before the run so minting never counts.
// With --authority, each request also carries its own step credential (single use: one
// decision, one call), which the load generator asks the authority for before the run
// (`POST /v1/authorize` with the task token and a DPoP proof, over keep-alive connections), one
// per planned request, so minting never counts either: with --mint-only it writes them to
// --credentials FILE and exits, and a later run reads them from there (so a bench can measure
// the CPU of the run alone).
//
// One thread drives every connection with non-blocking sockets and ppoll(): on a 2-core machine
// shared with the system under test, a thread per connection would add its own wake-up jitter
// to every figure (direct and gateway alike) and take CPU from what is measured.
//
// --peer-url adds a second stream at the same rate, interleaved with the first (its request i
// is due half a period after the first stream's request i) on its own connections, with no
// credentials: the gateway and nginx called directly, measured in the same seconds by the same
// thread, so a stall of the machine lands in both and only what the gateway adds tells them apart.
//
// loadgen --url URL --rate R --seconds S --connections C [--task-token T --agent-key JWK
//         --htu URL --max-proofs N --proof-once [--authority URL --authorize-body JSON
//         --mint-only] [--credentials FILE]]
//         [--peer-url URL] [--timeline FILE]
// prints one JSON line: {"rate":R,"sent":N,"ok":N,"rps":X,"p50_us":..,"p99_us":..,"max_us":..}
// and, with --peer-url, the peer stream's figures as "peer":{"sent":..,...}
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
#include "src/json/json.h"

using mandate::bench::Clock;
using mandate::bench::RawConnection;

namespace {

// One target's requests: its connections, schedule and results. Thread-safety: none.
struct Stream {
  std::string head;                 // the request without the final CRLF (and without a proof)
  std::vector<std::string> tokens;  // one step credential per request (single use), or none
  std::vector<std::string> proofs;  // one per request, or none
  bool proof_once = false;          // a proof only on each connection's first request
  Clock::duration offset{};         // its requests are due this long after the schedule's
  std::vector<std::unique_ptr<RawConnection>> conns;
  std::vector<bool> proven;
  std::vector<Clock::time_point> scheduled_at;               // per connection, of its request
  std::deque<std::pair<size_t, Clock::time_point>> waiting;  // due, no free connection yet
  size_t next = 0, ok = 0;
  std::vector<int64_t> latencies;
  std::vector<std::pair<int64_t, int64_t>> timeline;  // (scheduled, latency) in us since start
  std::map<std::string, size_t> refused;              // "status reason" -> count, to stderr

  std::string RequestFor(size_t i, size_t conn) {
    const bool with_proof = !proofs.empty() && !(proof_once && proven[conn]);
    proven[conn] = true;
    return head + (tokens.empty() ? "" : "Authorization: DPoP " + tokens[i] + "\r\n") +
           (with_proof ? "DPoP: " + proofs[i] + "\r\n" : "") + "\r\n";
  }

  int64_t Percentile(double p) const {
    return latencies.empty() ? 0
                             : latencies[std::min(
                                   latencies.size() - 1,
                                   static_cast<size_t>(p * static_cast<double>(latencies.size())))];
  }

  // `"sent":..,"ok":..,"rps":..,"p50_us":..,"p99_us":..,"max_us":..` (latencies sorted).
  std::string Figures(double elapsed) const {
    char out[256];
    std::snprintf(out, sizeof out,
                  "\"sent\":%zu,\"ok\":%zu,\"rps\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld,"
                  "\"max_us\":%lld",
                  latencies.size(), ok, static_cast<double>(latencies.size()) / elapsed,
                  static_cast<long long>(Percentile(0.50)),
                  static_cast<long long>(Percentile(0.99)),
                  latencies.empty() ? 0LL : static_cast<long long>(latencies.back()));
    return out;
  }
};

std::string RequestHead(const mandate::bench::HostPort& target, const std::string& task_token) {
  return "GET " + target.target + " HTTP/1.1\r\nHost: " + target.host + ":" +
         std::to_string(target.port) + "\r\n" +
         (task_token.empty() ? "" : "Authorization: DPoP " + task_token + "\r\n");
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Asks the authority for `n` step credentials for the call in `body` (the `/v1/authorize`
// request body), on 8 keep-alive connections, one request in flight on each, a fresh DPoP proof
// per request. Empty on any failure (said on stderr): a bench must not measure refusals.
std::vector<std::string> MintStepCredentials(const std::string& authority,
                                             const std::string& task_token,
                                             const mandate::credential::SigningKey& key,
                                             const std::string& body, size_t n) {
  const std::string url = authority + "/v1/authorize";
  auto target = mandate::bench::ParseHttpUrl(url);
  if (!target) {
    std::fprintf(stderr, "loadgen: --authority must be http://IP:PORT\n");
    return {};
  }
  const std::string head =
      "POST " + target->target + " HTTP/1.1\r\nHost: " + target->host + ":" +
      std::to_string(target->port) + "\r\nAuthorization: DPoP " + task_token +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int c = 0; c < 8; ++c) {
    conns.push_back(std::make_unique<RawConnection>(*target));
    if (!conns.back()->Connect()) {
      std::fprintf(stderr, "loadgen: cannot connect to the authority %s\n", authority.c_str());
      return {};
    }
  }
  std::vector<std::string> tokens;
  tokens.reserve(n);
  size_t asked = 0;
  std::vector<pollfd> fds(conns.size());
  while (tokens.size() < n) {
    for (size_t c = 0; c < conns.size(); ++c) {
      RawConnection& conn = *conns[c];
      if (!conn.in_flight() && asked < n) {
        auto proof = mandate::credential::MintDpopProof(key, "POST", url, NowSeconds(), task_token);
        if (!proof || !conn.Send(head + "DPoP: " + *proof + "\r\n\r\n" + body)) return {};
        ++asked;
      }
      fds[c] = {conn.fd(), static_cast<short>(conn.in_flight() ? POLLIN : 0), 0};
    }
    mandate::bench::PollUntil(fds, Clock::now() + std::chrono::milliseconds(100));
    for (auto& conn : conns) {
      if (!conn->in_flight() || !conn->Read()) {
        if (conn->failed()) {
          std::fprintf(stderr, "loadgen: the authority closed a connection\n");
          return {};
        }
        continue;
      }
      auto answer = mandate::json::Parse(conn->body());
      const boost::json::value* credential =
          answer && answer->is_object() ? answer->as_object().if_contains("credential") : nullptr;
      if (conn->status() != 200 || credential == nullptr || !credential->is_string()) {
        std::fprintf(stderr, "loadgen: no step credential (http %d): %s\n", conn->status(),
                     conn->body().substr(0, 300).c_str());
        return {};
      }
      tokens.emplace_back(credential->as_string());
      if (!conn->keep_alive() && !conn->Connect()) return {};
    }
  }
  return tokens;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fixed-rate HTTP load generator"};
  std::string url, task_token, key_file, htu, peer_url, authority, authorize_body;
  double rate = 1000;
  double seconds = 5;
  int connections = 8;
  app.add_option("--url", url, "http://IP:PORT/path")->required();
  app.add_option("--rate", rate, "requests per second; 0 = saturation");
  app.add_option("--seconds", seconds);
  app.add_option("--connections", connections, "per stream");
  app.add_option("--task-token", task_token);
  app.add_option("--agent-key", key_file, "private JWK: sign a DPoP proof per request");
  app.add_option("--htu", htu, "URL the proofs name (default --url)");
  app.add_option("--authority", authority,
                 "http://IP:PORT of the authority: before the run, ask it for one step credential "
                 "per planned request with --task-token and --agent-key (needs --authorize-body)");
  app.add_option("--authorize-body", authorize_body,
                 "the `POST /v1/authorize` body of the call every request makes");
  std::string credentials_file;
  app.add_option("--credentials", credentials_file,
                 "step credentials, one per line, one per request: written with --mint-only, else "
                 "read (instead of asking --authority)");
  bool mint_only = false;
  app.add_flag("--mint-only", mint_only,
               "ask --authority for the run's step credentials, write them to --credentials, exit");
  app.add_option("--peer-url", peer_url,
                 "a second stream, same rate, no credentials, interleaved with the first");
  bool proof_once = false;
  app.add_flag("--proof-once", proof_once,
               "a proof only on each connection's first request (a gateway's bound connection)");
  std::string timeline_file;
  app.add_option("--timeline", timeline_file,
                 "write `scheduled_us latency_us stream` per answered request (stream 0: --url, "
                 "1: --peer-url; where the tail comes from), after a `# start_monotonic_ns` line");
  size_t max_proofs = 0;
  app.add_option("--max-proofs", max_proofs,
                 "at saturation, proofs minted before the run (default 40,000 per second); the run "
                 "ends early when they are used up");
  CLI11_PARSE(app, argc, argv);
  if (htu.empty()) htu = url;
  auto target = mandate::bench::ParseHttpUrl(url);
  auto peer = peer_url.empty() ? std::nullopt : mandate::bench::ParseHttpUrl(peer_url);
  if (!target || (!peer_url.empty() && !peer) || connections < 1) {
    std::fprintf(stderr, "loadgen: --url and --peer-url must be http://IP:PORT/path\n");
    return 2;
  }

  size_t total = rate > 0 ? static_cast<size_t>(rate * seconds) : 2'000'000;
  std::vector<Stream> streams(peer ? 2 : 1);
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
    if (!authority.empty()) {
      const auto began = Clock::now();
      streams[0].tokens = MintStepCredentials(authority, task_token, *key, authorize_body, n);
      if (streams[0].tokens.size() != n) return 2;
      std::fprintf(stderr, "loadgen: %zu step credentials from the authority in %.1f s\n", n,
                   std::chrono::duration<double>(Clock::now() - began).count());
      if (mint_only) {
        std::ofstream out(credentials_file);
        for (const std::string& token : streams[0].tokens) out << token << "\n";
        return out.good() ? 0 : 2;
      }
    } else if (!credentials_file.empty()) {
      std::ifstream in(credentials_file);
      for (std::string line; streams[0].tokens.size() < n && std::getline(in, line);) {
        streams[0].tokens.push_back(line);
      }
      if (streams[0].tokens.size() != n) {
        std::fprintf(stderr, "loadgen: %s holds %zu credentials, the run needs %zu\n",
                     credentials_file.c_str(), streams[0].tokens.size(), n);
        return 2;
      }
    }
    const int64_t now = NowSeconds();
    streams[0].proofs.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      // The proof's `ath` names the credential it goes with.
      const std::string& token = streams[0].tokens.empty() ? task_token : streams[0].tokens[i];
      auto proof = mandate::credential::MintDpopProof(*key, "GET", htu, now, token);
      if (!proof) return 1;
      streams[0].proofs.push_back(std::move(*proof));
    }
  } else if (!authority.empty()) {
    std::fprintf(stderr, "loadgen: --authority needs --agent-key\n");
    return 2;
  }
  streams[0].head = RequestHead(*target, streams[0].tokens.empty() ? task_token : "");
  streams[0].proof_once = proof_once;
  const double period_ns = rate > 0 ? 1e9 / rate : 0;
  if (peer) {
    streams[1].head = RequestHead(*peer, "");
    streams[1].offset = std::chrono::nanoseconds(static_cast<int64_t>(period_ns / 2));
  }
  for (size_t s = 0; s < streams.size(); ++s) {
    Stream& stream = streams[s];
    for (int c = 0; c < connections; ++c) {
      stream.conns.push_back(std::make_unique<RawConnection>(s == 0 ? *target : *peer));
      if (!stream.conns.back()->Connect()) {
        std::fprintf(stderr, "loadgen: cannot connect to %s\n", (s == 0 ? url : peer_url).c_str());
        return 2;
      }
    }
    stream.proven.assign(stream.conns.size(), false);
    stream.scheduled_at.resize(stream.conns.size());
    stream.latencies.reserve(total);
  }
  const auto start = Clock::now() + std::chrono::milliseconds(50);
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto drain_deadline = deadline + std::chrono::seconds(5);
  auto scheduled = [&](const Stream& stream, size_t i) {
    return start + stream.offset +
           std::chrono::nanoseconds(static_cast<int64_t>(period_ns * static_cast<double>(i)));
  };
  auto since_start = [&](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t - start).count();
  };
  std::vector<pollfd> fds(static_cast<size_t>(connections) * streams.size());
  while (true) {
    const auto now = Clock::now();
    // New requests are scheduled until the deadline; those already due but still waiting for a
    // connection are sent and measured after it too (dropping them would hide the backlog).
    const bool scheduling = now >= start && now <= deadline;
    size_t busy = 0;
    bool more = false;
    Clock::time_point wake = now + std::chrono::milliseconds(10);
    if (now < start) wake = start;
    for (size_t s = 0; s < streams.size(); ++s) {
      Stream& stream = streams[s];
      if (scheduling && rate > 0) {
        while (stream.next < total && scheduled(stream, stream.next) <= now) {
          stream.waiting.emplace_back(stream.next, scheduled(stream, stream.next));
          ++stream.next;
        }
      }
      for (size_t c = 0; c < stream.conns.size(); ++c) {
        RawConnection& conn = *stream.conns[c];
        if (!conn.in_flight()) {
          std::optional<std::pair<size_t, Clock::time_point>> job;
          if (!stream.waiting.empty()) {
            job = stream.waiting.front();
            stream.waiting.pop_front();
          } else if (scheduling && rate <= 0 && stream.next < total) {
            job = std::pair{stream.next++, now};
          }
          if (job) {
            stream.scheduled_at[c] = job->second;
            if (!conn.Send(stream.RequestFor(job->first, c))) {
              std::fprintf(stderr, "loadgen: send failed\n");
              return 2;
            }
          }
        }
        busy += conn.in_flight() ? 1 : 0;
        fds[s * stream.conns.size() + c] = {conn.fd(),
                                            static_cast<short>(conn.in_flight() ? POLLIN : 0), 0};
      }
      more = more || !stream.waiting.empty() || (now <= deadline && stream.next < total);
      if (scheduling && rate > 0 && stream.next < total)
        wake = std::min(wake, scheduled(stream, stream.next));
    }
    if (busy == 0 && !more && now >= start) break;
    if (now > drain_deadline) {
      std::fprintf(stderr, "loadgen: %zu requests unanswered 5 s after the run\n", busy);
      break;
    }
    mandate::bench::PollUntil(fds, wake);
    for (Stream& stream : streams) {
      for (size_t c = 0; c < stream.conns.size(); ++c) {
        RawConnection& conn = *stream.conns[c];
        if (!conn.in_flight() || !conn.Read()) {
          if (conn.failed()) {
            std::fprintf(stderr, "loadgen: connection lost (or a chunked answer)\n");
            return 2;
          }
          continue;
        }
        const auto answered = Clock::now();
        stream.latencies.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(answered - stream.scheduled_at[c])
                .count());
        if (!timeline_file.empty()) {
          stream.timeline.emplace_back(since_start(stream.scheduled_at[c]),
                                       stream.latencies.back());
        }
        if (conn.status() < 400) {
          ++stream.ok;
        } else {
          ++stream.refused[std::to_string(conn.status()) + " " + conn.reason()];
        }
        if (!conn.keep_alive()) {
          if (!conn.Connect()) return 2;
          stream.proven[c] = false;  // a new connection proves possession again
        }
      }
    }
  }
  double elapsed = std::chrono::duration<double>(std::min(Clock::now(), deadline) - start).count();
  if (!timeline_file.empty()) {
    if (FILE* out = std::fopen(timeline_file.c_str(), "w")) {
      // CLOCK_MONOTONIC (steady_clock) of `start`: `perf record -k CLOCK_MONOTONIC` stamps events
      // on the same clock, so a stall in the timeline can be found in a scheduler trace.
      std::fprintf(out, "# start_monotonic_ns %lld\n",
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              start.time_since_epoch())
                                              .count()));
      for (size_t s = 0; s < streams.size(); ++s) {
        for (const auto& [at, latency] : streams[s].timeline)
          std::fprintf(out, "%lld %lld %zu\n", static_cast<long long>(at),
                       static_cast<long long>(latency), s);
      }
      std::fclose(out);
    }
  }
  bool all_ok = true;
  for (size_t s = 0; s < streams.size(); ++s) {
    Stream& stream = streams[s];
    std::sort(stream.latencies.begin(), stream.latencies.end());
    for (const auto& [what, n] : stream.refused)
      std::fprintf(stderr, "loadgen: %zu answered %s%s\n", n, what.c_str(),
                   s == 0 ? "" : " (peer)");
    all_ok = all_ok && stream.ok == stream.latencies.size();
  }
  std::printf("{\"rate\":%.0f,%s%s%s%s}\n", rate, streams[0].Figures(elapsed).c_str(),
              peer ? ",\"peer\":{" : "", peer ? streams[1].Figures(elapsed).c_str() : "",
              peer ? "}" : "");
  return all_ok ? 0 : 3;
}

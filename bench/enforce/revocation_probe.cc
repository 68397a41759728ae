// Revocation propagation probe: for each (task, held step credential) line of --credentials, it
// calls POST /v1/revocations on the authority and, from that same instant t0, probes every
// gateway on its own keep-alive connection until the gateway refuses the credential with 403
// `revocation.task_revoked`. One sample per (revocation, gateway) = t0 -> arrival of that 403.
//
// How it measures, and why this way:
// - One thread, non-blocking sockets and poll(): the probe costs little CPU on a 2-core machine
//   that also runs the authority and 10 gateways, and nothing waits on a thread wake-up.
// - A gateway is re-probed `--interval-us` after its previous probe was SENT (or at once when the
//   answer came later than that), so a sample overshoots the true moment by at most one interval
//   plus one round trip (the round trip of a 401 on loopback: tens of microseconds).
// - Probes carry the held step credential and a DPoP proof whose header has `typ: probe`. The
//   gateway checks the credential (signature, expiry, deny set) before the proof, so until the
//   revocation arrives it answers 401 `dpop.typ_invalid` without any signature work, and afterwards
//   403 naming the revocation: the deny-set check a real call goes through, minus the ECDSA cost
//   that would make 10 tight-polled gateways compete for the CPU the push itself needs. bench.js
//   checks after the run that a fully proven call is refused too.
// - Before t0 every gateway is probed once and must answer 401 `dpop.typ_invalid` (credential
//   valid, not yet revoked); anything else aborts the run.
//
// revocation_probe --authority URL --admin-token TOKEN --gateways URL,URL,... --path /p
//                  --credentials FILE [--interval-us 1000] [--timeout-ms 10000]
// prints one JSON line: {"revocations":N,"samples_ms":[...],"revoke_call_ms":[...],
//   "after_answer_ms":[...]} (each sample minus its revoke call's time to answer)
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/enforce/raw_http.h"

namespace {

using mandate::bench::Clock;
using mandate::bench::HostPort;
using mandate::bench::ParseHttpUrl;
using Probe = mandate::bench::RawConnection;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Blocks until `probe` has a whole answer or `deadline` passes.
bool Await(Probe& probe, Clock::time_point deadline) {
  while (!probe.Read()) {
    if (probe.failed() || Clock::now() > deadline) return false;
    pollfd p{probe.fd(), POLLIN, 0};
    poll(&p, 1, 10);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"revocation propagation probe"};
  std::string authority_url, admin_token, gateway_list, path, credentials_file;
  int interval_us = 1000;
  int timeout_ms = 10'000;
  app.add_option("--authority", authority_url)->required();
  app.add_option("--admin-token", admin_token)->required();
  app.add_option("--gateways", gateway_list, "comma-separated http://IP:PORT")->required();
  app.add_option("--path", path, "gateway path probed, e.g. /bench/items/1")->required();
  app.add_option("--credentials", credentials_file, "lines: TASK_ID STEP_CREDENTIAL")->required();
  app.add_option("--interval-us", interval_us, "least time between two probes of one gateway");
  app.add_option("--timeout-ms", timeout_ms, "per revocation");
  CLI11_PARSE(app, argc, argv);

  auto authority = ParseHttpUrl(authority_url);
  std::vector<HostPort> gateways;
  std::stringstream list(gateway_list);
  for (std::string url; std::getline(list, url, ',');) {
    auto hp = ParseHttpUrl(url);
    if (!hp) {
      std::fprintf(stderr, "probe: bad gateway url %s\n", url.c_str());
      return 2;
    }
    gateways.push_back(*hp);
  }
  if (!authority || gateways.empty()) return 2;
  Probe revoker(*authority);
  std::vector<std::unique_ptr<Probe>> probes;
  for (const auto& g : gateways) probes.push_back(std::make_unique<Probe>(g));
  if (!revoker.Connect()) return 2;
  for (auto& p : probes)
    if (!p->Connect()) return 2;

  std::ifstream in(credentials_file);
  std::vector<double> samples, revoke_calls, after_answer;
  const auto interval = std::chrono::microseconds(interval_us);
  int revocations = 0;
  for (std::string task, credential; in >> task >> credential;) {
    const std::string probe_request =
        "GET " + path + " HTTP/1.1\r\nHost: gw.bench\r\nAuthorization: DPoP " + credential +
        "\r\nDPoP: eyJhbGciOiJFUzI1NiIsInR5cCI6InByb2JlIn0.e30.AA\r\n\r\n";
    const std::string body =
        R"({"scope":"task","value":")" + task + R"(","reason":"bench revocation probe"})";
    const std::string revoke_request =
        "POST /v1/revocations HTTP/1.1\r\nHost: authority\r\nAuthorization: Bearer " + admin_token +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    // Not yet revoked: every gateway accepts the credential and stops at the proof.
    for (auto& p : probes) {
      if (!p->Send(probe_request) || !Await(*p, Clock::now() + std::chrono::seconds(5)) ||
          p->status() != 401 || p->reason() != "dpop.typ_invalid") {
        std::fprintf(stderr, "probe: before revoking task %s a gateway answered %d `%s`\n",
                     task.c_str(), p->status(), p->reason().c_str());
        return 3;
      }
    }
    const Clock::time_point t0 = Clock::now();
    const Clock::time_point deadline = t0 + std::chrono::milliseconds(timeout_ms);
    if (!revoker.Send(revoke_request)) return 3;
    std::vector<bool> done(probes.size(), false);
    size_t remaining = probes.size();
    bool revoked = false;
    for (auto& p : probes)
      if (!p->Send(probe_request)) return 3;
    while (remaining > 0 || !revoked) {
      const Clock::time_point now = Clock::now();
      if (now > deadline) {
        std::fprintf(stderr, "probe: task %s: %zu gateways still allow after %d ms\n", task.c_str(),
                     remaining, timeout_ms);
        return 3;
      }
      // Next probe due: wait on the sockets at most until then.
      Clock::time_point next = deadline;
      std::vector<pollfd> fds;
      fds.push_back({revoker.fd(), static_cast<short>(revoked ? 0 : POLLIN), 0});
      for (size_t i = 0; i < probes.size(); ++i) {
        Probe& p = *probes[i];
        if (!done[i] && !p.in_flight()) {
          if (now >= p.sent_at() + interval) {
            if (!p.Send(probe_request)) return 3;
          } else {
            next = std::min(next, p.sent_at() + interval);
          }
        }
        fds.push_back({p.fd(), static_cast<short>(done[i] ? 0 : POLLIN), 0});
      }
      mandate::bench::PollUntil(fds, next);
      if (!revoked && revoker.Read()) {
        revoke_calls.push_back(Ms(Clock::now() - t0));
        if (revoker.status() != 201) {
          std::fprintf(stderr, "probe: revoke answered %d\n", revoker.status());
          return 3;
        }
        revoked = true;
      }
      for (size_t i = 0; i < probes.size(); ++i) {
        Probe& p = *probes[i];
        if (done[i] || !p.in_flight() || !p.Read()) {
          if (p.failed()) return 3;
          continue;
        }
        if (p.status() == 403 && p.reason() == "revocation.task_revoked") {
          samples.push_back(Ms(Clock::now() - t0));
          done[i] = true;
          --remaining;
        } else if (p.status() != 401 || p.reason() != "dpop.typ_invalid") {
          std::fprintf(stderr, "probe: unexpected %d `%s`\n", p.status(), p.reason().c_str());
          return 3;
        }
      }
    }
    // The part of each sample after the revoke call's answer (negative: the push won the race).
    for (size_t i = samples.size() - probes.size(); i < samples.size(); ++i) {
      after_answer.push_back(samples[i] - revoke_calls.back());
    }
    ++revocations;
  }
  std::string out = "{\"revocations\":" + std::to_string(revocations) + ",\"samples_ms\":[";
  for (size_t i = 0; i < samples.size(); ++i) out += (i ? "," : "") + std::to_string(samples[i]);
  out += "],\"revoke_call_ms\":[";
  for (size_t i = 0; i < revoke_calls.size(); ++i)
    out += (i ? "," : "") + std::to_string(revoke_calls[i]);
  out += "],\"after_answer_ms\":[";
  for (size_t i = 0; i < after_answer.size(); ++i)
    out += (i ? "," : "") + std::to_string(after_answer[i]);
  std::printf("%s]}\n", out.c_str());
  return 0;
}

// bench/cedar: agent tool-call decisions through Mandate's Cedar engine and through the
// reference cedar-wasm (bench/cedar/wasm_bench.js, statefulIsAuthorized over a pre-parsed
// policy set, entities sliced to the request), on a 10-policy/32-entity set and a
// 1,000-policy/1,000-entity set. Prints decisions/s, median µs and the ratio for both.
//   cedar_bench [--no-wasm] [--iterations N] [--wasm-iterations N]
#include <unistd.h>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "src/cedar/cedar.h"

namespace bj = boost::json;
namespace cedar = mandate::cedar;

namespace {

struct Scenario {
  std::string policies;
  bj::array entities;
  bj::array requests;
};

bj::object Uid(const std::string& type, const std::string& id) {
  return bj::object{{"type", type}, {"id", id}};
}

// Agents in teams call tools in toolboxes; each permit names one agent, one action and one
// toolbox, with conditions on the step and the arguments; two forbids apply to every call.
Scenario MakeScenario(int n_policies, int n_entities, unsigned seed) {
  std::mt19937 rng(seed);
  const int teams = std::max(2, n_entities / 50);
  const int boxes = std::max(2, n_entities / 50);
  const int agents = (n_entities - teams - boxes - 3) / 2;
  const int tools = n_entities - teams - boxes - 3 - agents;
  Scenario s;
  for (const char* a : {"call", "read", "write"}) {
    s.entities.push_back(
        bj::object{{"uid", Uid("Action", a)}, {"attrs", bj::object{}}, {"parents", bj::array{}}});
  }
  for (int t = 0; t < teams; ++t) {
    s.entities.push_back(bj::object{{"uid", Uid("Team", "team-" + std::to_string(t))},
                                    {"attrs", bj::object{}},
                                    {"parents", bj::array{}}});
  }
  for (int b = 0; b < boxes; ++b) {
    s.entities.push_back(bj::object{{"uid", Uid("Toolbox", "box-" + std::to_string(b))},
                                    {"attrs", bj::object{}},
                                    {"parents", bj::array{}}});
  }
  for (int a = 0; a < agents; ++a) {
    s.entities.push_back(bj::object{
        {"uid", Uid("Agent", "agent-" + std::to_string(a))},
        {"attrs", bj::object{{"owner", "owner-" + std::to_string(a % 7)}, {"level", 3 + a % 5}}},
        {"parents", bj::array{Uid("Team", "team-" + std::to_string(a % teams))}}});
  }
  for (int t = 0; t < tools; ++t) {
    s.entities.push_back(bj::object{
        {"uid", Uid("Tool", "tool-" + std::to_string(t))},
        {"attrs", bj::object{{"risk", t % 9}, {"system", "sys-" + std::to_string(t % 5)}}},
        {"parents", bj::array{Uid("Toolbox", "box-" + std::to_string(t % boxes))}}});
  }
  s.policies =
      "forbid (principal, action, resource) when { context.revoked };\n"
      "forbid (principal, action == Action::\"call\", resource) when { resource.risk > "
      "principal.level };\n";
  for (int i = 0; i < n_policies - 2; ++i) {
    if (i % 5 == 4) {
      s.policies += "permit (principal in Team::\"team-" + std::to_string(i % teams) +
                    "\", action == Action::\"read\", resource in Toolbox::\"box-" +
                    std::to_string(i % boxes) + "\");\n";
    } else {
      s.policies += "permit (principal == Agent::\"agent-" + std::to_string(i % agents) +
                    "\", action == Action::\"call\", resource in Toolbox::\"box-" +
                    std::to_string(i % boxes) + "\") when { context.step == \"step-" +
                    std::to_string(i % 7) + "\" && context.args.amount <= 1000 };\n";
    }
  }
  for (int r = 0; r < 1000; ++r) {
    int i = static_cast<int>(rng() % std::max(1, n_policies - 2));
    int agent = rng() % 4 ? i % agents : static_cast<int>(rng() % agents);
    int tool = static_cast<int>((i % boxes) + boxes * (rng() % std::max(1, tools / boxes)));
    tool = std::min(tool, tools - 1);
    bool read = i % 5 == 4;
    s.requests.push_back(bj::object{
        {"principal", Uid("Agent", "agent-" + std::to_string(agent))},
        {"action", Uid("Action", read ? "read" : "call")},
        {"resource", Uid("Tool", "tool-" + std::to_string(tool))},
        {"context", bj::object{{"step", "step-" + std::to_string(rng() % 2 ? i % 7 : rng() % 7)},
                               {"args", bj::object{{"amount", static_cast<int64_t>(rng() % 1500)}}},
                               {"revoked", rng() % 20 == 0}}}});
  }
  return s;
}

struct Figures {
  double decisions_per_s = 0;
  double median_us = 0;
  long allow = 0, deny = 0;
};

Figures RunMandate(const Scenario& s, int iterations) {
  auto policies = cedar::ParsePolicies(s.policies);
  auto authorizer = cedar::Authorizer::Build(*policies);
  auto entities = cedar::EntitiesFromJsonValue(s.entities);
  if (!policies || !authorizer || !entities) {
    std::cerr << "bench setup failed\n";
    std::exit(1);
  }
  std::vector<cedar::Request> requests;
  for (const bj::value& r : s.requests) {
    const bj::object& o = r.as_object();
    requests.push_back(cedar::Request{*cedar::EntityUidFromJson(o.at("principal")),
                                      *cedar::EntityUidFromJson(o.at("action")),
                                      *cedar::EntityUidFromJson(o.at("resource")),
                                      *cedar::ValueFromJson(o.at("context"), nullptr)});
  }
  Figures f;
  std::vector<double> samples(iterations);
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 1000; ++i)
    (void)(*authorizer)->Authorize(requests[i % requests.size()], *entities);
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    cedar::Response r = (*authorizer)->Authorize(requests[i % requests.size()], *entities);
    samples[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    (r.decision == cedar::Decision::kAllow ? f.allow : f.deny)++;
  }
  double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::nth_element(samples.begin(), samples.begin() + iterations / 2, samples.end());
  f.median_us = samples[iterations / 2];
  f.decisions_per_s = iterations / total;
  return f;
}

std::optional<Figures> RunWasm(const Scenario& s, int iterations) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mandate-cedar-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "policies.cedar") << s.policies;
  std::ofstream(dir / "entities.json") << bj::serialize(s.entities);
  std::ofstream(dir / "requests.json") << bj::serialize(s.requests);
  std::string cmd = "node " MANDATE_SOURCE_DIR "/bench/cedar/wasm_bench.js " + dir.string() + " " +
                    std::to_string(iterations);
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  fs::remove_all(dir);
  boost::system::error_code ec;
  bj::value v = bj::parse(out, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const bj::object& o = v.as_object();
  Figures f;
  f.decisions_per_s = o.at("decisions_per_s").to_number<double>();
  f.median_us = o.at("median_us").to_number<double>();
  f.allow = o.at("allow").to_number<long>();
  f.deny = o.at("deny").to_number<long>();
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  bool wasm = true;
  int iterations = 200000;
  int wasm_iterations_flag = 0;  // 0: iterations / 20, at least 1,000
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-wasm") wasm = false;
    if (a == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
    if (a == "--wasm-iterations" && i + 1 < argc) wasm_iterations_flag = std::atoi(argv[++i]);
  }
  std::printf("%-22s %14s %12s %14s %12s %9s %9s\n", "set", "mandate dec/s", "mandate µs",
              "wasm dec/s", "wasm µs", "ratio", "allow");
  for (auto [np, ne] : {std::pair{10, 32}, std::pair{1000, 1000}}) {
    Scenario s = MakeScenario(np, ne, 42);
    Figures m = RunMandate(s, iterations);
    std::optional<Figures> w;
    // The reference is ~100x slower: give it fewer iterations over the same request cycle.
    int wasm_iterations =
        wasm_iterations_flag > 0 ? wasm_iterations_flag : std::max(1000, iterations / 20);
    if (wasm) w = RunWasm(s, wasm_iterations);
    std::string name = std::to_string(np) + " pol/" + std::to_string(ne) + " ent";
    if (w) {
      std::printf("%-22s %14.0f %12.3f %14.0f %12.2f %8.0fx %4ld/%-4ld\n", name.c_str(),
                  m.decisions_per_s, m.median_us, w->decisions_per_s, w->median_us,
                  m.decisions_per_s / w->decisions_per_s, m.allow, m.deny);
      // Both ran the same request cycle from the start: allow counts over the common prefix
      // must agree (a cheap decision cross-check).
      Figures check = RunMandate(s, wasm_iterations);
      if (check.allow != w->allow) {
        std::printf("  WARNING: decisions differ: mandate allow %ld, wasm allow %ld\n", check.allow,
                    w->allow);
      }
    } else {
      std::printf("%-22s %14.0f %12.3f %14s %12s %9s %4ld/%-4ld\n", name.c_str(), m.decisions_per_s,
                  m.median_us, "-", "-", "-", m.allow, m.deny);
    }
  }
  return 0;
}

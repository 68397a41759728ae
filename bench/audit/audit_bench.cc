// Audit trail throughput and Append latency on the embedded SQLite store (WAL, durability
// `process` unless said otherwise, group commit). Prints, for 1 and 2 appending threads:
//   - Append (enqueue) latency p50 / p99 / max, and appends per second offered;
//   - durable appends per second: N appends then Flush (pure group-commit throughput);
//   - durable decisions per second when every caller waits for its own record (the HTTP
//     layer's pattern), with 2, 8 and 32 concurrent callers;
//   - the store alone: Store::AppendAudit cost per commit and per row for batches of 1 to 256
//     rows, at both durability levels (what a group commit of that size costs the writer).
// Usage: audit_bench [records-per-thread]   (default 200000)
//        audit_bench store [ROWS]             (the store section alone; ROWS per commit)
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "src/audit/audit.h"
#include "src/store/store.h"

namespace {

using namespace mandate;
using Clock = std::chrono::steady_clock;

audit::Record Decision(int64_t i) {
  audit::Record r;
  r.agent = "spiffe://example.org/agent/planner";
  r.principal = "alice@example.org";
  r.task = "task-" + std::to_string(i % 1000);
  r.step = "send_invoice";
  r.system = "billing";
  r.action = "POST";
  r.resource = "/v1/invoices/" + std::to_string(i);
  r.args_digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  r.decision = "allow";
  r.reasons = {"chain: step `send_invoice` follows `lookup_customer`"};
  r.policy_ids = {"no-external-after-pii"};
  return r;
}

struct Fresh {
  std::string dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::AuditLog> log;
  SystemClock clock;
  explicit Fresh(store::Durability durability = store::Durability::kProcess,
                 audit::AuditOptions options = {}) {
    std::string pattern = (std::filesystem::temp_directory_path() / "audit-bench-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    store = std::move(*store::OpenStore(dir, {.master_key = {}, .durability = durability}));
    log = std::move(*audit::AuditLog::Open(*store, clock, options));
  }
  ~Fresh() {
    log.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void AppendThenFlush(int threads, int64_t per_thread) {
  Fresh f;
  // Records are built before timing: the figure is the audit pipeline, not the caller.
  std::vector<std::vector<audit::Record>> records(threads);
  for (int t = 0; t < threads; ++t) {
    for (int64_t i = 0; i < per_thread; ++i) records[t].push_back(Decision(t * per_thread + i));
  }
  std::vector<std::vector<int64_t>> latencies(threads);
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& lat = latencies[t];
      lat.reserve(per_thread);
      for (auto& r : records[t]) {
        auto before = Clock::now();
        auto ticket = f.log->Append(std::move(r));
        lat.push_back((Clock::now() - before).count());
        if (!ticket) std::abort();
      }
    });
  }
  for (auto& w : workers) w.join();
  auto enqueued = Clock::now();
  if (!f.log->Flush().ok()) std::abort();
  auto durable = Clock::now();
  std::vector<int64_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  double n = static_cast<double>(all.size());
  auto pct = [&](double p) { return all[static_cast<size_t>(p * (n - 1))] / 1000.0; };
  std::printf(
      "%d thread(s), %lld records: Append p50 %.2f us, p99 %.2f us, max %.0f us; "
      "offered %.0f appends/s; durable %.0f appends/s (group commit, append+flush)\n",
      threads, static_cast<long long>(all.size()), pct(0.5), pct(0.99), all.back() / 1000.0,
      n / Seconds(enqueued - start), n / Seconds(durable - start));
}

void EachCallerWaits(int callers, double seconds) {
  Fresh f(store::Durability::kProcess);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int c = 0; c < callers; ++c) {
    workers.emplace_back([&, c] {
      for (int64_t i = 0; !stop; ++i) {
        auto ticket = f.log->Append(Decision(i * callers + c));
        if (!ticket || !f.log->WaitDurable(*ticket).ok()) std::abort();
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  std::printf("%d callers each waiting for durability: %.0f durable decisions/s\n", callers,
              done.load() / Seconds(Clock::now() - start));
}

// Rows are chained by hand (the store checks only sequence and prev_hash linkage).
void StoreCommits(store::Durability durability, size_t rows_per_commit, double seconds) {
  Fresh f(durability);
  f.log.reset();                     // the store alone, on this thread
  const std::string body(700, 'b');  // about a decision record's canonical body
  std::string prev(64, '0');
  int64_t sequence = 0, commits = 0;
  std::vector<store::AuditRow> rows(rows_per_commit);
  auto cpu = [] {  // this thread's CPU time: steadier than wall time on a shared machine
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
  };
  const double cpu_start = cpu();
  auto start = Clock::now();
  while (Seconds(Clock::now() - start) < seconds) {
    for (auto& row : rows) {
      row.sequence = ++sequence;
      row.prev_hash = prev;
      row.hash = std::to_string(sequence) + std::string(64 - std::to_string(sequence).size(), 'h');
      row.body = body;
      prev = row.hash;
    }
    if (!f.store->AppendAudit("main", rows).ok()) std::abort();
    ++commits;
  }
  const double us = Seconds(Clock::now() - start) * 1e6, cpu_us = cpu() - cpu_start;
  const double n = static_cast<double>(sequence);
  std::printf("store %s, %3zu rows per commit: %7.1f us per commit, %5.1f us per row (CPU %5.1f)\n",
              std::string(store::DurabilityName(durability)).c_str(), rows_per_commit, us / commits,
              us / n, cpu_us / n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "store") {
    const size_t rows = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1;
    StoreCommits(store::Durability::kProcess, rows, 3.0);
    return 0;
  }
  int64_t per_thread = argc > 1 ? std::atoll(argv[1]) : 200000;
  AppendThenFlush(1, per_thread);
  AppendThenFlush(2, per_thread);
  for (int callers : {2, 8, 32}) EachCallerWaits(callers, 3.0);
  for (auto durability : {store::Durability::kProcess, store::Durability::kPower}) {
    for (size_t rows : {1, 4, 32, 256}) StoreCommits(durability, rows, 1.0);
  }
  return 0;
}

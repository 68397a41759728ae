// Test-only helper for the audit integration tests.
//   crash_writer write DIR [DURABILITY]
//                                 append forever from 2 threads; after each WaitDurable print
//                                 `a SEQ`; every 25th record also a revocation (`r ID`) and a
//                                 task upsert (`t ID`), each printed once the store acked it;
//                                 DURABILITY: process (default) or power
//   crash_writer fill DIR N       append N records (mixed kinds), commit, exit
//   crash_writer check DIR FILE   every acknowledged line of FILE is present in the store
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "src/audit/audit.h"
#include "src/store/store.h"

namespace {

using namespace mandate;

void Ack(const std::string& line) {
  std::string out = line + "\n";
  (void)!write(1, out.data(), out.size());  // one write per line: lines never interleave
}

audit::Record MakeRecord(int64_t i) {
  audit::Record r;
  r.kind = i % 5 == 0 ? audit::RecordKind::kLifecycle : audit::RecordKind::kDecision;
  r.agent = "spiffe://example.org/agent/writer";
  r.principal = "alice";
  r.task = "task-" + std::to_string(i % 100);
  r.step = "step-" + std::to_string(i % 10);
  r.system = "crm";
  r.action = "read";
  r.resource = "contacts/" + std::to_string(i);
  r.args_digest = audit::ArgumentsDigest(std::to_string(i));
  r.decision = i % 7 == 0 ? "deny" : "allow";
  r.reasons = {"step matched"};
  return r;
}

int Fail(const std::string& what) {
  std::cerr << "crash_writer: " << what << "\n";
  return 1;
}

int Write(const std::string& dir, const std::string& durability_name) {
  auto durability = store::ParseDurability(durability_name);
  if (!durability) return Fail(durability.error().ToString());
  auto store = store::OpenStore(dir, {.master_key = {}, .durability = *durability});
  if (!store) return Fail(store.error().ToString());
  SystemClock clock;
  auto log = audit::AuditLog::Open(**store, clock);
  if (!log) return Fail(log.error().ToString());
  std::atomic<int64_t> counter{0};
  std::atomic<bool> failed{false};
  auto worker = [&](int thread) {
    while (!failed) {
      int64_t i = counter++;
      auto ticket = (*log)->Append(MakeRecord(i));
      if (!ticket || !(*log)->WaitDurable(*ticket).ok()) {
        failed = true;
        return;
      }
      Ack("a " + std::to_string(*ticket));
      if (i % 25 == 0) {
        auto id = (*store)->AppendRevocation({0, store::RevocationScope::kTask,
                                              "task-" + std::to_string(i), "deviation", "authority",
                                              clock.NowMicros()});
        if (!id) {
          failed = true;
          return;
        }
        Ack("r " + std::to_string(*id));
        store::TaskRecord task;
        task.id = "task-" + std::to_string(thread) + "-" + std::to_string(i);
        task.agent = "spiffe://example.org/agent/writer";
        task.state = store::TaskState::kRevoked;
        if (!(*store)->PutTasks(std::span(&task, 1)).ok()) {
          failed = true;
          return;
        }
        Ack("t " + task.id);
      }
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  return Fail("store failed");
}

int Fill(const std::string& dir, int64_t n) {
  auto store = store::OpenStore(dir);
  if (!store) return Fail(store.error().ToString());
  SystemClock clock;
  auto log = audit::AuditLog::Open(**store, clock);
  if (!log) return Fail(log.error().ToString());
  for (int64_t i = 0; i < n; ++i) {
    if (!(*log)->Append(MakeRecord(i))) return Fail("append failed");
  }
  Status flushed = (*log)->Flush();
  return flushed.ok() ? 0 : Fail(flushed.ToString());
}

int Check(const std::string& dir, const std::string& acks) {
  auto store = store::OpenStore(dir);
  if (!store) return Fail(store.error().ToString());
  std::ifstream in(acks);
  std::string line;
  int64_t audits = 0, revocations = 0, tasks = 0, max_seq = 0, max_revocation = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, value;
    if (!(fields >> kind >> value)) continue;  // a line cut by kill -9 was never acknowledged
    if (kind == "a") {
      max_seq = std::max<int64_t>(max_seq, std::stoll(value));
      ++audits;
    } else if (kind == "r") {
      max_revocation = std::max<int64_t>(max_revocation, std::stoll(value));
      ++revocations;
    } else if (kind == "t") {
      if (!(*store)->GetTask(value)) return Fail("acknowledged task `" + value + "` is lost");
      ++tasks;
    }
  }
  auto count = (*store)->CountAudit("main");
  auto head = (*store)->GetAuditHead("main");
  if (!count || !head) return Fail("cannot read the audit chain");
  // Sequences are contiguous from 1 (audit verify checks that), so every acknowledged
  // sequence is present iff the highest one is.
  if (*count < max_seq || head->sequence < max_seq) {
    return Fail("acknowledged audit record " + std::to_string(max_seq) + " is lost (stored " +
                std::to_string(*count) + ")");
  }
  auto events = (*store)->ListRevocationsSince(max_revocation - 1, 1);
  if (max_revocation > 0 && (!events || events->empty() || events->front().id != max_revocation)) {
    return Fail("acknowledged revocation " + std::to_string(max_revocation) + " is lost");
  }
  std::cout << "acknowledged " << audits << " audit records (highest " << max_seq << ", stored "
            << *count << "), " << revocations << " revocations, " << tasks
            << " tasks: all present\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write" && (argc == 3 || argc == 4)) {
    return Write(argv[2], argc == 4 ? argv[3] : "process");
  }
  if (mode == "fill" && argc == 4) return Fill(argv[2], std::stoll(argv[3]));
  if (mode == "check" && argc == 4) return Check(argv[2], argv[3]);
  std::cerr << "usage: crash_writer write DIR | fill DIR N | check DIR ACKFILE\n";
  return 2;
}

// What one thread waking another costs on this machine: the floor under every hand-off a proxy
// adds (load generator -> gateway -> upstream -> gateway -> load generator has two more than
// load generator -> upstream -> load generator). Two threads bounce a byte over a pair of pipes,
// each blocking in read(), so every round trip is two sleeps and two wake-ups; once with both
// threads pinned to one core and once with them on different cores. A VM whose idle vCPU must
// be woken through the hypervisor shows it here as round trips tens of times the one-core figure.
//
// enforce_wake_probe [--round-trips N]
// prints one JSON line: {"one_core":{"round_trip_us":..,"cpu_us":..},"two_cores":{..}} where
// cpu_us is the CPU time both threads used per round trip (two_cores absent on one core).
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <thread>

namespace {

struct Cost {
  double round_trip_us;
  double cpu_us;
};

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

double ProcessCpuMicros() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// Round trips between this thread on `cpu_a` and a partner on `cpu_b`; nullopt if a pin or a
// pipe fails.
std::optional<Cost> Bounce(int cpu_a, int cpu_b, int round_trips) {
  int there[2], back[2];
  if (pipe(there) != 0) return std::nullopt;
  if (pipe(back) != 0) {
    close(there[0]);
    close(there[1]);
    return std::nullopt;
  }
  std::atomic<bool> pinned{true};
  std::thread partner([&] {
    if (!Pin(cpu_b)) pinned = false;
    char byte;
    while (read(there[0], &byte, 1) == 1) {
      if (write(back[1], &byte, 1) != 1) break;
    }
  });
  std::optional<Cost> cost;
  if (Pin(cpu_a)) {
    char byte = 1;
    const auto start = std::chrono::steady_clock::now();
    const double cpu0 = ProcessCpuMicros();
    int done = 0;
    for (; done < round_trips; ++done) {
      if (write(there[1], &byte, 1) != 1 || read(back[0], &byte, 1) != 1) break;
    }
    const double cpu = ProcessCpuMicros() - cpu0;
    const double wall =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (done == round_trips && pinned) cost = Cost{wall / done, cpu / done};
  }
  close(there[1]);  // the partner's read sees the end and it returns
  partner.join();
  close(there[0]);
  close(back[0]);
  close(back[1]);
  return cost;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"thread wake-up cost on one core and across two cores"};
  int round_trips = 20000;
  app.add_option("--round-trips", round_trips, "round trips per measurement")
      ->check(CLI::Range(100, 10'000'000));
  CLI11_PARSE(app, argc, argv);
  const auto one = Bounce(0, 0, round_trips);
  if (!one) {
    std::fprintf(stderr, "enforce_wake_probe: could not pin threads or make pipes\n");
    return 1;
  }
  std::printf(R"({"one_core":{"round_trip_us":%.2f,"cpu_us":%.2f})", one->round_trip_us,
              one->cpu_us);
  if (std::thread::hardware_concurrency() > 1) {
    // Fewer round trips across cores: each can take a hundred times longer.
    const auto two = Bounce(0, 1, std::max(100, round_trips / 10));
    if (two) {
      std::printf(R"(,"two_cores":{"round_trip_us":%.2f,"cpu_us":%.2f})", two->round_trip_us,
                  two->cpu_us);
    }
  }
  std::printf("}\n");
  return 0;
}

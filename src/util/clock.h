// Clock: the seam for time. Production code takes a `const Clock&`; tests inject a FakeClock so
// a deadline test takes milliseconds, not minutes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mandate {

// Thread-safe: implementations may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  int64_t NowSeconds() const { return NowMicros() / 1'000'000; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Thread-safe: time is an atomic that only tests move.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros = 1'800'000'000'000'000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(std::memory_order_relaxed); }
  void AdvanceMicros(int64_t delta) { now_.fetch_add(delta, std::memory_order_relaxed); }
  void AdvanceSeconds(int64_t delta) { AdvanceMicros(delta * 1'000'000); }
  void SetMicros(int64_t micros) { now_.store(micros, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace mandate

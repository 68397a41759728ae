// A small Prometheus registry (text exposition format 0.0.4): counters, gauges, histograms
// with fixed buckets, and gauges computed at scrape time. The server exposes Render() at
// GET /metrics.
//
// Hot path: Counter::Increment and Histogram::Observe are lock-free and sharded across cache
// lines, so threads counting the same decision outcome do not contend.
// Thread-safety: registration and rendering take a mutex; metric updates are lock-free; the
// references returned by Add* stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mandate::http {

using Labels = std::vector<std::pair<std::string, std::string>>;

namespace internal {
inline constexpr size_t kMetricShards = 8;
struct alignas(64) ShardedU64 {
  std::atomic<uint64_t> value{0};
};
struct alignas(64) ShardedDouble {
  std::atomic<double> value{0};
};
size_t MetricShard();  // this thread's shard
}  // namespace internal

class Counter {
 public:
  void Increment(uint64_t n = 1) {
    shards_[internal::MetricShard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

 private:
  internal::ShardedU64 shards_[internal::kMetricShards];
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // REQUIRES: `upper_bounds` strictly increasing and finite (+Inf is implicit).
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  std::vector<double> bounds_;
  // shard-major: shards_[shard * (bounds_.size() + 1) + bucket]
  std::unique_ptr<internal::ShardedU64[]> counts_;
  internal::ShardedDouble sums_[internal::kMetricShards];
};

// Latency buckets in seconds, 5 µs to 1 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  // Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*. A name
  // keeps one type and help text; the same name and labels return the same metric.
  // Throws std::invalid_argument on a bad name or a type clash (a start-up programming error).
  Counter& AddCounter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& AddGauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> upper_bounds, Labels labels = {});
  // A gauge whose value `read` computes at each Render() (e.g. live tasks). `read` must be
  // thread-safe.
  void AddGaugeCallback(const std::string& name, const std::string& help, Labels labels,
                        std::function<double()> read);

  // The text exposition format, families in registration order.
  std::string Render() const;
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Family;
  struct Series;
  Series& Find(const std::string& name, const std::string& help, int type, Labels labels);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;  // GUARDED_BY(mu_)
};

}  // namespace mandate::http

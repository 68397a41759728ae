#include "src/http/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace mandate::http {
namespace {

TEST(Metrics, RendersCountersGaugesAndCallbacksInTextFormat) {
  MetricsRegistry registry;
  Counter& allow = registry.AddCounter("mandate_decisions_total", "Decisions by outcome.",
                                       {{"outcome", "allow"}});
  Counter& deny = registry.AddCounter("mandate_decisions_total", "Decisions by outcome.",
                                      {{"outcome", "deny"}});
  EXPECT_EQ(&allow, &registry.AddCounter("mandate_decisions_total", "", {{"outcome", "allow"}}));
  allow.Increment(3);
  deny.Increment();
  registry.AddGauge("mandate_up", "1 when serving.").Set(1);
  registry.AddGaugeCallback("mandate_live_tasks", "Live tasks.", {{"path", "a\"b\\c\nd"}},
                            [] { return 42.5; });
  EXPECT_EQ(registry.Render(),
            "# HELP mandate_decisions_total Decisions by outcome.\n"
            "# TYPE mandate_decisions_total counter\n"
            "mandate_decisions_total{outcome=\"allow\"} 3\n"
            "mandate_decisions_total{outcome=\"deny\"} 1\n"
            "# HELP mandate_up 1 when serving.\n"
            "# TYPE mandate_up gauge\n"
            "mandate_up 1\n"
            "# HELP mandate_live_tasks Live tasks.\n"
            "# TYPE mandate_live_tasks gauge\n"
            "mandate_live_tasks{path=\"a\\\"b\\\\c\\nd\"} 42.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  Histogram& latency =
      registry.AddHistogram("mandate_decision_seconds", "Decision latency.", {0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.005, 0.05, 2.0}) latency.Observe(v);
  EXPECT_EQ(registry.Render(),
            "# HELP mandate_decision_seconds Decision latency.\n"
            "# TYPE mandate_decision_seconds histogram\n"
            "mandate_decision_seconds_bucket{le=\"0.001\"} 2\n"
            "mandate_decision_seconds_bucket{le=\"0.01\"} 3\n"
            "mandate_decision_seconds_bucket{le=\"0.1\"} 4\n"
            "mandate_decision_seconds_bucket{le=\"+Inf\"} 5\n"
            "mandate_decision_seconds_sum 2.0565\n"
            "mandate_decision_seconds_count 5\n");
}

TEST(Metrics, CountsExactlyUnderConcurrentIncrements) {
  MetricsRegistry registry;
  Counter& counter = registry.AddCounter("c_total", "c");
  Histogram& histogram = registry.AddHistogram("h", "h", LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        counter.Increment();
        histogram.Observe(0.00002);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.Value(), 400000u);
  EXPECT_EQ(histogram.Read().count, 400000u);
}

TEST(Metrics, RejectsBadNamesAndTypeClashes) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.AddCounter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("ok", "x", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h2", "x", {0.1}, {{"le", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h3", "x", {0.1, 0.05}), std::invalid_argument);
  registry.AddCounter("taken", "x");
  EXPECT_THROW(registry.AddGauge("taken", "x"), std::invalid_argument);
}

}  // namespace
}  // namespace mandate::http

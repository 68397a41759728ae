#include "src/http/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace mandate::http {
namespace internal {

size_t MetricShard() {
  static std::atomic<size_t> next{0};
  thread_local size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kMetricShards;
  return shard;
}

}  // namespace internal

namespace {

enum Type { kCounter, kGauge, kHistogram };
const char* TypeName(int type) {
  return type == kCounter ? "counter" : type == kGauge ? "gauge" : "histogram";
}

bool ValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void AppendNumber(double value, std::string* out) {
  if (std::isnan(value)) return out->append("NaN"), void();
  if (std::isinf(value)) return out->append(value > 0 ? "+Inf" : "-Inf"), void();
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}

void AppendEscaped(const std::string& text, bool quote, std::string* out) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// name{a="b",le="0.1"}
void AppendSeriesName(const std::string& name, const char* suffix, const Labels& labels,
                      const std::string* le, std::string* out) {
  out->append(name);
  out->append(suffix);
  if (labels.empty() && !le) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(key);
    out->append("=\"");
    AppendEscaped(value, true, out);
    out->push_back('"');
  }
  if (le) {
    if (!first) out->push_back(',');
    out->append("le=\"");
    out->append(*le);
    out->push_back('"');
  }
  out->push_back('}');
}

}  // namespace

uint64_t Counter::Value() const {
  uint64_t total = 0;
  for (const auto& shard : shards_) total += shard.value.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(new internal::ShardedU64[internal::kMetricShards * (bounds_.size() + 1)]) {}

void Histogram::Observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  size_t shard = internal::MetricShard();
  counts_[shard * (bounds_.size() + 1) + bucket].value.fetch_add(1, std::memory_order_relaxed);
  sums_[shard].value.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.upper_bounds = bounds_;
  snapshot.cumulative_counts.assign(bounds_.size() + 1, 0);
  for (size_t shard = 0; shard < internal::kMetricShards; ++shard) {
    for (size_t b = 0; b <= bounds_.size(); ++b) {
      snapshot.cumulative_counts[b] +=
          counts_[shard * (bounds_.size() + 1) + b].value.load(std::memory_order_relaxed);
    }
    snapshot.sum += sums_[shard].value.load(std::memory_order_relaxed);
  }
  for (size_t b = 1; b < snapshot.cumulative_counts.size(); ++b) {
    snapshot.cumulative_counts[b] += snapshot.cumulative_counts[b - 1];
  }
  snapshot.count = snapshot.cumulative_counts.back();
  return snapshot;
}

std::vector<double> LatencyBuckets() {
  return {0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
          0.005,    0.01,    0.025,    0.05,    0.1,    0.25,    0.5,    1.0};
}

struct MetricsRegistry::Series {
  Labels labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::function<double()> read;
};

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type;
  std::vector<std::unique_ptr<Series>> series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::Find(const std::string& name, const std::string& help,
                                               int type, Labels labels) {
  if (!ValidName(name, true)) throw std::invalid_argument("invalid metric name `" + name + "`");
  for (const auto& [key, value] : labels) {
    if (!ValidName(key, false) || key.rfind("__", 0) == 0 || (type == kHistogram && key == "le")) {
      throw std::invalid_argument("metric `" + name + "`: invalid label name `" + key + "`");
    }
  }
  Family* family = nullptr;
  for (auto& f : families_) {
    if (f->name == name) family = f.get();
  }
  if (!family) {
    families_.push_back(std::make_unique<Family>(Family{name, help, type, {}}));
    family = families_.back().get();
  } else if (family->type != type) {
    throw std::invalid_argument("metric `" + name + "` already registered as " +
                                TypeName(family->type));
  }
  for (auto& s : family->series) {
    if (s->labels == labels) return *s;
  }
  family->series.push_back(std::make_unique<Series>());
  family->series.back()->labels = std::move(labels);
  return *family->series.back();
}

Counter& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                     Labels labels) {
  std::lock_guard lock(mu_);
  Series& series = Find(name, help, kCounter, std::move(labels));
  if (!series.counter) series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& MetricsRegistry::AddGauge(const std::string& name, const std::string& help, Labels labels) {
  std::lock_guard lock(mu_);
  Series& series = Find(name, help, kGauge, std::move(labels));
  if (series.read) throw std::invalid_argument("metric `" + name + "` is a callback gauge");
  if (!series.gauge) series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> upper_bounds, Labels labels) {
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
      throw std::invalid_argument("metric `" + name + "`: buckets must increase and be finite");
    }
  }
  std::lock_guard lock(mu_);
  Series& series = Find(name, help, kHistogram, std::move(labels));
  if (!series.histogram) series.histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  return *series.histogram;
}

void MetricsRegistry::AddGaugeCallback(const std::string& name, const std::string& help,
                                       Labels labels, std::function<double()> read) {
  std::lock_guard lock(mu_);
  Series& series = Find(name, help, kGauge, std::move(labels));
  if (series.gauge) throw std::invalid_argument("metric `" + name + "` is a plain gauge");
  series.read = std::move(read);
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& family : families_) {
    out.append("# HELP ");
    out.append(family->name);
    out.push_back(' ');
    AppendEscaped(family->help, false, &out);
    out.append("\n# TYPE ");
    out.append(family->name);
    out.push_back(' ');
    out.append(TypeName(family->type));
    out.push_back('\n');
    for (const auto& series : family->series) {
      if (series->histogram) {
        Histogram::Snapshot snap = series->histogram->Read();
        for (size_t b = 0; b <= snap.upper_bounds.size(); ++b) {
          std::string le;
          if (b < snap.upper_bounds.size()) {
            AppendNumber(snap.upper_bounds[b], &le);
          } else {
            le = "+Inf";
          }
          AppendSeriesName(family->name, "_bucket", series->labels, &le, &out);
          out.push_back(' ');
          out.append(std::to_string(snap.cumulative_counts[b]));
          out.push_back('\n');
        }
        AppendSeriesName(family->name, "_sum", series->labels, nullptr, &out);
        out.push_back(' ');
        AppendNumber(snap.sum, &out);
        out.push_back('\n');
        AppendSeriesName(family->name, "_count", series->labels, nullptr, &out);
        out.push_back(' ');
        out.append(std::to_string(snap.count));
        out.push_back('\n');
        continue;
      }
      AppendSeriesName(family->name, "", series->labels, nullptr, &out);
      out.push_back(' ');
      if (series->counter) {
        out.append(std::to_string(series->counter->Value()));
      } else if (series->gauge) {
        AppendNumber(series->gauge->Value(), &out);
      } else if (series->read) {
        AppendNumber(series->read(), &out);
      } else {
        out.push_back('0');
      }
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace mandate::http

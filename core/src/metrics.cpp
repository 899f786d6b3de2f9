// sluice::Metrics over prometheus-cpp: a prometheus::Registry holds the families and series,
// TextSerializer writes the exposition. The sluice wrappers give plugins stable references
// without prometheus-cpp headers; this file keeps them next to the series they stand for.
#include "sluice/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

namespace sluice {

void Counter::inc(std::uint64_t n) {
  if (n == 1) {
    series_->Increment();
  } else {
    series_->Increment(static_cast<double>(n));
  }
}

std::uint64_t Counter::value() const { return static_cast<std::uint64_t>(series_->Value()); }

void Gauge::set(double v) { series_->Set(v); }
void Gauge::add(double d) { series_->Increment(d); }
double Gauge::value() const { return series_->Value(); }

void Histogram::observe(double v) { series_->Observe(v); }

std::vector<std::uint64_t> Histogram::buckets() const {
  const auto buckets = series_->Collect().histogram.bucket;  // cumulative, +Inf last
  std::vector<std::uint64_t> out;
  out.reserve(buckets.size());
  std::uint64_t below = 0;
  for (const auto& b : buckets) {
    out.push_back(b.cumulative_count - below);
    below = b.cumulative_count;
  }
  return out;
}

double Histogram::sum() const { return series_->Collect().histogram.sample_sum; }
std::uint64_t Histogram::count() const { return series_->Collect().histogram.sample_count; }

// Named, not anonymous: Metrics::Impl holds these, and a unity build (compose/sanitize.sh)
// includes this file into another, where GCC refuses anonymous types in a named class's fields.
namespace metrics_impl {

// One metric family: the prometheus-cpp family of its type and the sluice objects handed out
// for its series, keyed by prometheus::Labels (a sorted map, so label order does not matter).
template <typename Ours, typename Theirs>
struct Series {
  prometheus::Family<Theirs>* family = nullptr;
  std::map<prometheus::Labels, std::unique_ptr<Ours>> handed_out;
  std::map<prometheus::Labels, Theirs*> theirs;

  // Drops the series: prometheus-cpp first (no scrape sees it after), then our wrapper.
  bool remove(const prometheus::Labels& labels) {
    auto it = theirs.find(labels);
    if (it == theirs.end()) return false;
    family->Remove(it->second);
    theirs.erase(it);
    handed_out.erase(labels);
    return true;
  }
};

struct FamilyEntry {
  Series<Counter, prometheus::Counter> counters;
  Series<Gauge, prometheus::Gauge> gauges;
  Series<Histogram, prometheus::Histogram> histograms;
};

}  // namespace metrics_impl

namespace {

using metrics_impl::FamilyEntry;
using metrics_impl::Series;

Series<Counter, prometheus::Counter>& series_of(FamilyEntry& f, Counter*) { return f.counters; }
Series<Gauge, prometheus::Gauge>& series_of(FamilyEntry& f, Gauge*) { return f.gauges; }
Series<Histogram, prometheus::Histogram>& series_of(FamilyEntry& f, Histogram*) { return f.histograms; }

prometheus::detail::Builder<prometheus::Counter> builder_of(Counter*) { return prometheus::BuildCounter(); }
prometheus::detail::Builder<prometheus::Gauge> builder_of(Gauge*) { return prometheus::BuildGauge(); }
prometheus::detail::Builder<prometheus::Histogram> builder_of(Histogram*) { return prometheus::BuildHistogram(); }

// prometheus-cpp lists families by type and series by hash; /metrics lists both by name, so
// a diff of two scrapes reads like a diff.
void sort_for_reading(std::vector<prometheus::MetricFamily>& families) {
  std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& f : families) {
    std::sort(f.metric.begin(), f.metric.end(), [](const auto& a, const auto& b) { return a.label < b.label; });
  }
}

}  // namespace

struct Metrics::Impl {
  prometheus::Registry registry;
  mutable std::mutex mutex;  // guards families (prometheus-cpp guards its own state)
  std::map<std::string, metrics_impl::FamilyEntry> families;

  // The sluice object for name + labels, created with `make(theirs)` the first time.
  template <typename Ours, typename Make, typename... Args>
  Ours& series(const std::string& name, const std::string& help, const Labels& labels, Make make, Args&&... args) {
    std::lock_guard lock(mutex);
    auto found = families.find(name);
    if (found == families.end()) {
      // Throws std::invalid_argument for a bad name or one taken by another type; nothing is
      // recorded then.
      auto& family = builder_of(static_cast<Ours*>(nullptr)).Name(name).Help(help).Register(registry);
      found = families.emplace(name, FamilyEntry{}).first;
      series_of(found->second, static_cast<Ours*>(nullptr)).family = &family;
    }
    auto& s = series_of(found->second, static_cast<Ours*>(nullptr));
    if (!s.family) throw std::invalid_argument("metric " + name + " is registered with another type");
    prometheus::Labels key(labels.begin(), labels.end());
    auto& slot = s.handed_out[key];
    if (!slot) {
      try {
        auto& theirs = s.family->Add(key, std::forward<Args>(args)...);
        slot = make(theirs);
        s.theirs[key] = &theirs;
      } catch (...) {
        s.handed_out.erase(key);  // e.g. an invalid label name
        throw;
      }
    }
    return *slot;
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

Counter& Metrics::counter(const std::string& name, const std::string& help, const Labels& labels) {
  return impl_->series<Counter>(name, help, labels,
                                [](prometheus::Counter& c) { return std::make_unique<Counter>(c); });
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  return impl_->series<Gauge>(name, help, labels, [](prometheus::Gauge& g) { return std::make_unique<Gauge>(g); });
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                              const Labels& labels) {
  std::vector<double> sorted = bounds;  // prometheus-cpp refuses unsorted bounds
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return impl_->series<Histogram>(
      name, help, labels, [&sorted](prometheus::Histogram& h) { return std::make_unique<Histogram>(h, sorted); },
      prometheus::Histogram::BucketBoundaries(sorted));
}

bool Metrics::remove(const std::string& name, const Labels& labels) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->families.find(name);
  if (it == impl_->families.end()) return false;
  const prometheus::Labels key(labels.begin(), labels.end());
  FamilyEntry& f = it->second;
  return f.counters.remove(key) || f.gauges.remove(key) || f.histograms.remove(key);
}

std::optional<double> Metrics::gauge_value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->families.find(name);
  if (it == impl_->families.end()) return std::nullopt;
  const auto& gauges = it->second.gauges.handed_out;
  auto g = gauges.find(prometheus::Labels(labels.begin(), labels.end()));
  if (g == gauges.end()) return std::nullopt;
  return g->second->value();
}

std::string Metrics::render() const {
  auto families = impl_->registry.Collect();
  sort_for_reading(families);
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace sluice

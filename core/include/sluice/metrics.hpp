// The metrics registry shared by the runtime and every plugin, kept by prometheus-cpp (Debian's
// prometheus-cpp-dev): its Registry holds the series and its TextSerializer writes /metrics.
// This header is what plugins see, so it names prometheus-cpp's types only by declaration:
// plugins need no prometheus-cpp headers and the library stays a private dependency of
// libsluice_core. Metric objects live as long as the registry (or until remove()); hot paths
// keep a reference and call inc/set/add/observe, which are lock-free (observe takes the
// histogram's own short lock).
#pragma once

#include <boost/config.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace sluice {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count (prometheus::Counter).
class BOOST_SYMBOL_VISIBLE Counter {
 public:
  explicit Counter(prometheus::Counter& series) : series_(&series) {}
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1);
  std::uint64_t value() const;

 private:
  prometheus::Counter* series_;
};

// A value that goes up and down (prometheus::Gauge).
class BOOST_SYMBOL_VISIBLE Gauge {
 public:
  explicit Gauge(prometheus::Gauge& series) : series_(&series) {}
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v);
  void add(double d);
  double value() const;

 private:
  prometheus::Gauge* series_;
};

// Observations counted into buckets with upper bounds `bounds()` plus +Inf (prometheus::Histogram).
class BOOST_SYMBOL_VISIBLE Histogram {
 public:
  Histogram(prometheus::Histogram& series, std::vector<double> bounds) : series_(&series), bounds_(std::move(bounds)) {}
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative-free bucket counts (one per bound plus +Inf), sum and count.
  std::vector<std::uint64_t> buckets() const;
  double sum() const;
  std::uint64_t count() const;

 private:
  prometheus::Histogram* series_;
  std::vector<double> bounds_;  // sorted
};

class BOOST_SYMBOL_VISIBLE Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Same name + labels (in any order) returns the same object. Names and label names follow
  // Prometheus conventions (std::invalid_argument otherwise, or when a name is already taken by
  // another metric type). A family's HELP is the one it was first registered with.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                       const Labels& labels = {});

  // Drops one labelled series (of any type) from the registry and from render(), e.g. the lag
  // of a partition this process no longer owns. References obtained for it before dangle
  // afterwards: the caller must forget them first. False if there was no such series.
  bool remove(const std::string& name, const Labels& labels);

  // The value of one gauge series, if it exists (the admin status reads a source's lag).
  std::optional<double> gauge_value(const std::string& name, const Labels& labels) const;

  // Prometheus text exposition format 0.0.4, families sorted by name and series by labels.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

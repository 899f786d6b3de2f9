// A small Prometheus-style metrics registry shared by the runtime and every plugin.
// Metric objects live as long as the registry; hot paths keep a reference and only touch
// atomics.
#pragma once

#include <atomic>
#include <boost/config.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

using Labels = std::vector<std::pair<std::string, std::string>>;

class BOOST_SYMBOL_VISIBLE Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class BOOST_SYMBOL_VISIBLE Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class BOOST_SYMBOL_VISIBLE Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative-free bucket counts (one per bound plus +Inf), sum and count.
  std::vector<std::uint64_t> buckets() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

class BOOST_SYMBOL_VISIBLE Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Same name + labels returns the same object. Names follow Prometheus conventions.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& bounds, const Labels& labels = {});

  // Drops one labelled series (of any type) from the registry and from render(), e.g. the lag
  // of a partition this process no longer owns. References obtained for it before dangle
  // afterwards: the caller must forget them first. False if there was no such series.
  bool remove(const std::string& name, const Labels& labels);

  // The value of one gauge series, if it exists (the admin status reads a source's lag).
  std::optional<double> gauge_value(const std::string& name, const Labels& labels) const;

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, const char* type);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

}  // namespace sluice

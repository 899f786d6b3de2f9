// The metric calls plugins make per record or per request: Counter::inc, Gauge::set and
// Histogram::observe, alone and from two threads on one series (the REST workers share their
// counters). Not a test: run build/test/tests/bench/metrics_bench to compare implementations.
#include <benchmark/benchmark.h>

#include "sluice/metrics.hpp"

namespace {

sluice::Metrics& registry() {
  static sluice::Metrics metrics;
  return metrics;
}

void counter_inc(benchmark::State& state) {
  auto& c = registry().counter("bench_total", "Bench", {{"route", "order"}});
  for (auto _ : state) c.inc();
  benchmark::DoNotOptimize(c.value());
}
BENCHMARK(counter_inc)->Threads(1)->Threads(2);

void gauge_set(benchmark::State& state) {
  auto& g = registry().gauge("bench_level", "Bench");
  double v = 0;
  for (auto _ : state) g.set(v += 1);
  benchmark::DoNotOptimize(g.value());
}
BENCHMARK(gauge_set);

void histogram_observe(benchmark::State& state) {
  auto& h =
      registry().histogram("bench_seconds", "Bench",
                           {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}, {{"route", "order"}});
  double v = 0;
  for (auto _ : state) {
    h.observe(v);
    v = v > 1 ? 0 : v + 0.001;
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(histogram_observe)->Threads(1)->Threads(2);

// The scrape: 200 series, as a busy pipeline exposes.
void render(benchmark::State& state) {
  sluice::Metrics m;
  for (int i = 0; i < 100; ++i) m.counter("bench_series_total", "Bench", {{"i", std::to_string(i)}}).inc(i);
  for (int i = 0; i < 10; ++i)
    m.histogram("bench_latency_seconds", "Bench", {0.01, 0.1, 1}, {{"i", std::to_string(i)}}).observe(i);
  for (auto _ : state) benchmark::DoNotOptimize(m.render());
}
BENCHMARK(render);

}  // namespace

BENCHMARK_MAIN();

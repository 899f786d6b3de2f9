#include "sluice/metrics.hpp"

#include <gtest/gtest.h>

#include "sluice/health.hpp"

namespace sluice {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.counter("sluice_x_total", "Things", {{"reason", "bad \"json\""}}).inc(3);
  m.gauge("sluice_g", "A gauge").set(1.5);
  auto& h = m.histogram("sluice_h_seconds", "Latency", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE sluice_x_total counter\nsluice_x_total{reason=\"bad \\\"json\\\"\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("sluice_g 1.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_h_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_h_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_h_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sluice_h_seconds_count 3\n"), std::string::npos) << text;
}

TEST(Metrics, SameNameAndLabelsIsSameCounter) {
  Metrics m;
  m.counter("c", "h", {{"a", "1"}}).inc();
  m.counter("c", "h", {{"a", "1"}}).inc();
  EXPECT_EQ(m.counter("c", "h", {{"a", "1"}}).value(), 2u);
  EXPECT_EQ(m.counter("c", "h", {{"a", "2"}}).value(), 0u);
}

TEST(Metrics, RemoveDropsOnlyThatSeries) {
  Metrics m;
  m.gauge("lag", "h", {{"partition", "1"}}).set(7);
  m.gauge("lag", "h", {{"partition", "2"}}).set(9);
  EXPECT_TRUE(m.remove("lag", {{"partition", "1"}}));
  EXPECT_FALSE(m.remove("lag", {{"partition", "1"}}));  // already gone
  EXPECT_FALSE(m.remove("nope", {}));
  std::string text = m.render();
  EXPECT_EQ(text.find("lag{partition=\"1\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("lag{partition=\"2\"} 9\n"), std::string::npos) << text;
  // Asked for again, the series starts afresh.
  EXPECT_EQ(m.gauge("lag", "h", {{"partition", "1"}}).value(), 0);
}

TEST(Health, ReadyOnlyWhenEveryComponentIs) {
  Health h;
  EXPECT_TRUE(h.ready());
  h.set("warmup", false, "warming: 10 orders");
  h.set("db", true);
  std::string why;
  EXPECT_FALSE(h.ready(&why));
  EXPECT_EQ(why, "warmup: warming: 10 orders");
  h.set("warmup", true);
  EXPECT_TRUE(h.ready());
}

TEST(Health, PublishesReadinessToAGauge) {
  Metrics m;
  Health h;
  Gauge& ready = m.gauge("sluice_ready", "h");
  h.set("db", false, "connecting");
  h.publish_to(ready);
  EXPECT_EQ(ready.value(), 0) << "publish_to takes the state at once";
  h.set("db", true);
  EXPECT_EQ(ready.value(), 1);
  const auto before = h.snapshot();
  h.set("source", false, "broker down");
  EXPECT_EQ(ready.value(), 0);
  h.clear("source");
  EXPECT_EQ(ready.value(), 1);
  h.set("source", false);
  h.restore(before);
  EXPECT_EQ(ready.value(), 1) << "a rolled-back reload puts the old state back, gauge included";
  EXPECT_NE(m.render().find("sluice_ready 1\n"), std::string::npos) << m.render();
}

}  // namespace
}  // namespace sluice

// TapHub: what a tap takes (its stage only, up to its limit, at most max_per_second, values
// cut), when it ends, and that closing it detaches it.
#include "tap_hub.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<Record> records(int n, std::size_t value_size = 3) {
  std::vector<Record> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    out[i].offset = i;
    out[i].value = std::string(value_size, 'x');
  }
  return out;
}

std::size_t drain(Tap& tap) {
  std::size_t n = 0;
  TapRecord r;
  while (tap.next(r, Clock::now())) ++n;
  return n;
}

TEST(TapHubTest, ATapTakesItsStageOnlyUpToItsLimit) {
  TapHub hub;
  std::string error;
  TapLimits limits;
  limits.limit = 4;
  auto tap = hub.open("b", limits, error);
  ASSERT_TRUE(tap);
  hub.offer("a", records(10));
  EXPECT_EQ(drain(*tap), 0u);
  EXPECT_FALSE(tap->ended());
  hub.offer("b", records(10));
  TapRecord r;
  ASSERT_TRUE(tap->next(r, Clock::now()));
  EXPECT_EQ(r.stage, "b");
  EXPECT_EQ(r.record.offset, 0);
  EXPECT_EQ(drain(*tap), 3u);
  EXPECT_TRUE(tap->ended());
  // Ended: a waiter returns at once, not at its deadline.
  const auto before = Clock::now();
  EXPECT_FALSE(tap->next(r, Clock::now() + 10s));
  EXPECT_LT(Clock::now() - before, 5s);
}

TEST(TapHubTest, MoreThanTheRateIsDroppedAndValuesAreCut) {
  TapHub hub;
  std::string error;
  TapLimits limits;
  limits.limit = 1000;
  limits.max_per_second = 10;
  limits.max_value_bytes = 8;
  auto tap = hub.open("a", limits, error);
  hub.offer("a", records(25, 100));
  TapRecord r;
  ASSERT_TRUE(tap->next(r, Clock::now()));
  EXPECT_EQ(r.record.value.size(), 8u);
  EXPECT_EQ(r.value_bytes, 100u);
  EXPECT_EQ(1 + drain(*tap), 10u);
  EXPECT_EQ(tap->dropped(), 15u);
}

TEST(TapHubTest, ATapEndsAfterItsDuration) {
  TapHub hub;
  std::string error;
  TapLimits limits;
  limits.max_duration = 50ms;
  auto tap = hub.open("a", limits, error);
  TapRecord r;
  const auto before = Clock::now();
  EXPECT_FALSE(tap->next(r, Clock::now() + 30s));
  EXPECT_LT(Clock::now() - before, 10s) << "the tap's own end must wake the waiter";
  EXPECT_TRUE(tap->ended());
}

TEST(TapHubTest, EndAllWakesAWaitingReader) {
  TapHub hub;
  std::string error;
  TapLimits limits;
  limits.max_duration = 600s;
  auto tap = hub.open("a", limits, error);
  std::thread ender([&] {
    std::this_thread::sleep_for(50ms);  // let the reader wait first (either order passes)
    hub.end_all();
  });
  TapRecord r;
  const auto before = Clock::now();
  EXPECT_FALSE(tap->next(r, Clock::now() + 300s));
  EXPECT_LT(Clock::now() - before, 60s);
  EXPECT_TRUE(tap->ended());
  ender.join();
}

TEST(TapHubTest, OpenTapsAreBoundedAndClosingOneFreesItsPlace) {
  TapHub hub;
  std::string error;
  std::vector<std::unique_ptr<Tap>> taps;
  for (std::size_t i = 0; i < TapHub::kMaxTaps; ++i) {
    taps.push_back(hub.open("a", {}, error));
    ASSERT_TRUE(taps.back());
  }
  EXPECT_FALSE(hub.open("a", {}, error));
  EXPECT_NE(error.find("too many"), std::string::npos);
  taps.pop_back();
  EXPECT_TRUE(hub.open("a", {}, error));
}

TEST(TapHubTest, TheOpenTapsGaugeFollowsOpenAndClose) {
  Metrics metrics;
  auto& gauge = metrics.gauge("sluice_taps_open", "");
  std::string error;
  std::unique_ptr<Tap> outlives;
  {
    TapHub hub;
    hub.count_open_in(gauge);
    auto a = hub.open("a", {}, error);
    outlives = hub.open("b", {}, error);
    EXPECT_EQ(gauge.value(), 2);
    a.reset();
    EXPECT_EQ(gauge.value(), 1);
  }
  // The hub is gone: closing its last tap must not touch the gauge (it may be gone too).
  outlives.reset();
  EXPECT_EQ(gauge.value(), 1);
}

}  // namespace
}  // namespace sluice

// Read-your-writes watermarks on their own: a waiter wakes when its position is reached,
// times out otherwise, and a watermark never goes backwards.
#include "watermarks.hpp"

#include <gtest/gtest.h>

#include <future>

namespace sluice::test {
namespace {

using cache::Watermarks;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

Position at(std::int32_t partition, std::int64_t offset) { return Position{"orders", partition, offset}; }

TEST(Watermarks, AWaiterWakesWhenItsPositionIsRaised) {
  Watermarks marks;
  marks.raise({at(0, 5)});
  EXPECT_EQ(marks.wait_for(at(0, 5), clock::now()), Reach::reached);  // already there: no wait
  // Far deadline: only the raise below can end the wait before it.
  auto waiter = std::async(std::launch::async, [&] { return marks.wait_for(at(0, 10), clock::now() + 60s); });
  marks.raise({at(0, 9), at(1, 100)});  // another partition, and not far enough: still waiting
  EXPECT_EQ(waiter.wait_for(0s), std::future_status::timeout);
  marks.raise({at(0, 10)});
  EXPECT_EQ(waiter.get(), Reach::reached);
}

TEST(Watermarks, TimesOutWithNotYet) {
  Watermarks marks;
  EXPECT_EQ(marks.wait_for(at(0, 1), clock::now() + 20ms), Reach::not_yet);  // never reported
  marks.raise({at(0, 3)});
  auto start = clock::now();
  EXPECT_EQ(marks.wait_for(at(0, 4), start + 20ms), Reach::not_yet);
  EXPECT_GE(clock::now() - start, 20ms);
  EXPECT_EQ(marks.wait_for(Position{"other", 0, 1}, clock::now()), Reach::not_yet);
}

TEST(Watermarks, NeverGoesBackwards) {
  Watermarks marks;
  EXPECT_EQ(marks.of("orders", 0), -1);
  marks.raise({at(0, 50)});
  marks.raise({at(0, 20)});  // a late report of an older position
  EXPECT_EQ(marks.of("orders", 0), 50);
  EXPECT_EQ(marks.wait_for(at(0, 50), clock::now()), Reach::reached);
  marks.raise({at(0, 51)});
  EXPECT_EQ(marks.of("orders", 0), 51);
}

}  // namespace
}  // namespace sluice::test

// sluice::Backoff: the one retry rhythm of the runtime (opening stages, the source loop, a
// stage's retries) and of the plugins.
#include "sluice/backoff.hpp"

#include <gtest/gtest.h>

namespace sluice {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, StartsAtTheInitialDelayAndDoublesUpToTheCap) {
  Backoff b(milliseconds(100), milliseconds(1000));
  EXPECT_EQ(b.next(), milliseconds(100));
  EXPECT_EQ(b.next(), milliseconds(200));
  EXPECT_EQ(b.next(), milliseconds(400));
  EXPECT_EQ(b.next(), milliseconds(800));
  EXPECT_EQ(b.next(), milliseconds(1000));
  EXPECT_EQ(b.next(), milliseconds(1000));
}

TEST(Backoff, PeekShowsTheNextDelayWithoutAdvancing) {
  Backoff b(milliseconds(50), milliseconds(10000));
  EXPECT_EQ(b.peek(), milliseconds(50));
  EXPECT_EQ(b.peek(), milliseconds(50));
  EXPECT_EQ(b.next(), milliseconds(50));
  EXPECT_EQ(b.peek(), milliseconds(100));
}

TEST(Backoff, ResetStartsOverAtTheInitialDelay) {
  Backoff b(milliseconds(10), milliseconds(100));
  for (int i = 0; i < 10; ++i) b.next();
  EXPECT_EQ(b.peek(), milliseconds(100));
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(10));
  EXPECT_EQ(b.next(), milliseconds(20));
}

TEST(Backoff, ACapBelowTheInitialDelayIsRaisedToIt) {
  Backoff b(milliseconds(500), milliseconds(100));
  EXPECT_EQ(b.next(), milliseconds(500));
  EXPECT_EQ(b.next(), milliseconds(500));
}

}  // namespace
}  // namespace sluice

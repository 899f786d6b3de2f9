// The negative cache on its own: remembered misses, expiry, forgetting, the bound. Time is
// passed in, so expiry is tested without waiting.
#include "negative_cache.hpp"

#include <gtest/gtest.h>

namespace sluice::test {
namespace {

using cache::NegativeCache;
using namespace std::chrono_literals;

TEST(NegativeCache, RemembersAMissUntilItExpires) {
  NegativeCache negative(2000ms, 100);
  auto t0 = NegativeCache::clock::now();
  EXPECT_FALSE(negative.contains("a", t0));
  negative.remember("a", t0);
  EXPECT_TRUE(negative.contains("a", t0));
  EXPECT_TRUE(negative.contains("a", t0 + 1999ms));
  EXPECT_FALSE(negative.contains("a", t0 + 2000ms));
  EXPECT_FALSE(negative.contains("b", t0));
  // Expired entries go on the next remember().
  negative.remember("b", t0 + 2500ms);
  EXPECT_EQ(negative.size(), 1u);
}

TEST(NegativeCache, RememberingAgainRenewsTheEntry) {
  NegativeCache negative(1000ms, 100);
  auto t0 = NegativeCache::clock::now();
  negative.remember("a", t0);
  negative.remember("b", t0 + 100ms);
  negative.remember("a", t0 + 500ms);
  EXPECT_TRUE(negative.contains("a", t0 + 1400ms));
  EXPECT_FALSE(negative.contains("b", t0 + 1400ms));
  // "a" moved behind "b": expiring "b" must not take "a" along.
  negative.remember("c", t0 + 1200ms);
  EXPECT_TRUE(negative.contains("a", t0 + 1200ms));
  EXPECT_EQ(negative.size(), 2u);
}

TEST(NegativeCache, ForgetAndClearRemoveEntries) {
  NegativeCache negative(2000ms, 100);
  auto t0 = NegativeCache::clock::now();
  negative.remember("a", t0);
  negative.remember("b", t0);
  negative.forget("a");
  negative.forget("never-seen");
  EXPECT_FALSE(negative.contains("a", t0));
  EXPECT_TRUE(negative.contains("b", t0));
  negative.clear();
  EXPECT_FALSE(negative.contains("b", t0));
  EXPECT_EQ(negative.size(), 0u);
  negative.remember("a", t0);  // usable after clear
  EXPECT_TRUE(negative.contains("a", t0));
}

TEST(NegativeCache, WhenFullTheOldestGoes) {
  NegativeCache negative(60000ms, 3);
  auto t0 = NegativeCache::clock::now();
  for (int i = 0; i < 10; ++i) negative.remember("k" + std::to_string(i), t0 + std::chrono::milliseconds(i));
  EXPECT_EQ(negative.size(), 3u);
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(negative.contains("k" + std::to_string(i), t0 + 10ms)) << i;
  for (int i = 7; i < 10; ++i) EXPECT_TRUE(negative.contains("k" + std::to_string(i), t0 + 10ms)) << i;
}

TEST(NegativeCache, ZeroTtlDisablesIt) {
  NegativeCache negative(0ms, 100);
  EXPECT_FALSE(negative.enabled());
  negative.remember("a");
  EXPECT_FALSE(negative.contains("a"));
  EXPECT_EQ(negative.size(), 0u);
}

}  // namespace
}  // namespace sluice::test

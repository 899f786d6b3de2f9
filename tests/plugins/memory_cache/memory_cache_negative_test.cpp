// Remembered misses and read-your-writes through the cache's Store interface: fill_absent()
// makes a key `absent` while the cache follows its store, until it expires or the key is
// written, filled or announced; wait_for() wakes when write() or the feed reaches a position.
#include <gtest/gtest.h>

#include <future>

#include "cache_test_helpers.hpp"
#include "fake_feed_store.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::test {
namespace {

using cache::MemoryCache;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class MemoryCacheNegative : public ::testing::Test {
 protected:
  void SetUp() override { host.add_store("db", &db); }
  void open(nlohmann::json extra = nlohmann::json::object()) {
    cache = std::make_unique<MemoryCache>(followed_config(std::move(extra)), host);
    ASSERT_TRUE(cache->open().is_ok());
  }
  void TearDown() override {
    if (cache) cache->close();
  }

  PluginTestHost host;
  FakeFeedStore db;
  std::unique_ptr<MemoryCache> cache;
};

TEST_F(MemoryCacheNegative, ARememberedMissIsAbsent) {
  open();
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::not_found);
  cache->fill_absent("x");
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::absent);
  EXPECT_EQ(look(*cache, "y").lookup, Lookup::not_found);
  EXPECT_EQ(host.metrics().counter("sluice_cache_negative_hits_total", "").value(), 1u);
}

TEST_F(MemoryCacheNegative, ARememberedMissExpires) {
  open({{"negative_ttl_ms", 300}});
  cache->fill_absent("x");
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::absent);
  EXPECT_TRUE(eventually([&] { return look(*cache, "x").lookup == Lookup::not_found; }));
}

TEST_F(MemoryCacheNegative, ZeroTtlRemembersNothing) {
  open({{"negative_ttl_ms", 0}});
  cache->fill_absent("x");
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::not_found);
}

TEST_F(MemoryCacheNegative, AWriteOrFillOfTheKeyEndsIt) {
  open();
  cache->fill_absent("x");
  cache->fill_absent("y");
  write(*cache, one_record("x", "x1", 1));
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::found);
  cache->fill("y", "y1", 1);
  EXPECT_EQ(look(*cache, "y").lookup, Lookup::found);
  // A key the cache holds exists, whatever a slower read reported.
  cache->fill_absent("x");
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::found);
}

TEST_F(MemoryCacheNegative, AFeedAnnouncementOfTheKeyEndsIt) {
  open({{"max_entries", 100}});  // bounded: the announced key is not fetched, only forgotten
  cache->fill_absent("x");
  db.put("x", "x1", 1);
  ASSERT_TRUE(db.announce(change_of({{"x", 1}})).is_ok());
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::not_found);
}

TEST_F(MemoryCacheNegative, OnlyTrustedWhileFollowingAndForgottenOnResume) {
  open();
  cache->fill_absent("x");
  db.drop("database connection lost");
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::not_found);  // it may have been committed unseen
  ASSERT_TRUE(db.resume({}).is_ok());
  EXPECT_EQ(look(*cache, "x").lookup, Lookup::not_found);
}

TEST(MemoryCacheNegativeNoFeed, TrustedOnceWarmWithoutAFeed) {
  PluginTestHost host;
  FakeFeedStore db(/*has_feed=*/false);
  host.add_store("db", &db);
  MemoryCache cache(followed_config(), host);
  cache.fill_absent("x");
  EXPECT_EQ(look(cache, "x").lookup, Lookup::not_found);  // not warm yet
  ASSERT_TRUE(cache.open().is_ok());
  cache.fill_absent("x");
  EXPECT_EQ(look(cache, "x").lookup, Lookup::absent);
}

TEST_F(MemoryCacheNegative, WaitForWakesOnWrite) {
  open();
  auto waiter = std::async(std::launch::async, [&] { return cache->wait_for({"orders", 0, 5}, clock::now() + 60s); });
  write(*cache, one_record("a", "a1", 1, {{"orders", 0, 4}}));
  EXPECT_EQ(waiter.wait_for(0s), std::future_status::timeout);
  write(*cache, one_record("a", "a2", 2, {{"orders", 0, 5}}));
  EXPECT_EQ(waiter.get(), Reach::reached);
  EXPECT_EQ(look(*cache, "a").value, "a2");
}

TEST_F(MemoryCacheNegative, WaitForWakesOnCommittedPositions) {
  open();
  auto waiter = std::async(std::launch::async, [&] { return cache->wait_for({"orders", 3, 7}, clock::now() + 60s); });
  db.put("a", "a1", 1);
  ASSERT_TRUE(db.announce(change_of({{"a", 1}}, {{"orders", 3, 7}})).is_ok());
  EXPECT_EQ(waiter.get(), Reach::reached);
  EXPECT_EQ(look(*cache, "a").value, "a1");  // the value was in before the waiter woke
}

TEST_F(MemoryCacheNegative, WaitForTimesOutWithNotYet) {
  open();
  write(*cache, one_record("a", "a1", 1, {{"orders", 0, 4}}));
  EXPECT_EQ(cache->wait_for({"orders", 0, 100}, clock::now() + 20ms), Reach::not_yet);
  EXPECT_EQ(cache->wait_for({"orders", 0, 4}, clock::now()), Reach::reached);
}

}  // namespace
}  // namespace sluice::test

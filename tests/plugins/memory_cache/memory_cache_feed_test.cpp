// The memory cache following its store's change feed: the first resume is the warm-up,
// commits refresh what the cache holds (one get_many per commit, nothing for keys already
// current), a lost feed makes every entry stale until the next resume re-reads the store,
// and a refresh that fails is reported so the store resyncs.
#include <gtest/gtest.h>

#include "cache_test_helpers.hpp"
#include "fake_feed_store.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::test {
namespace {

using cache::FeedState;
using cache::MemoryCache;
using clock = std::chrono::steady_clock;

class MemoryCacheFeed : public ::testing::Test {
 protected:
  void SetUp() override {
    host.add_store("db", &db);
    for (const char* key : {"a", "b", "c"}) db.put(key, std::string(key) + "1", 1);
    db.set_committed({{"orders", 0, 10}});
  }
  void open(nlohmann::json extra = nlohmann::json::object()) {
    cache = std::make_unique<MemoryCache>(followed_config(std::move(extra)), host);
    Status status = cache->open();
    ASSERT_TRUE(status.is_ok()) << status.message();
  }
  void TearDown() override {
    if (cache) cache->close();
  }
  double metric(const std::string& name) { return host.metrics().counter(name, "").value(); }

  PluginTestHost host;
  FakeFeedStore db;
  std::unique_ptr<MemoryCache> cache;
};

TEST_F(MemoryCacheFeed, OpenReturnsOnceTheFirstResumeWarmedTheCache) {
  open();
  EXPECT_TRUE(db.first_resume().is_ok());
  EXPECT_EQ(cache->feed_state(), FeedState::following);
  EXPECT_EQ(cache->size(), 3);
  Looked got = look(*cache, "b");
  EXPECT_EQ(got.lookup, Lookup::found);
  EXPECT_EQ(got.version, 1);
  std::string why;
  EXPECT_TRUE(host.health().ready(&why)) << why;
  // resumed() raised the watermarks to the store's committed positions.
  EXPECT_EQ(cache->wait_for({"orders", 0, 10}, clock::now()), Reach::reached);
  EXPECT_EQ(host.metrics().gauge("sluice_feed_following", "").value(), 1);
  EXPECT_EQ(metric("sluice_feed_resyncs_total"), 1);
  EXPECT_TRUE(cache->answers_from_memory());
}

TEST_F(MemoryCacheFeed, ACommitRefreshesHeldEntriesWithOneFetch) {
  open();
  db.put("a", "a2", 2);
  db.put("b", "b2", 2);
  CommittedChange change = change_of({{"a", 2}, {"b", 2}, {"c", 1}}, {{"orders", 0, 12}});
  change.committed_at_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  ASSERT_TRUE(db.announce(change).is_ok());
  EXPECT_EQ(db.get_many_calls(), 1);
  EXPECT_EQ(db.last_get_many(), (std::vector<std::string>{"a", "b"}));  // c is current
  Looked got = look(*cache, "a");
  EXPECT_EQ(got.lookup, Lookup::found);
  EXPECT_EQ(got.value, "a2");
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(look(*cache, "b").value, "b2");
  EXPECT_EQ(metric("sluice_cache_invalidations_total"), 2);
  EXPECT_EQ(metric("sluice_feed_events_total"), 1);
  EXPECT_EQ(host.metrics().histogram("sluice_feed_lag_seconds", "", {}).count(), 1u);
  EXPECT_EQ(cache->wait_for({"orders", 0, 12}, clock::now()), Reach::reached);
}

TEST_F(MemoryCacheFeed, KeysAlreadyAtTheAnnouncedVersionAreNotFetched) {
  open();
  // This instance's own write reached the cache before the feed announced it.
  db.put("a", "a2", 2);
  write(*cache, one_record("a", "a2", 2));
  ASSERT_TRUE(db.announce(change_of({{"a", 2}, {"b", 1}})).is_ok());
  EXPECT_EQ(db.get_many_calls(), 0);
  EXPECT_EQ(metric("sluice_cache_invalidations_total"), 0);
}

TEST_F(MemoryCacheFeed, AnUnboundedCacheTakesInKeysOfOtherInstances) {
  open();
  db.put("z", "z1", 1);
  ASSERT_TRUE(db.announce(change_of({{"z", 1}})).is_ok());
  EXPECT_EQ(look(*cache, "z").value, "z1");
}

TEST_F(MemoryCacheFeed, ABoundedCacheOnlyRefreshesWhatItHolds) {
  open({{"max_entries", 100}});
  db.put("z", "z1", 1);
  ASSERT_TRUE(db.announce(change_of({{"z", 1}})).is_ok());
  EXPECT_EQ(db.get_many_calls(), 0);
  EXPECT_EQ(look(*cache, "z").lookup, Lookup::not_found);
}

// The fill race in a bounded cache: a lookup read z at v1 from the database, the feed then
// announced v2 (not fetched: the cache does not hold z), and the lookup's fill arrives late.
TEST_F(MemoryCacheFeed, ABoundedCacheRefusesALateFillOlderThanAnAnnouncement) {
  open({{"max_entries", 100}});
  ASSERT_TRUE(db.announce(change_of({{"z", 2}})).is_ok());
  cache->fill("z", "z1", 1);
  EXPECT_EQ(look(*cache, "z").lookup, Lookup::not_found);
  cache->fill("z", "z2", 2);
  EXPECT_EQ(look(*cache, "z").value, "z2");
}

// Likewise a late "the database does not have it" for a key announced since.
TEST_F(MemoryCacheFeed, ABoundedCacheDoesNotRememberAMissOfAnAnnouncedKey) {
  open({{"max_entries", 100}});
  ASSERT_TRUE(db.announce(change_of({{"z", 2}})).is_ok());
  cache->fill_absent("z");
  EXPECT_EQ(look(*cache, "z").lookup, Lookup::not_found);
  cache->fill_absent("never-announced");
  EXPECT_EQ(look(*cache, "never-announced").lookup, Lookup::absent);
}

TEST_F(MemoryCacheFeed, LostMakesEntriesStaleUntilAResumeRereadsTheStore) {
  open();
  db.drop("database connection lost");
  EXPECT_EQ(cache->feed_state(), FeedState::lost);
  Looked got = look(*cache, "a");
  EXPECT_EQ(got.lookup, Lookup::stale);  // still served as a last resort, with its version
  EXPECT_EQ(got.value, "a1");
  EXPECT_EQ(got.version, 1);
  std::string why;
  EXPECT_FALSE(host.health().ready(&why));
  EXPECT_NE(why.find("database connection lost"), std::string::npos) << why;
  EXPECT_EQ(host.metrics().gauge("sluice_feed_following", "").value(), 0);

  db.put("a", "a3", 3);  // committed while the feed was away: never announced
  Lookup during_scan = Lookup::found;
  db.before_row([&](const std::string& key) {
    if (key == "b") during_scan = look(*cache, "c").lookup;
  });
  ASSERT_TRUE(db.resume({{"orders", 0, 20}}).is_ok());
  EXPECT_EQ(during_scan, Lookup::stale);  // catching up: not trusted yet
  got = look(*cache, "a");
  EXPECT_EQ(got.lookup, Lookup::found);
  EXPECT_EQ(got.value, "a3");
  EXPECT_EQ(look(*cache, "c").lookup, Lookup::found);
  EXPECT_TRUE(host.health().ready(&why)) << why;
  EXPECT_EQ(cache->wait_for({"orders", 0, 20}, clock::now()), Reach::reached);
  EXPECT_EQ(metric("sluice_feed_resyncs_total"), 2);
}

TEST_F(MemoryCacheFeed, AnEntryNotConfirmedByTheResyncStaysStale) {
  open();
  write(*cache, one_record("gone", "x", 1));  // held here, yet the store's scan will not yield it
  db.drop("database connection lost");
  ASSERT_TRUE(db.resume({}).is_ok());
  EXPECT_EQ(look(*cache, "gone").lookup, Lookup::stale);
  EXPECT_EQ(look(*cache, "a").lookup, Lookup::found);
}

TEST_F(MemoryCacheFeed, AFailedRefreshIsReportedAndRaisesNoWatermark) {
  open();
  db.put("a", "a5", 5);
  db.fail_get_many(true);
  Status status = db.announce(change_of({{"a", 5}}, {{"orders", 0, 30}}));
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(look(*cache, "a").version, 1);
  EXPECT_EQ(cache->wait_for({"orders", 0, 30}, clock::now()), Reach::not_yet);
}

TEST_F(MemoryCacheFeed, AFailedFirstResumeMakesOpenRetryAndUnfollow) {
  db.fail_scan(true);
  MemoryCache failing(followed_config(), host);
  Status status = failing.open();
  EXPECT_EQ(status.code(), StatusCode::retry);
  EXPECT_EQ(db.unfollows(), 1);
  std::string why;
  EXPECT_FALSE(host.health().ready(&why));
}

TEST(MemoryCacheNoFeed, AStoreWithoutAFeedGetsAOneShotWarmUp) {
  PluginTestHost host;
  FakeFeedStore db(/*has_feed=*/false);
  db.put("a", "a1", 1);
  host.add_store("db", &db);
  MemoryCache cache(followed_config(), host);
  ASSERT_TRUE(cache.open().is_ok());
  EXPECT_EQ(cache.feed_state(), FeedState::off);
  EXPECT_EQ(look(cache, "a").lookup, Lookup::found);
  std::string why;
  EXPECT_TRUE(host.health().ready(&why)) << why;
}

TEST(MemoryCacheNoFeed, FollowOffWarmsOnceEvenFromAStoreWithAFeed) {
  PluginTestHost host;
  FakeFeedStore db;
  db.put("a", "a1", 1);
  host.add_store("db", &db);
  MemoryCache cache(followed_config({{"follow", false}}), host);
  ASSERT_TRUE(cache.open().is_ok());
  EXPECT_EQ(db.follower(), nullptr);
  EXPECT_EQ(cache.feed_state(), FeedState::off);
  EXPECT_EQ(look(cache, "a").lookup, Lookup::found);
}

}  // namespace
}  // namespace sluice::test

// Versions decide, not arrival order: a slow lookup's fill, a feed refresh, a resync scan and
// the pipeline's write() can arrive in any order and the cache ends on the newest version.
// The slow lookup is staged deterministically: the store's get() reads its row, then blocks
// on a latch while the newer version arrives.
#include <gtest/gtest.h>

#include <future>

#include "cache_test_helpers.hpp"
#include "fake_feed_store.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::test {
namespace {

using cache::MemoryCache;

// What a front end does on a cache miss: ask the database, fill the cache with the answer.
std::future<void> slow_lookup(FakeFeedStore& db, MemoryCache& cache, const std::string& key) {
  return std::async(std::launch::async, [&db, &cache, key] {
    std::string value;
    std::int64_t version = 0;
    if (db.get(key, value, version) == Lookup::found) cache.fill(key, value, version);
  });
}

class MemoryCacheVersions : public ::testing::Test {
 protected:
  void SetUp() override {
    host.add_store("db", &db);
    ASSERT_TRUE(cache.open().is_ok());
  }
  PluginTestHost host;
  FakeFeedStore db;
  MemoryCache cache{followed_config(), host};
};

TEST_F(MemoryCacheVersions, ALateFillOfAnOlderReadLosesToTheNewerWrite) {
  db.put("o1", "v1", 1);
  db.hold_gets();
  auto lookup = slow_lookup(db, cache, "o1");
  db.wait_until_a_get_blocks();  // it has read v1
  db.put("o1", "v2", 2);
  write(cache, one_record("o1", "v2", 2));
  db.release_gets();
  lookup.get();  // fill(o1, v1, 1) arrived after write(v2)
  Looked got = look(cache, "o1");
  EXPECT_EQ(got.lookup, Lookup::found);
  EXPECT_EQ(got.value, "v2");
  EXPECT_EQ(got.version, 2);
}

TEST_F(MemoryCacheVersions, AFeedRefreshWinsOverALateFill) {
  db.put("o1", "v1", 1);
  write(cache, one_record("o1", "v1", 1));
  db.put("o1", "v2", 2);
  db.hold_gets();
  auto lookup = slow_lookup(db, cache, "o1");
  db.wait_until_a_get_blocks();  // it has read v2
  db.put("o1", "v3", 3);
  ASSERT_TRUE(db.announce(change_of({{"o1", 3}})).is_ok());
  db.release_gets();
  lookup.get();  // fill(o1, v2, 2) arrived after the feed brought v3
  Looked got = look(cache, "o1");
  EXPECT_EQ(got.lookup, Lookup::found);
  EXPECT_EQ(got.value, "v3");
  EXPECT_EQ(got.version, 3);
}

TEST_F(MemoryCacheVersions, AResyncScanYieldingAnOlderRowKeepsTheNewerWrite) {
  db.put("o1", "v1", 1);
  // The scan has read v1 (its snapshot) when the pipeline writes v2, before v1 is yielded.
  db.before_row([&](const std::string& key) {
    if (key == "o1") write(cache, one_record("o1", "v2", 2));
  });
  db.drop("connection lost");
  ASSERT_TRUE(db.resume({}).is_ok());
  Looked got = look(cache, "o1");
  // Refused, yet confirmed in this generation: it is newer than what the store had.
  EXPECT_EQ(got.lookup, Lookup::found);
  EXPECT_EQ(got.value, "v2");
  EXPECT_EQ(got.version, 2);
}

TEST_F(MemoryCacheVersions, AResyncConfirmsANewerEntryItDoesNotReplace) {
  db.put("o1", "v1", 1);
  write(cache, one_record("o1", "v2", 2));  // before the feed was lost; the scan still reads v1
  db.drop("connection lost");
  ASSERT_TRUE(db.resume({}).is_ok());
  Looked got = look(cache, "o1");
  EXPECT_EQ(got.lookup, Lookup::found);  // not stale: newer than what the store had
  EXPECT_EQ(got.value, "v2");
}

TEST_F(MemoryCacheVersions, EqualVersionsReplaceSoUnversionedWritesStayLastWriteWins) {
  write(cache, one_record("o1", "first", 0));
  write(cache, one_record("o1", "second", 0));
  EXPECT_EQ(look(cache, "o1").value, "second");
  write(cache, one_record("o2", "a", 7));
  cache.fill("o2", "b", 7);
  EXPECT_EQ(look(cache, "o2").value, "b");
  cache.fill("o2", "older", 6);
  EXPECT_EQ(look(cache, "o2").value, "b");
}

TEST(MemoryCacheVersionsWarmUp, AWarmUpScanNeverReplacesANewerVersion) {
  PluginTestHost host;
  FakeFeedStore db(/*has_feed=*/false);
  host.add_store("db", &db);
  db.put("o1", "v1", 1);
  MemoryCache cache(followed_config(), host);
  db.before_row([&](const std::string&) { cache.fill("o1", "v2", 2); });
  ASSERT_TRUE(cache.open().is_ok());
  EXPECT_EQ(look(cache, "o1").value, "v2");
  EXPECT_EQ(look(cache, "o1").lookup, Lookup::found);
}

}  // namespace
}  // namespace sluice::test

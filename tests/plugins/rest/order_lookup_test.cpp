// The lookup chain's rules: order, fill, and who decides absence.
#include "order_lookup.hpp"

#include <gtest/gtest.h>

#include "fake_store.hpp"

using namespace sluice::rest;
using sluice::test::FakeStore;

TEST(OrderUid, FollowsTheRule) {
  EXPECT_TRUE(sluice::orders::is_order_uid("b563feb7b2b84b6test"));
  EXPECT_TRUE(sluice::orders::is_order_uid("A-z_0"));
  EXPECT_TRUE(sluice::orders::is_order_uid(std::string(64, 'a')));
  EXPECT_FALSE(sluice::orders::is_order_uid(""));
  EXPECT_FALSE(sluice::orders::is_order_uid(std::string(65, 'a')));
  for (const char* bad : {"a b", "a/b", "a.b", "..", "a%41", "ü", "a\nb", "a;b"})
    EXPECT_FALSE(sluice::orders::is_order_uid(bad)) << bad;
}

TEST(OrderLookupChain, LaterHitFillsEarlierStores) {
  FakeStore cache, db;
  db.put("o1", R"({"order_uid":"o1"})");
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  EXPECT_EQ(lookup.find("o1", value).result, OrderLookup::Result::found);
  EXPECT_EQ(value, R"({"order_uid":"o1"})");
  EXPECT_TRUE(cache.has("o1"));
  EXPECT_EQ(cache.fills(), 1);
  int db_gets = db.gets();
  EXPECT_EQ(lookup.find("o1", value).result, OrderLookup::Result::found);
  EXPECT_EQ(db.gets(), db_gets) << "second lookup must be a cache hit";
}

TEST(OrderLookupChain, LastStoreDecidesAbsence) {
  FakeStore cache, db;
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  EXPECT_EQ(lookup.find("x", value).result, OrderLookup::Result::not_found);

  // ("x" is now a remembered miss in the cache; the next cases use fresh ids.)
  db.set_available(false);  // cache miss while the database is down: unknown, not absent
  EXPECT_EQ(lookup.find("y", value).result, OrderLookup::Result::unavailable);

  db.set_available(true);
  cache.set_available(false);  // cache warming up, database says no: absent
  EXPECT_EQ(lookup.find("z", value).result, OrderLookup::Result::not_found);

  db.put("w", "{}");
  EXPECT_EQ(lookup.find("w", value).result, OrderLookup::Result::found);
}

TEST(OrderLookupChain, CacheKeepsServingWhileDatabaseIsDown) {
  FakeStore cache, db;
  cache.put("o1", "{}");
  db.set_available(false);
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  EXPECT_EQ(lookup.find("o1", value).result, OrderLookup::Result::found);
}

TEST(OrderLookupChain, RecentComesFromFirstStoreThatLists) {
  FakeStore cache(/*lists_recent=*/false), db;
  db.put("a", "{}");
  db.put("b", "{}");
  db.put("c", "{}");
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::vector<std::string> uids;
  EXPECT_EQ(lookup.recent(2, uids), OrderLookup::RecentResult::ok);
  EXPECT_EQ(uids, (std::vector<std::string>{"c", "b"}));

  db.set_available(false);
  EXPECT_EQ(lookup.recent(2, uids), OrderLookup::RecentResult::unavailable);

  OrderLookup none({{"cache", &cache}});
  EXPECT_EQ(none.recent(2, uids), OrderLookup::RecentResult::unsupported);
}

TEST(OrderLookupChain, FoundReportsSourceAndVersionAndFillsWithIt) {
  FakeStore cache, db;
  db.put("o1", "v7", 7);
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  auto answer = lookup.find("o1", value);
  EXPECT_EQ(answer.result, OrderLookup::Result::found);
  EXPECT_EQ(answer.source, 1u);
  EXPECT_EQ(answer.version, 7);
  EXPECT_FALSE(answer.stale);
  EXPECT_EQ(cache.version_of("o1"), 7) << "the cache must be filled with the database's version";

  answer = lookup.find("o1", value);
  EXPECT_EQ(answer.source, 0u);
  EXPECT_EQ(answer.version, 7);
}

TEST(OrderLookupChain, StaleValueIsOnlyAFallback) {
  FakeStore cache, db;
  cache.put("o1", "old", 1);
  cache.set_stale(true);
  db.put("o1", "new", 2);
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  auto answer = lookup.find("o1", value);
  EXPECT_EQ(answer.result, OrderLookup::Result::found);
  EXPECT_EQ(value, "new") << "a later store that finds it wins over a stale cache";
  EXPECT_EQ(answer.source, 1u);
  EXPECT_FALSE(answer.stale);
  EXPECT_EQ(cache.version_of("o1"), 2) << "and refreshes it";

  FakeStore behind, down;
  behind.put("o2", "kept", 3);
  behind.set_stale(true);
  down.set_available(false);
  OrderLookup fallback({{"cache", &behind}, {"db", &down}});
  answer = fallback.find("o2", value);
  EXPECT_EQ(answer.result, OrderLookup::Result::found);
  EXPECT_EQ(value, "kept");
  EXPECT_TRUE(answer.stale);
  EXPECT_EQ(answer.source, 0u);
  EXPECT_EQ(answer.version, 3);
}

TEST(OrderLookupChain, AbsentStopsTheWalkAndLastStoreMissIsRemembered) {
  FakeStore cache, db;
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  auto answer = lookup.find("gone", value);
  EXPECT_EQ(answer.result, OrderLookup::Result::not_found);
  EXPECT_EQ(answer.source, 1u);
  EXPECT_EQ(cache.fill_absents(), 1);
  EXPECT_EQ(db.fill_absents(), 0) << "only the earlier stores are told";
  EXPECT_TRUE(cache.remembers_absent("gone"));

  const int db_gets = db.gets();
  answer = lookup.find("gone", value);
  EXPECT_EQ(answer.result, OrderLookup::Result::not_found);
  EXPECT_EQ(answer.source, 0u);
  EXPECT_EQ(db.gets(), db_gets) << "a remembered miss must not reach the database";

  db.set_available(false);  // a miss the database could not confirm is not remembered
  EXPECT_EQ(lookup.find("maybe", value).result, OrderLookup::Result::unavailable);
  EXPECT_FALSE(cache.remembers_absent("maybe"));
}

TEST(OrderLookupChain, InMemoryWalkStopsBeforeAStoreThatDoesIo) {
  FakeStore cache(true, /*in_memory=*/true), db;
  cache.put("hit", "{}", 4);
  db.put("miss", "{}");
  OrderLookup lookup({{"cache", &cache}, {"db", &db}});
  std::string value;
  EXPECT_EQ(lookup.find_in_memory("hit", value).result, OrderLookup::Result::found);
  EXPECT_EQ(lookup.find_in_memory("miss", value).result, OrderLookup::Result::needs_io);
  EXPECT_EQ(db.gets(), 0);
  cache.set_stale(true);
  EXPECT_EQ(lookup.find_in_memory("hit", value).result, OrderLookup::Result::needs_io)
      << "a stale answer needs the database";
}

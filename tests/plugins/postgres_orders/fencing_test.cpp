// Fencing in the postgres sink (README.md, "Delivery guarantees", Fencing): a batch whose records
// lie below the stored position of their partition (a paused or evicted instance waking up) changes
// nothing, a stored position never moves backwards, and the sink says so through Outcome::behind.
// Also: when the database refuses the newest version of an order in a batch, the older version of
// that batch is stored instead of vanishing (README.md, "Delivery guarantees", No valid order
// vanishes).
#include <gtest/gtest.h>

#include <thread>

#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

// Orders uid-0..uid-(n-1), version `version`, at offsets first..first+n-1 of `partition`.
Batch versions(int first, int n, int version, std::int32_t partition = 0) {
  Batch batch;
  for (int i = 0; i < n; ++i) {
    batch.records.push_back(make_record(make_order("uid-" + std::to_string(i), version).dump(), first + i, partition));
  }
  batch.positions.push_back({"orders", partition, first + n});
  return batch;
}

class FencingTest : public PostgresTest {
 protected:
  std::string amounts() {
    return scalar(
        "SELECT string_agg(o.order_uid || '=' || p.amount, ',' ORDER BY o.order_uid) "
        "FROM orders o JOIN payments p USING (order_uid)");
  }
  std::string stored_offset(int partition = 0) {
    return scalar("SELECT next_offset FROM offsets WHERE stream = 'orders' AND partition = " +
                  std::to_string(partition));
  }
};

TEST_F(FencingTest, BatchBehindTheStoredPositionChangesNothing) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Outcome outcome;
  Batch newer = versions(10, 3, 2);  // offsets 10..12, version 2, stored position -> 13
  ASSERT_TRUE(sink->write(newer, outcome).is_ok());
  EXPECT_TRUE(outcome.behind().empty());
  const std::string before = amounts();
  ASSERT_EQ(stored_offset(), "13");

  // The zombie's batch: older versions of the same orders, at offsets the store has passed.
  Batch stale = versions(7, 3, 1);
  outcome.clear();
  ASSERT_TRUE(sink->write(stale, outcome).is_ok());
  EXPECT_TRUE(outcome.rejected().empty());
  ASSERT_EQ(outcome.behind().size(), 1u);
  EXPECT_EQ(outcome.behind()[0].stream, "orders");
  EXPECT_EQ(outcome.behind()[0].partition, 0);
  EXPECT_EQ(outcome.behind()[0].offset, 13);
  EXPECT_EQ(amounts(), before);      // no order went back to version 1
  EXPECT_EQ(stored_offset(), "13");  // and the position did not move back to 10
}

TEST_F(FencingTest, PartlyBehindBatchStoresOnlyWhatIsNew) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Outcome outcome;
  Batch first = versions(0, 2, 1);  // uid-0, uid-1 at offsets 0, 1 -> position 2
  ASSERT_TRUE(sink->write(first, outcome).is_ok());

  // A batch reaching back to offset 0 (uid-0..uid-3 at 0..3, version 5): the first two are
  // behind and must not be written again, the last two are new.
  Batch overlapping = versions(0, 4, 5);
  outcome.clear();
  ASSERT_TRUE(sink->write(overlapping, outcome).is_ok());
  ASSERT_EQ(outcome.behind().size(), 1u);
  EXPECT_EQ(outcome.behind()[0].offset, 2);
  const int v1 = make_order("x", 1)["payment"]["amount"];
  const int v5 = make_order("x", 5)["payment"]["amount"];
  EXPECT_EQ(amounts(), "uid-0=" + std::to_string(v1) + ",uid-1=" + std::to_string(v1) + ",uid-2=" + std::to_string(v5) +
                           ",uid-3=" + std::to_string(v5));
  EXPECT_EQ(stored_offset(), "4");
}

TEST_F(FencingTest, PositionsOfOtherPartitionsStillAdvance) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Outcome outcome;
  Batch p0 = versions(0, 5, 3, 0);
  ASSERT_TRUE(sink->write(p0, outcome).is_ok());

  // Stale on partition 0, new on partition 1, in one batch.
  Batch mixed = versions(0, 2, 1, 0);
  Batch p1 = versions(0, 1, 1, 1);
  p1.records[0] = make_record(make_order("other", 1).dump(), 0, 1);
  mixed.records.push_back(p1.records[0]);
  mixed.positions.push_back(p1.positions[0]);
  outcome.clear();
  ASSERT_TRUE(sink->write(mixed, outcome).is_ok());
  ASSERT_EQ(outcome.behind().size(), 1u);
  EXPECT_EQ(outcome.behind()[0].partition, 0);
  EXPECT_EQ(stored_offset(0), "5");
  EXPECT_EQ(stored_offset(1), "1");
  EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE order_uid = 'other'"), "1");
}

// Two writers of the same fresh partition, as two instances briefly both believe they own
// it. As in Kafka, an offset always holds the same message: offsets 0..9 carry version 1 of
// uid-0..uid-9, offsets 10..19 version 2. One writer has read up to 20, the other (the
// zombie) up to 10. Whichever commits first, the other is fenced where they overlap, and the
// end state is version 2 everywhere at position 20: never the other way round.
TEST_F(FencingTest, ConcurrentWritersOfAFreshPartitionNeverMoveItBack) {
  Batch newer = versions(0, 10, 1);
  Batch second_half = versions(10, 10, 2);
  for (auto& r : second_half.records) newer.records.push_back(r);
  newer.positions = second_half.positions;  // 20
  const Batch older = versions(0, 10, 1);   // 10
  const int v2 = make_order("x", 2)["payment"]["amount"];
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE(round);
    auto a = make_sink();
    auto b = make_sink();
    ASSERT_TRUE(a->open().is_ok());
    ASSERT_TRUE(b->open().is_ok());
    query("TRUNCATE orders CASCADE; TRUNCATE offsets");
    Batch zombie = older;
    Batch current = newer;
    Outcome oa, ob;
    Status sa, sb;
    std::thread t([&] { sb = b->write(zombie, ob); });
    sa = a->write(current, oa);
    t.join();
    ASSERT_TRUE(sa.is_ok()) << sa.message();
    ASSERT_TRUE(sb.is_ok()) << sb.message();
    EXPECT_EQ(stored_offset(), "20");
    EXPECT_EQ(scalar("SELECT count(*) FROM payments WHERE amount = " + std::to_string(v2)), "10");
    EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "10");
    // Exactly one of the two was fenced: the one that came second.
    EXPECT_EQ(oa.behind().size() + ob.behind().size(), 1u);
  }
}

TEST_F(FencingTest, RefusedNewestVersionLeavesTheOlderOneStored) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  // A rule only the database knows (as a year 0 date once was): the validator cannot see it.
  query("ALTER TABLE orders ADD CONSTRAINT test_refuses CHECK (track_number <> 'REFUSE-ME')");
  auto v1 = make_order("twice", 1);
  auto v2 = make_order("twice", 2);
  v2["track_number"] = "REFUSE-ME";
  auto v3 = make_order("twice", 3);
  v3["track_number"] = "REFUSE-ME";
  Batch batch;
  batch.records.push_back(make_record(v1.dump(), 0));
  batch.records.push_back(make_record(make_order("bystander", 1).dump(), 1));
  batch.records.push_back(make_record(v2.dump(), 2));
  batch.records.push_back(make_record(v3.dump(), 3));
  batch.positions.push_back({"orders", 0, 4});
  Outcome outcome;
  ASSERT_TRUE(sink->write(batch, outcome).is_ok());
  std::vector<std::size_t> refused;
  for (const auto& r : outcome.rejected()) {
    EXPECT_EQ(r.reason, "db_refused");
    refused.push_back(r.index);
  }
  std::sort(refused.begin(), refused.end());
  EXPECT_EQ(refused, (std::vector<std::size_t>{2, 3}));
  std::string stored;
  ASSERT_EQ(sink->get("twice", stored), Lookup::found);
  EXPECT_EQ(nlohmann::json::parse(stored), v1);
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "2");
  EXPECT_EQ(stored_offset(), "4");
  // What later sinks (the cache) get: the batch without the refused records, so the
  // cache's last word on "twice" is v1 as well.
  std::vector<Record> dead;
  take_rejected(batch, outcome, "db", dead);
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(batch.records[0].value), v1);
}

}  // namespace
}  // namespace sluice::test

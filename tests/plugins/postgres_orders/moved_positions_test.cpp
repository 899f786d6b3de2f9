// `sluice positions` in the postgres sink (README.md, "Operating Sluice", Reprocessing): moving
// stored positions (backwards too) in one transaction, refused while a running source holds a
// partition; and after a move back, the records read again never put an older version of an
// order over a newer one (order_writer.hpp, Reprocessing).
#include <gtest/gtest.h>

#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

// One record of order `uid`, version `version`, at `offset` of partition 0, with its position.
Batch one(const std::string& uid, int version, int offset) {
  Batch batch;
  batch.records.push_back(make_record(make_order(uid, version).dump(), offset, 0));
  batch.positions.push_back({"orders", 0, offset + 1});
  return batch;
}

class MovedPositions : public PostgresTest {
 protected:
  std::string amount(const std::string& uid) {
    return scalar("SELECT amount FROM payments WHERE order_uid = '" + uid + "'");
  }
  static std::string amount_of(int version) {
    return std::to_string(make_order("x", version)["payment"]["amount"].get<int>());
  }
};

TEST_F(MovedPositions, MoveGoesBackwardsInOneTransactionAndListShowsIt) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Outcome outcome;
  Batch a = one("a", 1, 9);
  ASSERT_TRUE(sink->write(a, outcome).is_ok());
  std::vector<PartitionKey> held;
  ASSERT_TRUE(sink->move({{"orders", 0, 3}, {"orders", 1, 5}}, held).is_ok());
  EXPECT_TRUE(held.empty());
  std::vector<Position> listed;
  ASSERT_TRUE(sink->list("orders", listed).is_ok());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].offset, 3);  // from 10, backwards
  EXPECT_EQ(listed[1].offset, 5);  // a partition the store did not know
}

TEST_F(MovedPositions, HeldPartitionsAreRefusedAndNothingMoves) {
  auto running = make_sink();  // a running instance's store, holding partition 1
  ASSERT_TRUE(running->open().is_ok());
  ASSERT_TRUE(running->hold({{"orders", 1}}).is_ok());
  auto cli = make_sink();
  std::vector<PartitionKey> held;
  ASSERT_TRUE(cli->move({{"orders", 0, 7}, {"orders", 1, 7}}, held).is_ok());
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].partition, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM offsets"), "0");  // partition 0 did not move either

  // Holding is shared: another instance taking over holds it too; both must let go.
  auto other = make_sink();
  ASSERT_TRUE(other->hold({{"orders", 1}}).is_ok());
  running->release({{"orders", 1}});
  ASSERT_TRUE(cli->move({{"orders", 1, 7}}, held).is_ok());
  EXPECT_EQ(held.size(), 1u);
  other->close();  // a closed (or killed) instance's connection lets go
  ASSERT_TRUE(cli->move({{"orders", 1, 7}}, held).is_ok());
  EXPECT_TRUE(held.empty());
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets WHERE partition = 1"), "7");
}

TEST_F(MovedPositions, RecordsReadAgainNeverReplaceANewerVersion) {
  auto sink = make_sink();
  ASSERT_TRUE(sink->open().is_ok());
  Outcome outcome;
  // Offsets 0..3: a v1, b v1, a v2, c v1. Stored: a at v2 (from offset 2).
  for (Batch batch : {one("a", 1, 0), one("b", 1, 1), one("a", 2, 2), one("c", 1, 3)}) {
    outcome.clear();
    ASSERT_TRUE(sink->write(batch, outcome).is_ok());
  }
  const std::string a_version = scalar("SELECT version FROM orders WHERE order_uid = 'a'");
  std::vector<PartitionKey> held;
  ASSERT_TRUE(sink->move({{"orders", 0, 0}}, held).is_ok() && held.empty());

  // Read again, one batch at a time as a slow consumer would: a's v1 (offset 0) comes back first.
  Batch again = one("a", 1, 0);
  outcome.clear();
  ASSERT_TRUE(sink->write(again, outcome).is_ok());
  EXPECT_EQ(amount("a"), amount_of(2)) << "an older version replaced the newer one";
  EXPECT_EQ(again.records[0].version, 0);  // not stored: the cache keeps the version it holds
  EXPECT_EQ(scalar("SELECT version FROM orders WHERE order_uid = 'a'"), a_version);
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets WHERE partition = 0"), "1");  // still moves on

  // The same record as stored (a changed transform's output) is written again; so is b.
  Batch rest;
  for (auto [uid, version, offset] : {std::tuple{"b", 1, 1}, {"a", 2, 2}}) {
    rest.records.push_back(make_record(make_order(uid, version).dump(), offset, 0));
  }
  rest.positions.push_back({"orders", 0, 3});
  outcome.clear();
  ASSERT_TRUE(sink->write(rest, outcome).is_ok());
  EXPECT_GT(rest.records[0].version, 0);
  EXPECT_GT(std::stoll(scalar("SELECT version FROM orders WHERE order_uid = 'a'")), std::stoll(a_version));
  EXPECT_EQ(amount("a"), amount_of(2));
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "3");
}

}  // namespace
}  // namespace sluice::test

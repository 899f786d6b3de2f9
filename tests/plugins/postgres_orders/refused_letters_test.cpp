// Letters of the orders the postgres sink refuses (README.md, "Delivery guarantees", Bad input):
// when the runtime routes the write's rejections to a dead-letter store in the sink's own database
// (Outcome::route_letters, same location), the sink stores them in the batch's transaction, with
// the orders and the positions, and reports them stored; a store in another database gets them
// before the commit; without a store the runtime writes them.
// One letter per source position: the same record refused again counts its letter up.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dead_letter_table.hpp"
#include "pg_connection.hpp"
#include "pg_dsn.hpp"
#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "sluice/replay.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

class RefusedLettersTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    letters_sink_ = make_dead_letter_sink();  // its migrations make the letters' table
    ASSERT_TRUE(letters_sink_->open().is_ok());
    sink_ = make_sink();
    ASSERT_TRUE(sink_->open().is_ok());
    // A rule the sink's own check cannot know: the database refuses these orders.
    query("ALTER TABLE orders ADD CONSTRAINT no_refused CHECK (order_uid NOT LIKE 'refused-%')");
  }

  // One good and one refused order at offsets 10 and 11, positions up to 12.
  Batch mixed_batch() {
    Batch batch;
    batch.records.push_back(make_record(make_order("kept-1").dump(), 10));
    batch.records.push_back(make_record(make_order("refused-1").dump(), 11));
    batch.positions.push_back({"orders", 0, 12});
    return batch;
  }
  std::string letters_at(std::int64_t offset) {
    return scalar(
        "SELECT count(*) || ' ' || min(attempts) || ' ' || min(reason) || ' ' || min(stage) FROM "
        "dead_letters WHERE source_offset = " +
        std::to_string(offset));
  }

  std::unique_ptr<pg::DeadLetterSink> letters_sink_;
  std::unique_ptr<pg::PostgresSink> sink_;
};

TEST_F(RefusedLettersTest, LettersInTheSameDatabaseCommitWithTheBatch) {
  Batch batch = mixed_batch();
  Outcome outcome;
  outcome.route_letters(letters_sink_->dead_letter_store(), "db");
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_EQ(outcome.rejected()[0].index, 1u);
  EXPECT_EQ(outcome.rejected()[0].reason, "db_refused");
  EXPECT_TRUE(outcome.rejected()[0].stored) << "the runtime would write it a second time";
  EXPECT_EQ(letters_at(11), "1 1 db_refused db");
  EXPECT_EQ(scalar("SELECT raw = convert_to($$" + batch.records[1].value + "$$, 'UTF8') FROM dead_letters"), "t");
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets"), "12");
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "1");
  EXPECT_EQ(host_.metrics().counter("sluice_dead_letters_stored_total", "").value(), 1);
}

// The same record delivered again (a crash before the runtime heard of the commit, the batch
// read again from an older position by another instance) counts its letter up.
TEST_F(RefusedLettersTest, TheSameRecordRefusedAgainIsStillOneLetter) {
  for (int round = 0; round < 2; ++round) {
    Batch batch = mixed_batch();
    batch.positions.clear();  // as a replay of the same positions would: not fenced
    Outcome outcome;
    outcome.route_letters(letters_sink_->dead_letter_store(), "db");
    ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  }
  EXPECT_EQ(letters_at(11), "1 2 db_refused db");
}

TEST_F(RefusedLettersTest, AReplayedLetterRefusedAgainIsUpdatedNotAdded) {
  std::string refused = make_order("refused-2").dump();
  Record first = make_record(refused, 30);
  first.rejection = {{"db_refused", "", "first"}, "db"};
  pg::PgConnection connection(pg::soci_connect_string(dsn(), "refused-letters-test"));
  connection.open();
  pg::store_dead_letter(connection, first, 0, 65536);
  const std::int64_t id = std::stoll(scalar("SELECT id FROM dead_letters"));

  Batch batch;
  batch.records.push_back(make_record(refused, 30));
  batch.replay = std::make_shared<const ReplayBatch>(ReplayBatch{{id}, pg::location(dsn())});
  Outcome outcome;
  outcome.route_letters(letters_sink_->dead_letter_store(), "db");
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_TRUE(outcome.rejected()[0].stored);
  EXPECT_EQ(scalar("SELECT count(*) || ' ' || min(id) || ' ' || min(attempts) FROM dead_letters"),
            "1 " + std::to_string(id) + " 2");
}

// No route (no dead-letter sink that can list, or none at all): the runtime writes them.
TEST_F(RefusedLettersTest, WithoutAStoreTheLettersAreLeftToTheRuntime) {
  Batch batch = mixed_batch();
  Outcome outcome;
  outcome.route_letters(nullptr, "db");
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_FALSE(outcome.rejected()[0].stored);
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters"), "0");
}

// Letters in another database are kept there before the batch commits, so no position passes
// a record without its letter; the runtime does not write them again.
TEST_F(RefusedLettersTest, LettersInAnotherDatabaseAreKeptBeforeTheCommit) {
  const std::string other = database_ + "_letters";
  cluster_->query("CREATE DATABASE " + other + " TEMPLATE template0");
  const std::string other_dsn = "postgresql://postgres@127.0.0.1:" + std::to_string(cluster_->port()) + "/" + other;
  auto elsewhere = std::make_unique<pg::DeadLetterSink>(
      Config(nlohmann::json{{"dsn", other_dsn}, {"migrate_on_open", true}}), host_);
  ASSERT_TRUE(elsewhere->open().is_ok());
  Batch batch = mixed_batch();
  Outcome outcome;
  outcome.route_letters(elsewhere->dead_letter_store(), "db");
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_TRUE(outcome.rejected()[0].stored);
  EXPECT_EQ(cluster_->query_in(other, "SELECT count(*), min(reason), min(source_offset) FROM dead_letters").at(0),
            (PostgresCluster::Row{"1", "db_refused", "11"}));
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters"), "0");
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets"), "12");
}

// A store elsewhere that cannot be reached: nothing of the batch commits (retry), so the
// position never passes the refused record while its letter is not kept.
TEST_F(RefusedLettersTest, AStoreElsewhereThatIsDownHoldsTheBatchBack) {
  auto down = std::make_unique<pg::DeadLetterSink>(
      Config(nlohmann::json{{"dsn", "postgresql://postgres@127.0.0.1:1/elsewhere"}, {"migrate_on_open", false}}),
      host_);
  Batch batch = mixed_batch();
  Outcome outcome;
  outcome.route_letters(down->dead_letter_store(), "db");
  Status status = sink_->write(batch, outcome);
  EXPECT_EQ(status.code(), StatusCode::retry) << status.message();
  EXPECT_TRUE(outcome.rejected().empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM offsets WHERE next_offset > 0"), "0");
}

// The letter keeps what the dead-letter store keeps: its payload limit, the whole size and digest.
TEST_F(RefusedLettersTest, TheLetterKeepsTheStoresPayloadLimit) {
  auto small = std::make_unique<pg::DeadLetterSink>(
      Config(nlohmann::json{{"dsn", dsn()}, {"migrate_on_open", false}, {"max_payload_bytes", 1024}}), host_);
  nlohmann::json order = make_order("refused-big");
  order["internal_signature"] = std::string(4000, 'x');
  Batch batch;
  batch.records.push_back(make_record(order.dump(), 40));
  Outcome outcome;
  outcome.route_letters(small->dead_letter_store(), "db");
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_TRUE(outcome.rejected()[0].stored);
  EXPECT_EQ(scalar("SELECT octet_length(raw) || ' ' || raw_bytes || ' ' || (raw_sha256 = encode(sha256(convert_to($$" +
                   order.dump() + "$$, 'UTF8')), 'hex')) FROM dead_letters"),
            "1024 " + std::to_string(order.dump().size()) + " true");
}

// The letter belongs to the caller's transaction: rolled back, it was never there.
TEST_F(RefusedLettersTest, TheLetterIsPartOfTheCallersTransaction) {
  Record record = make_record("{}", 50);
  record.rejection = {{"db_refused", "", "x"}, "db"};
  pg::PgConnection connection(pg::soci_connect_string(dsn(), "refused-letters-test"));
  connection.open();
  connection.exec("BEGIN");
  pg::store_dead_letter(connection, record, 0, 65536);
  connection.exec("ROLLBACK");
  EXPECT_EQ(scalar("SELECT count(*) FROM dead_letters"), "0");
}

}  // namespace
}  // namespace sluice::test

// Replays into the postgres sink (README.md, "Operating Sluice", Replay): a replay batch (records
// with Batch::replay: the letters' ids and the dead-letter store's location, no positions)
// stores its orders and deletes their letters in the same transaction when the letters live in the
// sink's own database; a refused record keeps its letter; another location is left alone; and a
// replayed record is never fenced, though its offset lies below the stored position.
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "dead_letter_table.hpp"
#include "pg_connection.hpp"
#include "pg_dsn.hpp"
#include "pipeline_steps.hpp"
#include "postgres_fixture.hpp"
#include "sluice/replay.hpp"
#include "support/order_samples.hpp"

namespace sluice::test {
namespace {

class RetirementTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    // The letters' table comes with postgres_dead_letter's migrations.
    ASSERT_TRUE(make_dead_letter_sink()->migrate().is_ok());
    sink_ = make_sink();
    ASSERT_TRUE(sink_->open().is_ok());
  }

  // A letter as the dead-letter sink would have kept it; returns its id.
  std::int64_t add_letter(const std::string& raw, std::int64_t offset) {
    return std::stoll(scalar(
        "INSERT INTO dead_letters (source_stream, source_partition, source_offset, raw, reason,"
        " json_pointer, detail, stage) VALUES ('orders', 0, " +
        std::to_string(offset) + ", convert_to($$" + raw + "$$, 'UTF8'), 'db_refused', '', 'x', 'db') RETURNING id"));
  }
  bool letter_exists(std::int64_t id) {
    return scalar("SELECT count(*) FROM dead_letters WHERE id = " + std::to_string(id)) == "1";
  }
  bool order_exists(const std::string& uid) {
    return scalar("SELECT count(*) FROM orders WHERE order_uid = '" + uid + "'") == "1";
  }
  // A replay of letter `id` as the runtime sends it (its id goes beside it: as_replay()).
  Record replay(std::string value, std::int64_t id, std::int64_t offset) {
    Record record = make_record(std::move(value), offset);
    replayed_[{record.value, offset}] = id;
    return record;
  }
  // Makes `batch` a replay of the letters in `where`, as the runtime does (sluice/replay.hpp):
  // each record made by replay() carries its letter's id, the others (from the source) none.
  void as_replay(Batch& batch, std::string where) {
    ReplayBatch replay{{}, std::move(where)};
    for (const Record& r : batch.records) {
      auto it = replayed_.find({r.value, r.offset});
      replay.dead_letter_ids.push_back(it == replayed_.end() ? 0 : it->second);
    }
    batch.replay = std::make_shared<const ReplayBatch>(std::move(replay));
  }
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> replayed_;
  std::string location() const { return pg::location(dsn()); }
  double retired_metric() { return host_.metrics().counter("sluice_postgres_dead_letters_retired_total", "").value(); }

  std::unique_ptr<pg::PostgresSink> sink_;
};

TEST_F(RetirementTest, StoredReplayRetiresItsLetterInTheSameTransaction) {
  std::string order = make_order("replayed-1").dump();
  std::int64_t id = add_letter(order, 5);
  Batch batch;
  batch.records.push_back(replay(order, id, 5));
  as_replay(batch, location());
  Outcome outcome;
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  EXPECT_TRUE(outcome.rejected().empty());
  EXPECT_TRUE(order_exists("replayed-1"));
  EXPECT_FALSE(letter_exists(id));
  EXPECT_EQ(retired_metric(), 1);
  // The replay carried no positions: none were stored.
  EXPECT_EQ(scalar("SELECT count(*) FROM offsets"), "0");
}

// A replay batch whose every record an earlier stage refused reaches the sink empty, with no
// positions: nothing to write. It used to set versions for the previous batch's stored
// orders on it (a write past its end: `sluice run` died with free(): invalid pointer).
TEST_F(RetirementTest, AnEmptyReplayBatchAfterAStoredOneTouchesNothing) {
  std::vector<std::string> orders;
  Batch stored;
  for (int i = 0; i < 20; ++i) {
    orders.push_back(make_order("before-empty-" + std::to_string(i)).dump());
    stored.records.push_back(replay(orders.back(), add_letter(orders.back(), i), i));
  }
  as_replay(stored, location());
  Outcome outcome;
  ASSERT_TRUE(sink_->write(stored, outcome).is_ok());
  ASSERT_EQ(scalar("SELECT count(*) FROM orders"), "20");

  // Without storage of its own, the old write lands near address 0: a crash in any build.
  Batch empty;
  as_replay(empty, location());
  Outcome none;
  ASSERT_TRUE(sink_->write(empty, none).is_ok());
  EXPECT_TRUE(empty.records.empty());
  EXPECT_TRUE(none.rejected().empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM orders"), "20");
}

TEST_F(RetirementTest, RefusedReplayKeepsItsLetterWhileTheStoredOneIsRetired) {
  std::string good = make_order("replayed-ok").dump();
  std::string bad = make_order("replayed-bad").dump();
  bad.replace(bad.find("\"items\""), 7, "\"itemz\"");  // the sink's own check refuses it
  std::int64_t good_id = add_letter(good, 1);
  std::int64_t bad_id = add_letter(bad, 2);
  Batch batch;
  batch.records.push_back(replay(good, good_id, 1));
  batch.records.push_back(replay(bad, bad_id, 2));
  as_replay(batch, location());
  Outcome outcome;
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_EQ(outcome.rejected()[0].index, 1u);
  EXPECT_TRUE(order_exists("replayed-ok"));
  EXPECT_FALSE(letter_exists(good_id));
  EXPECT_TRUE(letter_exists(bad_id));
}

TEST_F(RetirementTest, RefusedByTheDatabaseOnTheOneByOnePathKeepsItsLetter) {
  // An operator's constraint passes the sink's check and fails the fast path's COPY: the
  // batch is written again one order per savepoint, and the retirement follows what stuck.
  query("ALTER TABLE orders ADD CONSTRAINT orders_customer_id_check CHECK (customer_id <> 'banned')");
  std::string good = make_order("fallback-ok").dump();
  nlohmann::json refused = make_order("fallback-bad");
  refused["customer_id"] = "banned";
  std::int64_t good_id = add_letter(good, 1);
  std::int64_t bad_id = add_letter(refused.dump(), 2);
  Batch batch;
  batch.records.push_back(replay(good, good_id, 1));
  batch.records.push_back(replay(refused.dump(), bad_id, 2));
  as_replay(batch, location());
  Outcome outcome;
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  ASSERT_EQ(outcome.rejected().size(), 1u);
  EXPECT_EQ(outcome.rejected()[0].index, 1u);
  EXPECT_EQ(outcome.rejected()[0].reason, "db_refused");
  EXPECT_TRUE(order_exists("fallback-ok"));
  EXPECT_FALSE(order_exists("fallback-bad"));
  EXPECT_FALSE(letter_exists(good_id));
  EXPECT_TRUE(letter_exists(bad_id));
}

TEST_F(RetirementTest, LettersElsewhereAreLeftToTheRuntime) {
  std::string order = make_order("replayed-2").dump();
  std::int64_t id = add_letter(order, 7);
  for (std::string where : {std::string("postgresql://other-host:5432/") + database_, std::string()}) {
    SCOPED_TRACE(where);
    Batch batch;
    batch.records.push_back(replay(order, id, 7));
    as_replay(batch, where);
    Outcome outcome;
    ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
    EXPECT_TRUE(order_exists("replayed-2"));
    EXPECT_TRUE(letter_exists(id));
  }
  EXPECT_EQ(retired_metric(), 0);
}

// The dead-letter table's retirement statement (what the sink runs before COMMIT) belongs to
// the caller's transaction: rolled back, the letter stays; gone ids are skipped, not an error.
TEST_F(RetirementTest, TheTablesRetirementIsPartOfTheCallersTransaction) {
  std::int64_t kept = add_letter("{}", 1);
  std::int64_t retired = add_letter("{}", 2);
  pg::PgConnection connection(pg::soci_connect_string(dsn(), "retirement-test"));
  connection.open();
  connection.exec("BEGIN");
  EXPECT_EQ(pg::retire_dead_letters(connection, {retired}), 1);
  connection.exec("ROLLBACK");
  EXPECT_TRUE(letter_exists(retired));

  connection.exec("BEGIN");
  EXPECT_EQ(pg::retire_dead_letters(connection, {retired, retired + 1000}), 1);
  EXPECT_EQ(pg::retire_dead_letters(connection, {}), 0);
  connection.exec("COMMIT");
  EXPECT_FALSE(letter_exists(retired));
  EXPECT_TRUE(letter_exists(kept));
}

TEST_F(RetirementTest, ReplayBelowTheStoredPositionIsNotFenced) {
  // The partition is stored up to offset 20 (next to read).
  Batch source;
  source.records.push_back(make_record(make_order("from-source").dump(), 19));
  source.positions.push_back({"orders", 0, 20});
  Outcome outcome;
  ASSERT_TRUE(sink_->write(source, outcome).is_ok());
  ASSERT_EQ(scalar("SELECT next_offset FROM offsets"), "20");

  // As the runtime sends it: no positions.
  std::string order = make_order("replayed-old", 1).dump();
  std::int64_t id = add_letter(order, 3);
  Batch batch;
  batch.records.push_back(replay(order, id, 3));
  as_replay(batch, location());
  outcome.clear();
  ASSERT_TRUE(sink_->write(batch, outcome).is_ok());
  EXPECT_TRUE(outcome.behind().empty());
  EXPECT_TRUE(order_exists("replayed-old"));
  EXPECT_FALSE(letter_exists(id));
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets"), "20");

  // Even in a batch that carries positions (the source's records past the stored one), the
  // replayed record is written, not taken for a zombie's.
  std::string again = make_order("replayed-mixed").dump();
  std::int64_t mixed_id = add_letter(again, 4);
  Batch mixed;
  mixed.records.push_back(replay(again, mixed_id, 4));
  mixed.records.push_back(make_record(make_order("from-source-2").dump(), 20));
  mixed.positions.push_back({"orders", 0, 21});
  as_replay(mixed, location());
  outcome.clear();
  ASSERT_TRUE(sink_->write(mixed, outcome).is_ok());
  EXPECT_TRUE(outcome.behind().empty());
  EXPECT_TRUE(order_exists("replayed-mixed"));
  EXPECT_TRUE(order_exists("from-source-2"));
  EXPECT_FALSE(letter_exists(mixed_id));
  EXPECT_EQ(scalar("SELECT next_offset FROM offsets"), "21");
}

}  // namespace
}  // namespace sluice::test

// Crashes and stops of the default pipeline (README.md, "Delivery guarantees", At-least-once by
// construction and Graceful stop), against the real processes: `sluice run config/pipeline.yaml`,
// `sluice broker`, `sluice publish` and a PostgreSQL 15 cluster of the test's own.
//
// 1. kill -9 at five random moments during the ingest of N orders, restarting each time (and
//    once more, first, inside an open batch transaction, held there by a lock): every order
//    exactly once, with all its rows; the offsets stored with the data equal the broker's end
//    offsets; and no order was even written twice (the source resumed exactly where the
//    database's positions said, not at Kafka's older committed offsets).
// 2. SIGTERM while a backlog is being ingested: exit code 0 within 10 s, no partial order,
//    stored positions that agree with the stored orders; after a restart all N, once.
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "default_pipeline.hpp"
#include "table_lock.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

constexpr int N = 10000;

// What the pipeline's writer connection is doing right now (for the test's own log: a kill
// inside a batch transaction is the interesting case, a kill between batches the common one).
std::string writer_state(PostgresCluster& db) {
  try {
    auto rows = db.query(
        "SELECT state, left(query, 30) FROM pg_stat_activity WHERE application_name = 'sluice' "
        "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()");
    if (rows.empty()) return "no pipeline transaction open";
    std::string text;
    for (const auto& row : rows) text += "[" + row.at(0) + ": " + row.at(1) + "] ";
    return "in a transaction " + text;
  } catch (const std::exception& e) {
    return std::string("unknown (") + e.what() + ")";
  }
}

std::string count_of(PostgresCluster& db, const std::string& where) {
  return db.scalar("SELECT count(*) FROM pg_stat_activity WHERE " + where);
}

TEST(CrashRecovery, KillDashNineAtFiveRandomMomentsStoresEveryOrderExactlyOnce) {
  DefaultPipeline p({.name = "crash-kill9"});
  auto rng = seeded_rng();
  ASSERT_TRUE(p.start()) << p.logs();
  // Paced (~60 s), so ingest lasts through all the kill/restart cycles (~7 s each: a restart
  // waits for the dead member's session, 4 s, to expire before it gets the partitions).
  auto publisher = p.publish(N, "kill", 160);

  // First, one kill that surely lands inside a batch transaction: its orders are written but
  // neither its positions nor the commit. Nothing of it may survive.
  ASSERT_TRUE(p.wait_for([&] { return p.stored().value_or(0) > 0; }, 120s, 50ms)) << p.logs();
  {
    // A lock on `offsets` stops the next batch transaction after its orders and before its
    // positions and commit: the kill lands inside an open transaction for sure.
    TableLock lock(p.db(), "offsets");
    ASSERT_TRUE(lock.held());
    ASSERT_TRUE(wait_until(
        [&] { return count_of(p.db(), "application_name = 'sluice' AND wait_event_type = 'Lock'") == "1"; }, 30s, 20ms))
        << "the pipeline's writer never blocked inside its transaction" << p.logs();
    auto before = p.stored();
    ASSERT_TRUE(before);
    p.kill9();
    lock.release();
    // The orphaned session notices its client is gone once it reads the next command, and
    // rolls back: the orders it had written never become visible.
    ASSERT_TRUE(wait_until([&] { return count_of(p.db(), "application_name = 'sluice'") == "0"; }, 30s, 50ms));
    EXPECT_EQ(p.stored(), before) << "part of the killed transaction was committed";
    std::cout << "kill -9 inside an open batch transaction: " << *before << " orders stored" << std::endl;
  }
  long long stored_at_restart = p.stored().value_or(0);
  ASSERT_TRUE(p.start()) << p.logs();

  std::uniform_int_distribution<int> moment_ms(0, 1500);
  for (int kill = 1; kill <= 5; ++kill) {
    // This run is ingesting: it stored something new since it started...
    ASSERT_TRUE(p.wait_for(
        [&] {
          auto n = p.stored();
          return n && *n > stored_at_restart;
        },
        120s, 50ms))
        << "no progress before kill " << kill << p.logs();
    // ...and is killed at a random moment from there (the sleep picks the moment).
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    auto before = p.stored();
    std::string doing = writer_state(p.db());
    p.kill9();
    ASSERT_TRUE(before.has_value());
    std::cout << "kill -9 #" << kill << ": " << *before << " orders stored, writer: " << doing << std::endl;
    EXPECT_LT(*before, N) << "kill " << kill << " came after the ingest had ended";
    stored_at_restart = p.stored().value_or(*before);
    ASSERT_TRUE(p.start()) << p.logs();
  }

  ASSERT_EQ(publisher->wait(180s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 180s)) << "stored " << p.stored().value_or(-1) << p.logs();
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("kill", N);

  // Effectively-once, not just "upserts hide the replays": an order is deleted only to be
  // replaced, so the only replacements allowed are of messages the producer itself sent
  // twice (end offsets beyond N).
  auto ends = p.end_offsets();
  ASSERT_TRUE(ends);
  EXPECT_LE(p.replaced_orders(), sum(*ends) - N) << "orders were written again after a restart" << p.logs();
  EXPECT_EQ(p.runs(), 7u);
}

TEST(CrashRecovery, SigtermUnderLoadExitsWithinTenSecondsWithNoPartialTransaction) {
  DefaultPipeline p({.name = "crash-sigterm"});
  // A backlog of N orders, then the pipeline: it ingests at full speed, in batches of up to
  // batch_max (5000) with several in flight, when the signal arrives.
  auto publisher = p.publish(N, "term");
  ASSERT_EQ(publisher->wait(120s), 0) << publisher->err();
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.wait_for(
      [&] {
        auto n = p.stored();
        return n && *n > 0;
      },
      120s, 20ms))
      << p.logs();
  auto at_signal = p.stored();

  auto signalled = std::chrono::steady_clock::now();
  auto code = p.terminate(10s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
  ASSERT_TRUE(code.has_value()) << "still running 10 s after SIGTERM" << p.logs();
  EXPECT_EQ(*code, 0) << p.logs();
  EXPECT_NE(p.process().err().find("stopping: "), std::string::npos) << p.logs();
  std::cout << "SIGTERM with " << at_signal.value_or(-1) << " orders stored: exit " << *code << " after "
            << took.count() << " ms, " << p.stored().value_or(-1) << " stored" << std::endl;

  // No partial transaction: every stored order has its delivery, payment and items, and the
  // stored positions account for exactly the stored orders (each offset is one order here).
  auto& db = p.db();
  auto stored = p.stored();
  ASSERT_TRUE(stored);
  EXPECT_GT(*stored, 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE "
                      "d.order_uid = o.order_uid) OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_uid = "
                      "o.order_uid) OR (SELECT count(*) FROM items i WHERE i.order_uid = o.order_uid) <> "
                      "json_array_length(o.document -> 'items')"),
            "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM deliveries"), std::to_string(*stored));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM payments"), std::to_string(*stored));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), std::to_string(*stored * DefaultPipeline::items_per_order()));
  auto ends = p.end_offsets();
  auto positions = p.stored_offsets();
  ASSERT_TRUE(ends && positions);
  const long long extra = sum(*ends) - N;  // messages the producer sent twice (usually 0)
  EXPECT_GE(sum(*positions), *stored);
  EXPECT_LE(sum(*positions), *stored + extra);
  // A graceful stop also commits to Kafka what the database holds.
  auto committed = p.committed_offsets();
  ASSERT_TRUE(committed);
  for (const auto& [partition, next] : *positions) {
    EXPECT_EQ((*committed)[partition], next) << "partition " << partition;
  }

  // After a restart: the rest, and nothing twice.
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << p.logs();
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("term", N);
  EXPECT_LE(p.replaced_orders(), extra) << p.logs();
}

}  // namespace
}  // namespace sluice::test

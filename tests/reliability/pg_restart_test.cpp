// PostgreSQL restarted under the default pipeline (README.md, "Tests", Faults at scale; "Delivery
// guarantees", Outages are waited out), against the real processes: `sluice run
// config/pipeline.yaml`, `sluice broker`, `sluice publish` and a PostgreSQL 15 cluster of the
// test's own. Stopped with `pg_ctl stop -m immediate` (a crash: every session cut, no checkpoint)
// and started again 5 s later:
//
// 1. while a restarted `sluice run` waits for its partitions (the group rebalances: the
//    killed run's member has not timed out yet), so the assignment arrives with the database
//    down and the stored positions cannot be read;
// 2. mid-write, under a stream of ~1,000 orders/s: the writer is held inside its batch
//    transaction, its orders rows written, (a table lock) when the server dies under it.
//
// Both: the process never exits, /readyz answers 503 naming the database while it is down,
// every order is stored exactly once, the stored offsets reach the end offsets, and no stored
// position ever moves backwards (sampled all along: a run that fell back to Kafka's older
// committed offsets must not write them over newer stored ones).
#include <gtest/gtest.h>

#include <iostream>

#include "default_pipeline.hpp"
#include "monotonic_checker.hpp"
#include "table_lock.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kDowntime = 5s;

// The database is down for kDowntime from `down_at`: polls /readyz all that time (the poll is
// the wait), and checks the process stays up. Returns the first 503 that named the database
// (empty if none came), or the last reply seen, in `seen`.
bool ready_says_database_down(DefaultPipeline& p, Clock::time_point down_at, HttpReply& seen) {
  bool named = false;
  bool exited = wait_until(
      [&] {
        if (!p.running()) return true;
        if (!named) {
          HttpReply reply = http_get(p.http_port(), "/readyz", 1s);
          if (reply.status != 0) seen = reply;
          named = reply.status == 503 && reply.body.find("postgres") != std::string::npos;
        }
        return false;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(down_at + kDowntime - Clock::now()), 100ms);
  EXPECT_FALSE(exited) << "sluice run exited while the database was down" << p.logs();
  return named;
}

void expect_positions_never_went_back(MonotonicChecker& checker, DefaultPipeline& p) {
  checker.stop();
  std::cout << "checker: " << checker.summary() << std::endl;
  EXPECT_EQ(checker.regression_count(), 0u)
      << "a stored position moved backwards (the checker's lines above)" << p.logs();
  EXPECT_GT(checker.samples(), 100) << checker.summary();
}

TEST(PostgresRestart, WhileARestartedRunWaitsForItsPartitions) {
  constexpr int N = 6000;
  // A short session: the group hands the partitions out again ~5-6 s after the kill (the
  // killed member's session, then the mock cluster's join round), inside the 5 s outage below.
  DefaultPipeline p({.name = "pgrestart-rebalance", .session_timeout_ms = 3000, .heartbeat_interval_ms = 300});
  const auto test_start = Clock::now();
  ASSERT_TRUE(p.start()) << p.logs();
  MonotonicChecker checker({.dsn = p.db().dsn()});
  auto publisher = p.publish(N, "pgrb", 1000);
  ASSERT_TRUE(p.wait_for([&] { return p.stored().value_or(0) >= 1500; }, 60s, 50ms)) << p.logs();

  // A crash and a restart: the new run joins the group, which waits for the killed member's
  // session before it hands out partitions. Its sinks open first, so the database must still
  // be up while it starts. It goes down 2 s after the new run subscribed (or at once if the
  // partitions come earlier): the moment is picked so that the assignment arrives while the
  // database is down, the case this test is for (checked below).
  p.kill9();
  const auto before = p.stored().value_or(-1);
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.process().wait_stderr("kafka: consuming", 30s)) << p.logs();
  const auto subscribed_at = Clock::now();
  p.process().wait_stderr("kafka: assigned", 2s);
  const bool assigned_before = p.process().err().find("kafka: assigned") != std::string::npos;
  p.db().stop(true);
  const auto down_at = Clock::now();
  std::cout << "PostgreSQL stopped (immediate) " << ms_since(subscribed_at)
            << " ms after the restarted run subscribed, " << before << " orders stored, the run "
            << (assigned_before ? "ALREADY assigned" : "waiting for its partitions") << std::endl;
  EXPECT_FALSE(assigned_before) << "the rebalance had ended before the database went down: the case was missed";

  HttpReply ready;
  EXPECT_TRUE(ready_says_database_down(p, down_at, ready))
      << "no /readyz 503 naming the database during the outage; last: " << ready.status << " " << ready.body
      << p.logs();
  const bool assigned_while_down = p.process().err().find("kafka: assigned") != std::string::npos;
  p.db().start();
  std::cout << "PostgreSQL started again after " << ms_since(down_at) << " ms; /readyz meanwhile: " << ready.status
            << " " << ready.body << "; assigned during the outage: " << assigned_while_down << std::endl;
  EXPECT_TRUE(assigned_while_down) << "the partitions came only after the outage: the case was missed";

  ASSERT_EQ(publisher->wait(120s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << p.logs();
  EXPECT_TRUE(p.running()) << p.logs();
  EXPECT_EQ(p.runs(), 2u);
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("pgrb", N);
  expect_positions_never_went_back(checker, p);
  std::cout << "took " << ms_since(test_start) << " ms" << std::endl;
}

TEST(PostgresRestart, MidWriteUnderAThousandOrdersPerSecond) {
  constexpr int N = 15000;  // 15 s at 1,000/s
  DefaultPipeline p({.name = "pgrestart-midwrite"});
  const auto test_start = Clock::now();
  ASSERT_TRUE(p.start()) << p.logs();
  MonotonicChecker checker({.dsn = p.db().dsn()});
  auto publisher = p.publish(N, "pgmid", 1000);
  ASSERT_TRUE(p.wait_for([&] { return p.stored().value_or(0) >= 3000; }, 60s, 50ms)) << p.logs();

  // Mid-write for sure: the next batch transaction blocks on the lock, inside itself, and the
  // server dies under it (the locker's session with it). `deliveries`, not `offsets`: a batch
  // of new orders has then written its orders rows and waits to COPY their deliveries, whether
  // or not the writer first reads (and row-locks) the stored positions for fencing.
  {
    TableLock lock(p.db(), "deliveries");
    ASSERT_TRUE(lock.held());
    ASSERT_TRUE(lock.writers_blocked(1, 30s))
        << "the pipeline's writer never blocked inside its transaction" << p.logs();
    std::cout << "writer blocked inside its transaction with " << p.stored().value_or(-1) << " orders stored"
              << std::endl;
    p.db().stop(true);
  }
  const auto down_at = Clock::now();

  HttpReply ready;
  EXPECT_TRUE(ready_says_database_down(p, down_at, ready))
      << "no /readyz 503 naming the database during the outage; last: " << ready.status << " " << ready.body
      << p.logs();
  p.db().start();
  std::cout << "PostgreSQL started again after " << ms_since(down_at) << " ms; /readyz meanwhile: " << ready.status
            << " " << ready.body << std::endl;

  ASSERT_EQ(publisher->wait(120s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << p.logs();
  EXPECT_TRUE(wait_until([&] { return http_get(p.http_port(), "/readyz").status == 200; }, 30s, 200ms))
      << http_get(p.http_port(), "/readyz").body << p.logs();
  EXPECT_TRUE(p.running()) << p.logs();
  EXPECT_EQ(p.runs(), 1u);
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("pgmid", N);
  expect_positions_never_went_back(checker, p);
  std::cout << "took " << ms_since(test_start) << " ms" << std::endl;
}

}  // namespace
}  // namespace sluice::test

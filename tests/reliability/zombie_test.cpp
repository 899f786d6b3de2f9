// A zombie instance (README.md, "Delivery guarantees", Fencing), against the real processes: two
// `sluice run config/pipeline.yaml` on one `sluice broker` and one PostgreSQL.
//
// Instance A holds in-flight batches of version 2 of every order: its writer is blocked inside
// its batch transaction by a table lock, deterministically. A is then SIGSTOPped, its database
// sessions are cut (what a network partition or a server-side timeout does to a paused
// process) and the lock released. Instance B takes over A's partitions and stores version 2
// and then version 3 of every order. A is SIGCONTed: it wakes up with version-2 batches in
// hand, reconnects and retries them. In no case may a stored position or an order's version
// go backwards. Two ways for B to take over (see Takeover): B joins A's group and A is evicted
// (paused past its session timeout), or B is another deployment under a group of its own, so
// that A's stale retry surely reaches the database and only fencing can stop it.
//
// A checker thread samples the database every 25 ms for the whole test and records every
// regression; the end state is every order exactly once, all at version 3, stored offsets at
// the end offsets.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>

#include "default_pipeline.hpp"
#include "monotonic_checker.hpp"
#include "support/text.hpp"
#include "table_lock.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int N = 2000;

// Orders stored at `version`, nullopt while the database does not answer.
std::optional<long long> at_version(DefaultPipeline& p, int version) {
  try {
    return std::stoll(p.db().scalar("SELECT count(*) FROM orders WHERE " + DefaultPipeline::order_version_sql() +
                                    " = " + std::to_string(version)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Every order at `version` and the stored positions at the end of every partition.
bool settled_at(DefaultPipeline& p, int version, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        if (at_version(p, version).value_or(0) != N) return false;
        auto mine = p.stored_offsets();
        auto ends = p.end_offsets();
        return mine && ends && *mine == *ends;
      },
      timeout, 100ms);
}

// The value of one Prometheus sample line ("name value"), 0 if absent.
double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + series.size() + 2, nullptr);
}

// What a woken zombie may say about the batches it held: fenced by the store, or abandoned because
// the assignment was lost.
const std::vector<std::string> kFenced = {"batch behind stored position", "another instance owns it"};
const std::vector<std::string> kAbandoned = {"gives up on a batch abandoned", "abandoning"};

std::size_t mentions(const std::string& log, const std::vector<std::string>& needles) {
  std::size_t n = 0;
  for (const auto& needle : needles) n += occurrences(log, needle);
  return n;
}

// How B comes to write A's partitions while A is paused.
enum class Takeover {
  // B joins A's group; A stays stopped past its session timeout and is evicted. On waking up
  // A races its own discovery of the lost assignment (which abandons its batches) against its
  // retry (which the store must fence): either may win.
  evicted,
  // B is a second deployment on the same topic and database under another group name (a
  // blue/green switch): A keeps its assignment, nothing tells it to stop, and its retry of
  // the old batches reaches the database for sure. Only fencing in the store stops it.
  other_deployment,
};

void run_zombie(const std::string& name, Takeover takeover) {
  const auto test_start = Clock::now();
  // Evicted: a short session, so the paused instance is evicted in seconds. Other deployment:
  // a long one, so A is still a member of its group when it wakes up.
  const bool evicted = takeover == Takeover::evicted;
  DefaultPipeline p({.name = name,
                     .partitions = 4,
                     .session_timeout_ms = evicted ? 3000 : 30000,
                     .heartbeat_interval_ms = evicted ? 300 : 1000});
  ASSERT_TRUE(p.start()) << p.logs();
  const std::size_t a = 0;
  Process& A = p.member(a);
  MonotonicChecker checker({.dsn = p.db().dsn(), .orders = true, .period = 25ms});

  // Version 1 of every order, stored by A alone.
  ASSERT_EQ(p.publish(N, "zmb", 0, 1)->wait(60s), 0);
  ASSERT_TRUE(settled_at(p, 1, 60s)) << "A did not store version 1" << p.logs();

  // Version 2 reaches A, whose writer blocks inside its transaction: batches in flight.
  std::string a_log_at_stop;
  {
    TableLock lock(p.db(), "offsets");
    ASSERT_TRUE(lock.held());
    ASSERT_EQ(p.publish(N, "zmb", 0, 2)->wait(60s), 0);
    ASSERT_TRUE(lock.writers_blocked(1, 30s)) << "A's writer never blocked inside its transaction" << p.logs();
    // Let A read the rest of version 2 into the batches it holds, as far as its lanes take
    // them (max_in_flight batches), before it is stopped: the more it holds, the more it can
    // get wrong when it wakes up.
    long long consumed = 0;
    wait_until(
        [&] {
          consumed = static_cast<long long>(
              metric(http_get(p.http_port_of(a), "/metrics").body, "sluice_records_consumed_total"));
          return consumed >= 2 * N;
        },
        5s, 50ms);
    A.signal(SIGSTOP);
    a_log_at_stop = A.err();
    const auto cut = p.db().scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
        "'sluice'");
    std::cout << "A (pid " << A.pid() << ") stopped with its writer blocked mid-transaction, " << consumed
              << " records consumed (" << N << " of version 1 stored); " << cut << " of its database sessions cut"
              << std::endl;
  }  // the lock goes: nothing of A's transaction survived, so nothing blocks B
  ASSERT_EQ(at_version(p, 2).value_or(-1), 0) << "A's blocked transaction committed";
  const auto stopped_at = Clock::now();

  // Evicted: B joins A's group, which waits for A's session to expire, then gives B every
  // partition. Other deployment: B's own group gives it every partition at once; it starts
  // from the positions stored in the database, as any instance does.
  std::map<std::string, std::string> b_env;
  if (!evicted) b_env["KAFKA_GROUP"] = p.group() + "-green";
  auto b = p.start_member(b_env);
  ASSERT_TRUE(b) << p.logs();
  Process& B = p.member(*b);
  ASSERT_TRUE(B.wait_stderr("kafka: assigned", 30s)) << p.logs();
  std::cout << "B assigned " << ms_since(stopped_at) << " ms after A was stopped" << std::endl;
  ASSERT_TRUE(settled_at(p, 2, 60s)) << "B did not store version 2" << p.logs();
  ASSERT_EQ(p.publish(N, "zmb", 0, 3)->wait(60s), 0);
  ASSERT_TRUE(settled_at(p, 3, 60s)) << "B did not store version 3" << p.logs();
  const auto positions_before_wake = p.stored_offsets();
  std::cout << "B stored versions 2 and 3; A paused for " << ms_since(stopped_at) << " ms" << std::endl;

  // A wakes up holding version-2 batches.
  A.signal(SIGCONT);
  const auto woke_at = Clock::now();
  auto said = [&](const std::vector<std::string>& needles) {
    return mentions(A.err(), needles) > mentions(a_log_at_stop, needles);
  };
  // (A regression ends the wait early: there is no point waiting for a log line then.)
  EXPECT_TRUE(wait_until(
      [&] { return said(kFenced) || said(kAbandoned) || !A.running() || checker.regression_count() > 0; }, 15s, 50ms));
  std::cout << "A woke up: fenced " << said(kFenced) << ", abandoned " << said(kAbandoned) << " (after "
            << ms_since(woke_at) << " ms); regressions so far " << checker.regression_count() << std::endl;
  if (evicted) {
    EXPECT_TRUE(said(kFenced) || said(kAbandoned)) << "A never said its old batches were fenced or abandoned";
  } else {
    EXPECT_TRUE(said(kFenced)) << "A never said its old batches were fenced (it still owns its partitions in its "
                                  "group, so nothing else can have stopped them)";
  }
  EXPECT_TRUE(A.running()) << "A exited after waking up";

  // Evicted: A rejoins and the two split the partitions. Other deployment: both read every
  // partition. Either way everything settles at version 3 again.
  EXPECT_TRUE(settled_at(p, 3, 60s)) << "not every order is at version 3: " << at_version(p, 3).value_or(-1) << " of "
                                     << N;
  // The records the store skipped are counted (version 2 replayed, and, for the other
  // deployment, version 3 read again by A after B stored it).
  std::string metrics = http_get(p.http_port_of(a), "/metrics").body;
  const double fenced = metric(metrics, "sluice_records_fenced_total");
  std::cout << "A's sluice_records_fenced_total: "
            << (metrics.find("\nsluice_records_fenced_total") == std::string::npos ? std::string("absent")
                                                                                   : std::to_string(fenced))
            << std::endl;
  if (!evicted) {
    EXPECT_GE(fenced, 1) << "no fenced record counted in A's sluice_records_fenced_total";
  }

  A.signal(SIGTERM);
  B.signal(SIGTERM);
  EXPECT_EQ(A.wait(30s), 0);
  EXPECT_EQ(B.wait(30s), 0);
  checker.stop();
  std::cout << "checker: " << checker.summary() << std::endl;
  EXPECT_EQ(checker.regression_count(), 0u) << "something stored moved backwards (see the checker's lines above)";
  EXPECT_GT(checker.order_updates(), 2 * N - 1) << checker.summary();  // it saw versions 2 and 3 arrive

  p.expect_exactly_once("zmb", N);
  EXPECT_EQ(at_version(p, 3), N);
  auto positions = p.stored_offsets();
  ASSERT_TRUE(positions && positions_before_wake);
  for (const auto& [partition, next] : *positions_before_wake) {
    EXPECT_GE((*positions)[partition], next) << "partition " << partition;
  }
  if (::testing::Test::HasFailure()) std::cout << p.logs() << std::endl;
  std::cout << "took " << ms_since(test_start) << " ms" << std::endl;
}

TEST(Zombie, EvictedInstanceWakingUpWithOldBatchesNeverMovesAnythingBackwards) {
  run_zombie("zombie-evicted", Takeover::evicted);
}

TEST(Zombie, PausedInstanceOfAnotherDeploymentIsFencedByTheStoredPositions) {
  run_zombie("zombie-deployment", Takeover::other_deployment);
}

}  // namespace
}  // namespace sluice::test

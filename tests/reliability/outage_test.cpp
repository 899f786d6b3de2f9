// Outages under the default pipeline (README.md, "Delivery guarantees", Outages are waited out),
// against the real processes: `sluice run config/pipeline.yaml`, `sluice broker`, `sluice publish`
// and a PostgreSQL 15 cluster of the test's own. In every case the pipeline must stay up, resume by
// itself and end with every order exactly once and the stored offsets at the end of the topic.
//
// 3. PostgreSQL stopped (pg_ctl stop -m immediate) for 30 s mid-ingest: /readyz 503 naming
//    the database, cached orders still served, nothing dead-lettered, all N after restart.
// 4. The pipeline's backends killed mid-transaction (pg_terminate_backend), again and again
//    during ingest: reconnect and retry, nothing lost, no duplicates.
// 5. The broker down for 20 s, then up: no exit, resumes, nothing lost. And OffsetCommit
//    requests failing (the broker's SIGHUP fault injection): commits retried until Kafka's
//    committed offsets reach the end, no duplicates.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "default_pipeline.hpp"
#include "support/text.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

constexpr int N = 10000;

bool reached(DefaultPipeline& p, long long n) {
  auto stored = p.stored();
  return stored && *stored >= n;
}

// The value of one Prometheus sample line ("name{labels} value"), 0 if absent.
double metric(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + series.size() + 2, nullptr);
}

TEST(Outage, PostgresStoppedForThirtySecondsMidIngest) {
  DefaultPipeline p({.name = "outage-postgres"});
  ASSERT_TRUE(p.start()) << p.logs();
  // 25 s of orders: the outage starts after ~1000 and the publisher keeps going through it.
  auto publisher = p.publish(N, "pgdown", 400);
  ASSERT_TRUE(p.wait_for([&] { return reached(p, 1000); }, 120s, 100ms)) << p.logs();
  const std::string cached = "/order/pgdown-1";
  ASSERT_TRUE(wait_until([&] { return http_get(p.http_port(), cached).status == 200; }, 30s, 100ms)) << p.logs();
  auto before = p.stored();

  p.db().stop(true);  // pg_ctl stop -m immediate: like a crash
  const auto down_at = std::chrono::steady_clock::now();
  std::cout << "PostgreSQL stopped with " << before.value_or(-1) << " orders stored" << std::endl;

  // Degraded, and saying why.
  HttpReply ready;
  EXPECT_TRUE(wait_until(
      [&] {
        ready = http_get(p.http_port(), "/readyz");
        return ready.status == 503 && ready.body.find("postgres") != std::string::npos;
      },
      25s, 200ms))
      << "last /readyz: " << ready.status << " " << ready.body << p.logs();
  std::cout << "/readyz during the outage: " << ready.status << " " << ready.body << std::endl;
  auto reason = nlohmann::json::parse(ready.body, nullptr, false);
  ASSERT_TRUE(reason.is_object()) << ready.body;
  EXPECT_EQ(reason.value("status", ""), "not ready");
  // Components by name only: hosts, users and server messages stay in the log.
  ASSERT_TRUE(reason.contains("not_ready") && reason["not_ready"].is_array()) << ready.body;
  EXPECT_NE(reason["not_ready"].dump().find("postgres"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find("127.0.0.1"), std::string::npos) << "a host in /readyz: " << ready.body;

  // Cached orders are still served while the database is down.
  HttpReply order = http_get(p.http_port(), cached);
  EXPECT_EQ(order.status, 200) << order.body;
  auto served = nlohmann::json::parse(order.body, nullptr, false);
  EXPECT_TRUE(served.is_object() && served.value("order_uid", "") == "pgdown-1") << order.body;

  // The rest of the 30 s: the process must stay up all along (the wait passes the time).
  EXPECT_FALSE(wait_until(
      [&] { return !p.running(); },
      std::chrono::duration_cast<std::chrono::milliseconds>(down_at + 30s - std::chrono::steady_clock::now()), 200ms))
      << "sluice run exited during the database outage" << p.logs();
  ASSERT_TRUE(p.running()) << p.logs();
  EXPECT_EQ(http_get(p.http_port(), "/readyz").status, 503);
  EXPECT_EQ(http_get(p.http_port(), cached).status, 200);

  p.db().start();
  std::cout << "PostgreSQL started again after "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - down_at).count()
            << " s" << std::endl;
  ASSERT_EQ(publisher->wait(180s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 180s)) << "stored " << p.stored().value_or(-1) << p.logs();
  EXPECT_TRUE(wait_until([&] { return http_get(p.http_port(), "/readyz").status == 200; }, 60s, 200ms))
      << http_get(p.http_port(), "/readyz").body << p.logs();
  EXPECT_EQ(p.runs(), 1u);
  EXPECT_NE(p.process().err().find("asked to retry"), std::string::npos) << p.logs();
  // What the cache served during the outage is what the database holds.
  EXPECT_EQ(served, nlohmann::json::parse(p.db().scalar("SELECT document FROM orders WHERE order_uid = 'pgdown-1'")));

  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("pgdown", N);  // includes: dead_letters is empty
}

TEST(Outage, BackendsTerminatedMidTransactionReconnectAndRetry) {
  DefaultPipeline p({.name = "outage-backend"});
  auto rng = seeded_rng();
  ASSERT_TRUE(p.start()) << p.logs();
  auto publisher = p.publish(N, "pgterm", 800);  // ~12 s of ingest
  ASSERT_TRUE(p.wait_for([&] { return reached(p, 1); }, 120s, 50ms)) << p.logs();

  // Terminate the pipeline's sessions (application_name 'sluice') that are inside a
  // transaction, again and again while the orders flow; after each hit, wait until the
  // pipeline stored more (it reconnected and retried), so every hit is a different batch.
  const std::string terminate_sql =
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE application_name = 'sluice' AND xact_start IS NOT NULL AND state <> 'idle' "
      "AND pid <> pg_backend_pid()";
  std::uniform_int_distribution<int> pause_ms(0, 300);
  int terminated = 0;
  int attempts = 0;
  const auto give_up = std::chrono::steady_clock::now() + 90s;
  while (terminated < 8 && std::chrono::steady_clock::now() < give_up) {
    ++attempts;
    int n = std::stoi(p.db().scalar(terminate_sql));
    ASSERT_TRUE(p.running()) << "sluice run exited" << p.logs();
    if (n == 0) continue;
    terminated += n;
    auto at_hit = p.stored().value_or(0);
    if (at_hit >= N) break;
    ASSERT_TRUE(p.wait_for([&] { return p.stored().value_or(0) > at_hit; }, 60s, 50ms))
        << "no progress after terminating a backend" << p.logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));  // a random moment for the next hit
  }
  std::cout << "terminated " << terminated << " backend(s) mid-transaction in " << attempts << " attempt(s), "
            << p.stored().value_or(-1) << " orders stored by then" << std::endl;
  EXPECT_GE(terminated, 5) << "too few backends caught mid-transaction for the test to mean anything";

  ASSERT_EQ(publisher->wait(180s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << p.logs();
  EXPECT_EQ(p.runs(), 1u);
  std::string metrics = http_get(p.http_port(), "/metrics").body;
  EXPECT_GT(metric(metrics, "sluice_retries_total{stage=\"db\"}"), 0) << metrics;
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("pgterm", N);
}

TEST(Outage, BrokerDownForTwentySecondsThenUpResumesAndLosesNothing) {
  DefaultPipeline p({.name = "outage-broker"});
  ASSERT_TRUE(p.start()) << p.logs();
  auto publisher = p.publish(N, "kdown", 500);  // ~20 s; its producer waits the outage out
  ASSERT_TRUE(p.wait_for([&] { return reached(p, 1500); }, 120s, 100ms)) << p.logs();
  auto before = p.stored();

  ASSERT_TRUE(p.broker().set_down()) << p.broker().log();
  const auto down_at = std::chrono::steady_clock::now();
  // 20 s down; the pipeline must not exit meanwhile (the wait passes the time).
  EXPECT_FALSE(wait_until([&] { return !p.running(); }, 20s, 200ms)) << "sluice run exited" << p.logs();
  HttpReply ready = http_get(p.http_port(), "/readyz");
  std::cout << "broker down for "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - down_at).count()
            << " s with " << before.value_or(-1) << " orders stored before; /readyz: " << ready.status << " "
            << ready.body << std::endl;
  ASSERT_TRUE(p.broker().set_up()) << p.broker().log();

  ASSERT_EQ(publisher->wait(180s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 180s)) << "stored " << p.stored().value_or(-1) << p.logs();
  ASSERT_TRUE(p.running());
  EXPECT_EQ(p.runs(), 1u);
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("kdown", N);
  auto ends = p.end_offsets();
  ASSERT_TRUE(ends);
  EXPECT_LE(p.replaced_orders(), sum(*ends) - N) << "orders were written twice" << p.logs();
}

TEST(Outage, OffsetCommitErrorsAreRetriedWithoutDuplicates) {
  DefaultPipeline p({.name = "outage-commit"});
  ASSERT_TRUE(p.start()) << p.logs();
  auto publisher = p.publish(N, "commitfail", 800);  // ~12 s
  ASSERT_TRUE(p.wait_for([&] { return reached(p, 500); }, 120s, 50ms)) << p.logs();

  // Three rounds of failing OffsetCommit requests (10 each: timeouts, coordinator errors,
  // rebalance in progress, unknown member), each once the previous round reached the pipeline.
  for (int round = 1; round <= 3; ++round) {
    std::size_t failures_before = occurrences(p.process().err(), "kafka: commit of");
    ::kill(p.broker().pid(), SIGHUP);
    ASSERT_TRUE(
        wait_until([&] { return occurrences(p.broker().log(), "offset commits fail") >= std::size_t(round); }, 10s))
        << p.broker().log();
    // Commits are sent every second while there is progress to commit.
    EXPECT_TRUE(
        wait_until([&] { return occurrences(p.process().err(), "kafka: commit of") > failures_before; }, 30s, 100ms))
        << "round " << round << ": no commit failure reached the pipeline" << p.logs();
    ASSERT_TRUE(p.running()) << p.logs();
  }

  ASSERT_EQ(publisher->wait(180s), 0) << publisher->err();
  ASSERT_TRUE(p.wait_caught_up(N, 120s)) << "stored " << p.stored().value_or(-1) << p.logs();
  // The failed commits were sent again: Kafka's committed offsets reach the end too.
  std::optional<Offsets> committed;
  auto ends = p.end_offsets();
  ASSERT_TRUE(ends);
  EXPECT_TRUE(wait_until(
      [&] {
        committed = p.committed_offsets();
        return committed && *committed == *ends;
      },
      60s, 500ms))
      << "committed offsets never reached the end offsets" << p.logs();
  EXPECT_EQ(p.runs(), 1u);
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("commitfail", N);
  EXPECT_LE(p.replaced_orders(), sum(*ends) - N) << "orders were written twice" << p.logs();
}

}  // namespace
}  // namespace sluice::test

// `sluice positions` against the real default pipeline (README.md, "Operating Sluice",
// Reprocessing): `show` after consuming, `set --dry-run`, `set` refused while an instance runs,
// `set --timestamp` with the instances stopped (stored positions and the group's committed
// offsets both move), a restarted pipeline reading again from there with each order's newest
// version stored exactly once, and hostile arguments. Each step fails without the feature
// (the command does not exist).
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "default_pipeline.hpp"
#include "monotonic_checker.hpp"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Publishes `n` orders PREFIX-1..n at `version` and waits for the producer to finish.
void publish(DefaultPipeline& p, int n, int version) {
  auto producer = p.publish(n, "pos", 0, version);
  ASSERT_EQ(producer->wait(60s), 0) << producer->err();
}

// partition -> (stored, high_water, lag) from `positions show --json`.
std::map<std::int32_t, std::tuple<std::int64_t, std::int64_t, std::int64_t>> shown(DefaultPipeline& p) {
  auto r = p.cli({"positions", "show", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  std::map<std::int32_t, std::tuple<std::int64_t, std::int64_t, std::int64_t>> out;
  auto rows = nlohmann::json::parse(r.out, nullptr, false);
  if (!rows.is_array()) {
    ADD_FAILURE() << "not a JSON array: " << r.out << r.err;
    return out;
  }
  for (const auto& row : rows) {
    EXPECT_EQ(row["stream"], "orders");
    out[row["partition"]] = {row["stored"], row["high_water"], row["lag"]};
  }
  return out;
}

// The newest version marker of every stored order, and how many orders have another one.
std::string versions_stored(DefaultPipeline& p) {
  return p.db().scalar("SELECT count(*) || ' orders, ' || count(*) FILTER (WHERE " +
                       DefaultPipeline::order_version_sql() + " <> 2) || ' not at v2' FROM orders");
}

// `ms` as RFC 3339 in UTC with milliseconds.
std::string rfc3339(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
  return text;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Positions, ShowSetRefusedWhileRunningThenRewindAndReadAgain) {
  DefaultPipeline p({.name = "positions", .partitions = 2});
  ASSERT_TRUE(p.start()) << p.logs();
  publish(p, 20, 1);
  ASSERT_TRUE(p.wait_caught_up(20, 60s)) << p.logs();
  const Offsets after_v1 = *p.end_offsets();
  std::this_thread::sleep_for(5ms);  // the producer's timestamps are milliseconds: T lies strictly between
  const std::int64_t between = now_ms();
  std::this_thread::sleep_for(5ms);
  publish(p, 20, 2);
  ASSERT_TRUE(p.wait_caught_up(20, 60s)) << p.logs();
  ASSERT_EQ(versions_stored(p), "20 orders, 0 not at v2");
  const Offsets ends = *p.end_offsets();
  ASSERT_NE(ends, after_v1);

  // show: caught up, so stored = high-water and no lag.
  auto rows = shown(p);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [partition, row] : rows) {
    EXPECT_EQ(std::get<0>(row), ends.at(partition)) << partition;
    EXPECT_EQ(std::get<1>(row), ends.at(partition)) << partition;
    EXPECT_EQ(std::get<2>(row), 0) << partition;
  }
  auto table = p.cli({"positions", "show"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "PARTITION") && contains(table.out, "HIGH-WATER")) << table.out;

  // A dry run prints old -> new and changes nothing (allowed while running: it only reads).
  auto dry = p.cli({"positions", "set", "--timestamp", std::to_string(between), "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.out << dry.err;
  for (const auto& [partition, offset] : ends) {
    EXPECT_TRUE(contains(dry.out, "orders[" + std::to_string(partition) + "]: " + std::to_string(offset) + " -> " +
                                      std::to_string(after_v1.at(partition)) + "\n"))
        << dry.out;
  }
  EXPECT_TRUE(contains(dry.out, "dry run: nothing changed")) << dry.out;
  EXPECT_EQ(*p.stored_offsets(), ends);

  // While an instance runs, set is refused, naming what it holds, and nothing moves.
  auto refused = p.cli({"positions", "set", "--earliest"});
  EXPECT_EQ(refused.code, 1) << refused.out << refused.err;
  EXPECT_TRUE(contains(refused.err, "orders[0]") && contains(refused.err, "orders[1]")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "Stop every")) << refused.err;
  EXPECT_EQ(*p.stored_offsets(), ends);

  // The session holding them ended (as a database restart ends it): the instance takes the
  // holds again within seconds, and set is refused again.
  const std::string holds =
      "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
      " WHERE l.locktype = 'advisory' AND l.mode = 'ShareLock' AND a.application_name = 'sluice-holds'";
  ASSERT_EQ(p.db().scalar(holds), "2");
  p.db().scalar(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'sluice-holds'");
  ASSERT_TRUE(wait_until([&] { return p.db().scalar(holds) == "2"; }, 20s, 100ms)) << p.logs();
  refused = p.cli({"positions", "set", "--earliest"});
  EXPECT_EQ(refused.code, 1) << refused.out << refused.err;
  EXPECT_EQ(*p.stored_offsets(), ends);

  // Stopped: back to the first version-2 record by time (RFC 3339); Kafka's committed offsets follow.
  ASSERT_EQ(p.terminate(30s), 0) << p.logs();
  auto set = p.cli({"positions", "set", "--timestamp", rfc3339(between)});
  EXPECT_EQ(set.code, 0) << set.out << set.err;
  EXPECT_EQ(*p.stored_offsets(), after_v1);
  EXPECT_EQ(*p.committed_offsets(), after_v1);

  // Restarted, it reads version 2 again: every order written anew, still once, still newest.
  const std::string newest_before = p.db().scalar("SELECT max(version) FROM orders");
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(
      wait_until([&] { return p.db().scalar("SELECT count(*) FROM orders WHERE version > " + newest_before) == "20"; },
                 60s, 100ms))
      << p.logs();
  ASSERT_TRUE(p.wait_caught_up(20, 60s)) << p.logs();
  EXPECT_EQ(versions_stored(p), "20 orders, 0 not at v2");
  ASSERT_EQ(p.terminate(30s), 0) << p.logs();

  // Back to the very start: version 1 comes again after version 2 was stored, and must never
  // replace it (sampled throughout, not only at the end).
  auto earliest = p.cli({"positions", "set", "--earliest"});
  EXPECT_EQ(earliest.code, 0) << earliest.out << earliest.err;
  EXPECT_EQ(*p.committed_offsets(), (Offsets{{0, 0}, {1, 0}}));
  MonotonicChecker checker({.dsn = p.db().dsn(), .orders = true});
  ASSERT_TRUE(p.start()) << p.logs();
  ASSERT_TRUE(p.wait_caught_up(20, 60s)) << p.logs();
  checker.stop();
  EXPECT_EQ(checker.regression_count(), 0u) << checker.summary();
  EXPECT_EQ(versions_stored(p), "20 orders, 0 not at v2");
  EXPECT_EQ(p.terminate(30s), 0) << p.logs();
  p.expect_exactly_once("pos", 20);
}

// Hostile arguments: a clear error and exit code 2, nothing moved; no secret in any output.
TEST(Positions, HostileArgumentsAreRefusedWithoutSecrets) {
  DefaultPipeline p({.name = "positions-hostile", .partitions = 2});
  ASSERT_TRUE(p.start()) << p.logs();  // creates the schema
  ASSERT_EQ(p.terminate(30s), 0) << p.logs();
  const Offsets before = *p.stored_offsets();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--offset", "-5"}, "0 or more"},
      {{"--offset=-1"}, "0 or more"},
      {{"--partition", "7", "--earliest"}, "--partition 7"},
      {{"--partition", "-1", "--earliest"}, "--partition -1"},
      {{"--timestamp", "yesterday"}, "RFC 3339"},
      {{"--timestamp", "2026-02-30T00:00:00Z"}, "RFC 3339"},
      {{"--timestamp", "2026-12-06T14:00:00"}, "RFC 3339"},  // no offset: ambiguous
      {{"--offset", "3", "--earliest"}, "once"},
      {{}, "once"},
      {{"--offset", "99999"}, "outside"},
  };
  for (const auto& [args, says] : cases) {
    std::vector<std::string> argv{"positions", "set"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = p.cli(argv);
    std::string shown_args;
    for (const auto& a : args) shown_args += a + " ";
    EXPECT_EQ(r.code, 2) << shown_args << r.out << r.err;
    EXPECT_TRUE(contains(r.err, says)) << shown_args << "\n" << r.err;
  }
  EXPECT_EQ(*p.stored_offsets(), before);

  // An unreachable database with a password in its URL: an error that does not repeat it.
  const std::string secret = "Pa55-secret-w0rd";
  for (std::vector<std::string> argv :
       {std::vector<std::string>{"positions", "show"}, std::vector<std::string>{"positions", "set", "--earliest"}}) {
    auto r = p.cli(argv, {{"DATABASE_URL", "postgresql://sluice:" + secret + "@127.0.0.1:1/orders_db"}});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_FALSE(contains(r.out + r.err, secret)) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "error:")) << r.err;
  }
}

}  // namespace
}  // namespace sluice::test

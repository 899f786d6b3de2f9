// The kafka source in a consumer group (README.md, "Crashes, restarts and the consumer group"),
// against `sluice broker`: static membership (distinct ids on one host, leaving the group on
// close), fencing by a position store that is further along, the lag of revoked partitions leaving
// /metrics, and a cooperative revoke whose drain times out (the partitions kept are read again).
#include <sys/stat.h>

#include <iostream>

#include "instance_slot.hpp"
#include "kafka_consumer_fixture.hpp"

namespace sluice::kafka {
namespace {

using namespace fixture;

TEST(KafkaSource, FencedDropsRecordsBehindTheStoredPositionAndSeeksForwardNeverBack) {
  Broker broker;
  publish(broker, 400, "k");  // about 100 a partition
  Consumer c(broker, "g-fenced");
  // One small batch, so most of the partition is still ahead (in pending_ or in librdkafka).
  std::vector<Record> first;
  ASSERT_TRUE(test::wait_until(
      [&] {
        Batch batch;
        EXPECT_TRUE(c.source.poll(batch, PollLimits{5, 100ms}).is_ok());
        for (auto& r : batch.records) first.push_back(std::move(r));
        return !first.empty();
      },
      30s, 0ms));
  const std::int32_t p = first.front().partition;
  std::int64_t read_up_to = 0;  // next offset of p after what was handed out
  for (auto& r : first) {
    if (r.partition == p) read_up_to = std::max(read_up_to, r.offset + 1);
  }
  const std::int64_t stored = read_up_to + 30;  // another instance wrote 30 records further

  c.source.fenced({{"orders", p, stored}});
  c.source.fenced({{"orders", p, stored}});  // the same news again: not logged again
  EXPECT_EQ(
      occurrences(c.host.log_text(), "partition orders[" + std::to_string(p) + "]: batch behind stored position " +
                                         std::to_string(stored) + ", skipped (another instance owns it)"),
      1u)
      << c.host.log_text();

  ASSERT_TRUE(c.consume_until(400 - first.size() - 30, 60s));
  for (int i = 0; i < 5; ++i) c.step(50ms);
  std::set<std::int64_t> offsets_of_p;
  for (auto& r : c.records) {
    if (r.partition == p) {
      EXPECT_GE(r.offset, stored) << "a record below the stored position was handed out after the fence";
      offsets_of_p.insert(r.offset);
    }
  }
  ASSERT_FALSE(offsets_of_p.empty());
  EXPECT_EQ(*offsets_of_p.begin(), stored);  // and nothing from the stored position on is skipped
  EXPECT_EQ(static_cast<std::int64_t>(offsets_of_p.size()), *offsets_of_p.rbegin() - stored + 1);

  // A stored position behind what this source already read moves nothing back.
  const std::size_t before = c.records.size();
  const std::int64_t behind = stored - 10;  // a distinct stored offset: logged once more
  c.source.fenced({{"orders", p, behind}});
  EXPECT_NE(c.host.log_text().find("batch behind stored position " + std::to_string(behind)), std::string::npos);
  for (int i = 0; i < 10; ++i) c.step(50ms);
  EXPECT_EQ(c.records.size(), before) << "records came again after a fence behind the read position";
  c.source.close();
}

TEST(KafkaSource, StaticMembersOfOneHostGetDistinctIdsAndLeaveTheGroupOnClose) {
  Broker broker;
  publish(broker, 100, "n");
  // librdkafka sends no LeaveGroup for a closing static member, so a's partitions would wait
  // for its session to expire (20 s) and then for the rebalance: `sluice broker` (librdkafka's
  // mock) waits session_timeout - 1 s for members to rejoin, about 39 s in all. Leaving
  // explicitly starts that rebalance at once: about 19 s here (real Kafka finishes it as soon
  // as b has rejoined).
  Consumer a(broker, "g-static", nullptr, {}, 20000);
  Consumer b(broker, "g-static", nullptr, {}, 20000);
  EXPECT_NE(a.source.instance_id(), "");
  EXPECT_NE(a.source.instance_id(), b.source.instance_id());  // one id each: no fencing
  EXPECT_NE(a.source.instance_id().find("-g-static-"), std::string::npos) << a.source.instance_id();
  ASSERT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        b.step(50ms);
        return a.host.metrics().render().find("sluice_kafka_assigned_partitions 2") != std::string::npos &&
               b.host.metrics().render().find("sluice_kafka_assigned_partitions 2") != std::string::npos;
      },
      90s, 0ms));
  const auto closed = std::chrono::steady_clock::now();
  a.source.close();
  EXPECT_NE(a.host.log_text().find("left group g-static as static member"), std::string::npos) << a.host.log_text();
  ASSERT_TRUE(test::wait_until(
      [&] {
        b.step(50ms);
        return b.host.metrics().render().find("sluice_kafka_assigned_partitions 4") != std::string::npos;
      },
      60s, 0ms));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - closed);
  std::cout << "static member closed: the other took its partitions after " << took.count() << " ms" << std::endl;
  EXPECT_LT(took, 30s) << "a's partitions waited for its session to time out";
  // a left cleanly, and its slot's lock file says so (modification time at the epoch): the
  // next holder joins at once (README.md, "Crashes, restarts and the consumer group").
  const std::string id = a.source.instance_id();
  const auto lock = kafka::default_lock_dir() / ("sluice-kafka-g-static." + id.substr(id.rfind('-') + 1) + ".lock");
  struct stat st {};
  ASSERT_EQ(::stat(lock.c_str(), &st), 0) << lock;
  EXPECT_EQ(st.st_mtim.tv_sec, 0) << lock;
  ASSERT_TRUE(test::wait_until(
      [&] {
        b.step(50ms);
        return b.keys().size() + a.keys().size() >= 100;
      },
      30s, 0ms));
}

TEST(KafkaSource, LagOfRevokedPartitionsLeavesTheMetrics) {
  Broker broker;
  publish(broker, 200, "l");
  Consumer a(broker, "g-lag");
  auto lag_series = [](Consumer& c) { return occurrences(c.host.metrics().render(), "\nsluice_kafka_lag{"); };
  // Stats every 500 ms: each of the four partitions gets its lag series.
  ASSERT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        return lag_series(a) == 4;
      },
      30s, 0ms))
      << a.host.metrics().render();
  Consumer b(broker, "g-lag");
  ASSERT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        b.step(50ms);
        return a.host.drains >= 1 && lag_series(a) == 2 && lag_series(b) == 2;
      },
      60s, 0ms))
      << "a: " << a.host.metrics().render() << "\nb: " << b.host.metrics().render();
}

// The lag reaches the runtime through SourceHost::report_lag (the admin status's positions),
// and a revoked partition's leaves it as it leaves the metrics: the new owner reports it.
TEST(KafkaSource, LagIsReportedToTheHostAndARevokedPartitionsIsForgotten) {
  Broker broker;
  publish(broker, 200, "r");
  Consumer a(broker, "g-lag-host");
  auto reported = [](Consumer& c) {
    std::lock_guard lock(c.host.lags_mutex);
    return c.host.lags.size();
  };
  ASSERT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        return reported(a) == 4;
      },
      30s, 0ms));
  Consumer b(broker, "g-lag-host");
  EXPECT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        b.step(50ms);
        return a.host.drains >= 1 && reported(a) == 2 && reported(b) == 2;
      },
      60s, 0ms))
      << "a reports " << reported(a) << ", b " << reported(b);
}

TEST(KafkaSource, DrainTimeoutInCooperativeRevokeReadsKeptPartitionsAgain) {
  Broker broker;
  publish(broker, 400, "m");
  const nlohmann::json cooperative = {{"partition.assignment.strategy", "cooperative-sticky"}};
  Consumer a(broker, "g-coop", nullptr, cooperative);
  a.auto_accept = false;  // the "sinks" are stuck: everything a handed out stays in flight
  a.host.drain_succeeds = false;
  ASSERT_TRUE(a.consume_until(400));
  Consumer b(broker, "g-coop", nullptr, cooperative);
  // b's arrival makes a give up some partitions: the drain "times out" and the runtime
  // abandons every batch in flight, including those of the partitions a keeps.
  ASSERT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        b.step(50ms);
        return a.host.abandons >= 1 && b.records.size() > 0;
      },
      60s, 0ms))
      << a.host.log_text();
  EXPECT_EQ(a.host.drain_limit, 5000ms);  // rebalance_drain_timeout_ms's default
  // The sinks recover; what a keeps must be read again, or its abandoned records would be
  // skipped by later commits.
  a.host.drain_succeeds = true;
  a.auto_accept = true;
  a.host.accept();
  auto accepted_keys = [&] {
    std::set<std::string> keys;
    for (auto* c : {&a, &b}) {
      for (auto& r : c->host.accepted_records) keys.insert(r.key);
    }
    return keys.size();
  };
  EXPECT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        b.step(50ms);
        return accepted_keys() == 400;
      },
      60s, 0ms))
      << accepted_keys() << " of 400 accepted\n"
      << a.host.log_text();
  EXPECT_NE(a.host.log_text().find("batches in flight were abandoned; reading again from"), std::string::npos)
      << a.host.log_text();
}

}  // namespace
}  // namespace sluice::kafka

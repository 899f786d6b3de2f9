// The kafka source driven directly, with a fake host in place of the runtime, against a real
// `sluice broker` process. Checks what the runtime relies on: positions, commits only of what
// was accepted, pause while idle, position-store seeks, drain-and-commit on revoke, outages.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <set>

#include "kafka_source.hpp"
#include "support/broker.hpp"
#include "support/process.hpp"

namespace sluice::kafka {
namespace {

using namespace std::chrono_literals;
using test::Broker;

class FakePositionStore : public PositionStore {
 public:
  std::map<std::int32_t, std::int64_t> next;  // partition -> next offset
  Status load(const std::string&, std::int32_t partition, std::int64_t& offset, bool& found) override {
    auto it = next.find(partition);
    found = it != next.end();
    if (found) offset = it->second;
    return Status::ok();
  }
};

// Keeps every log line (librdkafka's log callback writes from its own threads).
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    text_.append(line.data(), line.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

// Plays the runtime: records handed out stay "in flight" until accept() or drain(). Its log
// lines are kept for the tests to read (and printed as they come).
class FakeHost : public Host {
 public:
  FakeHost() {
    logger_->sinks().push_back(spdlog::default_logger()->sinks().front());
    logger_->set_level(spdlog::level::info);
  }
  spdlog::logger& log() override { return *logger_; }
  std::string log_text() { return capture_->text(); }
  Metrics& metrics() override { return metrics_; }
  Health& health() override { return health_; }
  Store* store(std::string_view) override { return nullptr; }
  PositionStore* position_store() override { return position_store_; }
  bool drain(std::chrono::milliseconds limit) override {
    ++drains;
    drain_limit = limit;
    if (!drain_succeeds) {  // what the runtime does when the sinks are stuck past the limit
      abandon_in_flight();
      return false;
    }
    accept();
    return true;
  }
  void abandon_in_flight() override {
    ++abandons;
    in_flight.clear();
    in_flight_records.clear();
  }
  std::filesystem::path data_path(std::string_view relative) override { return relative; }
  bool stopping() const override { return false; }

  void accept() {
    if (source && !in_flight.empty()) source->commit(in_flight);
    in_flight.clear();
    for (auto& r : in_flight_records) accepted_records.push_back(std::move(r));
    in_flight_records.clear();
  }

  Source* source = nullptr;
  PositionStore* position_store_ = nullptr;
  std::vector<Position> in_flight;
  std::vector<Record> in_flight_records;
  std::vector<Record> accepted_records;
  bool drain_succeeds = true;
  std::chrono::milliseconds drain_limit{0};
  int drains = 0;
  int abandons = 0;
  Metrics metrics_;
  Health health_;

 private:
  std::shared_ptr<CaptureSink> capture_ = std::make_shared<CaptureSink>();
  std::shared_ptr<spdlog::logger> logger_ = std::make_shared<spdlog::logger>("kafka-test", capture_);
};

Config source_config(const std::string& brokers, const std::string& group,
                     nlohmann::json properties = nlohmann::json::object(), int session_timeout_ms = 6000) {
  return Config(nlohmann::json{{"brokers", brokers},
                               {"topic", "orders"},
                               {"group", group},
                               {"start_from", "earliest"},
                               {"session_timeout_ms", session_timeout_ms},
                               {"heartbeat_interval_ms", 500},
                               {"commit_interval_ms", 0},
                               {"stats_interval_ms", 500},
                               {"properties", properties}});
}

void publish(const Broker& broker, int count, const std::string& prefix) {
  auto r = test::run({test::sluice_binary().string(), "publish", "--brokers", broker.address(), "--count",
                      std::to_string(count), "--prefix", prefix});
  ASSERT_EQ(r.code, 0) << r.err;
}

struct Consumer {
  FakeHost host;
  KafkaSource source;
  std::vector<Record> records;
  bool auto_accept = true;

  Consumer(const Broker& broker, const std::string& group, PositionStore* store = nullptr,
           nlohmann::json properties = nlohmann::json::object(), int session_timeout_ms = 6000)
      : source(source_config(broker.address(), group, std::move(properties), session_timeout_ms), host) {
    host.source = &source;
    host.position_store_ = store;
    EXPECT_TRUE(source.open().is_ok());
  }

  // One runtime step: poll, check the batch's positions, keep its records.
  void step(std::chrono::milliseconds wait = 100ms) {
    Batch batch;
    ASSERT_TRUE(source.poll(batch, PollLimits{500, wait}).is_ok());
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> last;
    for (auto& r : batch.records) last[{r.stream, r.partition}] = r.offset;
    ASSERT_EQ(batch.positions.size(), last.size());
    for (auto& p : batch.positions) {
      auto key = std::make_pair(p.stream, p.partition);
      EXPECT_EQ(p.offset, last[key] + 1);
    }
    for (auto& r : batch.records) {
      host.in_flight_records.push_back(r);
      records.push_back(std::move(r));
    }
    host.in_flight.insert(host.in_flight.end(), batch.positions.begin(), batch.positions.end());
    if (auto_accept) host.accept();
  }

  bool consume_until(std::size_t total, std::chrono::milliseconds timeout = 60s) {
    return test::wait_until([&] { step(); return records.size() >= total; }, timeout, 0ms);
  }

  std::set<std::string> keys() const {
    std::set<std::string> k;
    for (auto& r : records) k.insert(r.key);
    return k;
  }
};

TEST(KafkaSource, HandsOutEveryRecordOnceWithPositionsAndMetrics) {
  Broker broker;
  publish(broker, 300, "a");
  Consumer c(broker, "g-all");
  ASSERT_TRUE(c.consume_until(300));
  for (int i = 0; i < 5; ++i) c.step(50ms);  // nothing more arrives
  EXPECT_EQ(c.records.size(), 300u);
  EXPECT_EQ(c.keys().size(), 300u);
  EXPECT_TRUE(c.host.health().ready());
  EXPECT_NE(c.host.metrics().render().find("sluice_kafka_consumed_total{"), std::string::npos);
  c.source.close();
}

TEST(KafkaSource, CommitsOnlyAcceptedRecordsSoUnacceptedOnesComeAgain) {
  Broker broker;
  publish(broker, 100, "b");
  {
    Consumer c(broker, "g-commit");
    ASSERT_TRUE(c.consume_until(100));
    c.source.close();  // everything accepted and committed
  }
  publish(broker, 40, "c");
  {
    Consumer c(broker, "g-commit");
    c.auto_accept = false;  // handed out, never accepted by the "sinks"
    ASSERT_TRUE(c.consume_until(40));
    for (auto& r : c.records) EXPECT_EQ(r.key.substr(0, 2), "c-");
    c.host.in_flight.clear();
    c.source.close();
  }
  Consumer c(broker, "g-commit");
  ASSERT_TRUE(c.consume_until(40));
  for (int i = 0; i < 5; ++i) c.step(50ms);
  EXPECT_EQ(c.records.size(), 40u);  // redelivered, and nothing committed earlier comes back
  for (auto& r : c.records) EXPECT_EQ(r.key.substr(0, 2), "c-");
}

TEST(KafkaSource, IdlePausesAndPollResumesWithoutLosingRecords) {
  Broker broker;
  Consumer c(broker, "g-idle");
  // Joined and assigned while idle (the runtime may start full).
  ASSERT_TRUE(test::wait_until([&] { c.source.idle(100ms); return c.host.health().ready(); }, 30s, 0ms));
  publish(broker, 200, "d");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.source.idle(100ms).is_ok());
  ASSERT_TRUE(c.consume_until(200));
  for (int i = 0; i < 5; ++i) c.step(50ms);
  EXPECT_EQ(c.records.size(), 200u);
  EXPECT_EQ(c.keys().size(), 200u);
}

TEST(KafkaSource, StaysInTheGroupWhilePausedLongerThanPollIntervalAndSessionTimeout) {
  Broker broker;
  publish(broker, 300, "s");
  // The broker-side limits are short, so a paused source that stopped polling would be
  // evicted (and its partitions revoked) well within the pause below.
  Consumer c(broker, "g-slow", nullptr, {{"max.poll.interval.ms", "6000"}});
  c.auto_accept = false;  // the "sinks" are stuck: nothing is accepted
  ASSERT_TRUE(c.consume_until(1));
  publish(broker, 300, "t");
  auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) ASSERT_TRUE(c.source.idle(200ms).is_ok());
  EXPECT_EQ(c.host.drains, 0);  // no revoke happened
  c.host.accept();
  c.auto_accept = true;
  ASSERT_TRUE(c.consume_until(600));
  for (int i = 0; i < 5; ++i) c.step(50ms);
  EXPECT_EQ(c.records.size(), 600u);
  EXPECT_EQ(c.keys().size(), 600u);
}

TEST(KafkaSource, StartsAtThePositionStoreOffsets) {
  Broker broker;
  publish(broker, 200, "e");
  FakePositionStore store;
  for (int p = 0; p < 4; ++p) store.next[p] = 10;
  Consumer c(broker, "g-store", &store);
  ASSERT_TRUE(c.consume_until(160));
  for (int i = 0; i < 5; ++i) c.step(50ms);
  EXPECT_EQ(c.records.size(), 160u);
  for (auto& r : c.records) EXPECT_GE(r.offset, 10);
}

TEST(KafkaSource, RevokeDrainsAndCommitsSoTheNextOwnerContinuesWithoutGaps) {
  Broker broker;
  publish(broker, 400, "f");
  Consumer a(broker, "g-rebalance");
  a.auto_accept = false;  // batches stay in flight until drain() on revoke
  ASSERT_TRUE(a.consume_until(100));
  Consumer b(broker, "g-rebalance");
  // Both members must keep polling for the group to rebalance.
  ASSERT_TRUE(test::wait_until(
      [&] {
        a.step(50ms);
        b.step(50ms);
        // Distinct keys: b may repeat what a had in flight, so counting records could stop
        // before every key was seen.
        std::set<std::string> seen = a.keys();
        for (auto& k : b.keys()) seen.insert(k);
        return seen.size() >= 400 && b.records.size() > 0;
      },
      60s, 0ms));
  EXPECT_GE(a.host.drains, 1);
  std::set<std::string> all = a.keys();
  for (auto& k : b.keys()) all.insert(k);
  EXPECT_EQ(all.size(), 400u);
  // What a handed out was drained and committed on revoke. Real Kafka accepts that commit
  // (the group is still PreparingRebalance); librdkafka's mock coordinator refuses commits
  // while members rejoin, so there b may repeat what a had in flight: at-least-once, never
  // a gap.
  EXPECT_GE(a.records.size() + b.records.size(), 400u);
}

TEST(KafkaSource, SurvivesBrokerOutageAndResumes) {
  Broker broker;
  publish(broker, 50, "g");
  Consumer c(broker, "g-outage");
  ASSERT_TRUE(c.consume_until(50));
  ASSERT_TRUE(broker.set_down());
  ASSERT_TRUE(test::wait_until([&] { c.step(100ms); return !c.host.health().ready(); }, 30s, 0ms));
  std::string why;
  c.host.health().ready(&why);
  EXPECT_NE(why.find("kafka"), std::string::npos) << why;
  ASSERT_TRUE(broker.set_up());
  publish(broker, 50, "h");
  ASSERT_TRUE(c.consume_until(100));
  EXPECT_EQ(c.keys().size(), 100u);
  EXPECT_TRUE(test::wait_until([&] { c.step(100ms); return c.host.health().ready(); }, 30s, 0ms));
}


// How many times `needle` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

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
  EXPECT_EQ(count_of(c.host.log_text(), "partition orders[" + std::to_string(p) + "]: batch behind stored position " +
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
  ASSERT_TRUE(test::wait_until([&] { b.step(50ms); return b.keys().size() + a.keys().size() >= 100; }, 30s, 0ms));
}

TEST(KafkaSource, LagOfRevokedPartitionsLeavesTheMetrics) {
  Broker broker;
  publish(broker, 200, "l");
  Consumer a(broker, "g-lag");
  auto lag_series = [](Consumer& c) { return count_of(c.host.metrics().render(), "\nsluice_kafka_lag{"); };
  // Stats every 500 ms: each of the four partitions gets its lag series.
  ASSERT_TRUE(test::wait_until([&] { a.step(50ms); return lag_series(a) == 4; }, 30s, 0ms))
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
  EXPECT_TRUE(test::wait_until([&] { a.step(50ms); b.step(50ms); return accepted_keys() == 400; }, 60s, 0ms))
      << accepted_keys() << " of 400 accepted\n" << a.host.log_text();
  EXPECT_NE(a.host.log_text().find("batches in flight were abandoned; reading again from"), std::string::npos)
      << a.host.log_text();
}

}  // namespace
}  // namespace sluice::kafka

// Test fixture for the kafka source: a fake host standing in for the runtime (it keeps
// batches "in flight" until accepted or drained, and keeps the source's log lines), and a
// Consumer that drives one KafkaSource against a `sluice broker` process, as the runtime would.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kafka_source.hpp"
#include "sluice/position_store.hpp"
#include "support/broker.hpp"
#include "support/process.hpp"
#include "support/text.hpp"

namespace sluice::kafka::fixture {

using namespace std::chrono_literals;
using test::Broker;
using test::occurrences;

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
class FakeHost : public SourceHost {
 public:
  FakeHost() {
    logger_->sinks().push_back(spdlog::default_logger()->sinks().front());
    logger_->set_level(spdlog::level::info);
  }
  spdlog::logger& log() override { return *logger_; }
  std::string log_text() { return capture_->text(); }
  Metrics& metrics() override { return metrics_; }
  Health& health() override { return health_; }
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
  void report_lag(const std::string& stream, std::int32_t partition, std::optional<std::int64_t> lag) override {
    std::lock_guard lock(lags_mutex);
    if (lag) {
      lags[{stream, partition}] = *lag;
    } else {
      lags.erase({stream, partition});
    }
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
  std::mutex lags_mutex;
  std::map<PartitionKey, std::int64_t> lags;  // report_lag(), from librdkafka's stats thread
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

inline Config source_config(const std::string& brokers, const std::string& group,
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

inline void publish(const Broker& broker, int count, const std::string& prefix) {
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
    std::map<sluice::PartitionKey, std::int64_t> last;
    for (auto& r : batch.records) last[{r.stream, r.partition}] = r.offset;
    ASSERT_EQ(batch.positions.size(), last.size());
    for (auto& p : batch.positions) {
      auto key = p.key();
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
    return test::wait_until(
        [&] {
          step();
          return records.size() >= total;
        },
        timeout, 0ms);
  }

  std::set<std::string> keys() const {
    std::set<std::string> k;
    for (auto& r : records) k.insert(r.key);
    return k;
  }
};

// How many times `needle` occurs in `text`.
}  // namespace sluice::kafka::fixture

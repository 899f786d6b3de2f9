// The producer behind `sluice publish`: queues messages, counts delivery reports, and
// waits for the outstanding ones at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kafka_handles.hpp"
#include "kafka_orders.hpp"

namespace sluice::cli {

// Where a message landed, from its delivery report.
struct Delivery {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;  // the message's own offset
  std::string_view key;      // empty: unkeyed
};

class Publisher {
 public:
  struct Options {
    std::string brokers;
    std::string topic;
    std::chrono::milliseconds delivery_timeout{60000};
    std::map<std::string, std::string> properties;  // extra librdkafka producer settings
    // Called (on the thread that serves reports: send, serve, flush_until) for every message
    // delivered, in the order the reports arrive.
    std::function<void(const Delivery&)> on_delivered;
    // Called (on the serving thread) with a broker error once the broker was reached
    // (connection lost, all brokers down): librdkafka retries until delivery_timeout.
    std::function<void(const std::string&)> on_trouble;
  };

  // Throws std::runtime_error when librdkafka rejects a setting.
  explicit Publisher(const Options& options);
  ~Publisher();

  // Asks a broker for metadata, waiting at most `bound` for one to answer. nullopt once one
  // did; else why none did ("Connection refused"), from librdkafka's connection errors.
  std::optional<std::string> wait_for_broker(std::chrono::milliseconds bound);

  // Queues one message; waits (serving delivery reports) while the local queue is full.
  // Returns false with `error` set if librdkafka refuses the message outright.
  bool send(const KeyedMessage& message, std::string& error);
  // Serves delivery reports for up to `wait`.
  void serve(std::chrono::milliseconds wait);
  // Waits until every queued message is delivered or failed, or `deadline` passes.
  void flush_until(std::chrono::steady_clock::time_point deadline);
  std::size_t outstanding() const;

  std::uint64_t sent() const { return sent_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t failed() const { return failed_; }
  const std::string& first_error() const { return first_error_; }

 private:
  static void delivery_cb(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  static void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque);
  static void log_cb(const rd_kafka_t*, int level, const char* facility, const char* message);

  std::string topic_;
  std::function<void(const Delivery&)> on_delivered_;
  std::function<void(const std::string&)> on_trouble_;
  bool reached_ = false;            // wait_for_broker succeeded: errors go to on_trouble_
  std::string last_connect_error_;  // the latest error before that
  KafkaHandle producer_;
  std::uint64_t sent_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_ = 0;
  std::string first_error_;
  std::chrono::steady_clock::time_point last_error_log_{};
};

}  // namespace sluice::cli

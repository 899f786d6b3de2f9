// The `kafka` source: a consumer-group member that hands records to the runtime and commits
// offsets only for records every sink accepted (at-least-once, per-partition order kept).
//
// Threading: librdkafka's main queue is forwarded to the consumer queue, so every callback
// (rebalance, error, stats, commit result) runs inside rd_kafka_consumer_poll(), i.e. on the
// runtime's source thread inside poll() or idle(). Only the log callback runs on librdkafka's
// own threads, and it only touches the (thread-safe) logger. end_offset() is asked from API
// threads; it only uses the handle, whose life the runtime brackets (SourceEnds).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consumer_settings.hpp"
#include "instance_slot.hpp"
#include "kafka_handles.hpp"
#include "kafka_metrics.hpp"
#include "kafka_stream_offsets.hpp"
#include "offset_tracker.hpp"
#include "pending_records.hpp"
#include "read_offsets.hpp"
#include "sluice/source.hpp"

namespace sluice::kafka {

class KafkaSource final : public Source {
 public:
  static constexpr const char* plugin_description =
      "Consumes a Kafka topic as a consumer-group member; commits offsets only after every sink "
      "accepted the records (at-least-once, per-partition order kept)";
  static const ConfigMap<ConsumerSettings>& config_map() { return consumer_config_map(); }

  KafkaSource(const Config& config, SourceHost& host);
  ~KafkaSource() override;

  Status open() override;
  Status poll(Batch& out, const PollLimits& limits) override;
  Status idle(std::chrono::milliseconds wait) override;
  Status commit(const std::vector<Position>& positions) override;
  void fenced(const std::vector<Position>& stored) override;
  void close() override;
  // The topic's high-water mark for `partition`, asked of its leader (plugins/rest/README.md,
  // "Read-your-writes"). Only for the consumed topic: a client's text never makes the broker
  // look up another. Thread-safe (librdkafka's handle is); the runtime calls it only while
  // the consumer is open.
  std::optional<std::int64_t> end_offset(const std::string& stream, std::int32_t partition,
                                         std::chrono::milliseconds timeout) override;

  // For `sluice positions`, on a client of its own (kafka_stream_offsets.hpp).
  StreamOffsets* stream_offsets() override;

  // The group.instance.id in use ("" for dynamic membership); set by open().
  const std::string& instance_id() const { return instance_id_; }

 private:
  using Clock = std::chrono::steady_clock;

  // librdkafka callbacks; `opaque` is the KafkaSource.
  static void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void* opaque);
  static void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque);
  static int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque);
  static void commit_cb(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void* opaque);
  static void log_cb(const rd_kafka_t*, int level, const char* facility, const char* message);

  // rebalance.cpp
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void on_assign(rd_kafka_topic_partition_list_t* partitions);
  void on_revoke(rd_kafka_topic_partition_list_t* partitions);
  bool cooperative() const;
  // After the runtime abandoned its in-flight batches: partitions still assigned are read
  // again from their last accepted position (their abandoned records would be skipped).
  void rewind_kept_partitions();
  // Every kHoldCheckInterval, from poll() and idle(): the position store holds the assigned
  // partitions again if it lost them (README.md, "Operating Sluice", Reprocessing).
  void keep_holding();
  // Moves the fetch position of assigned partitions (offset in each element); false on error.
  bool seek(rd_kafka_topic_partition_list_t* partitions);

  // Polls librdkafka once and keeps a record it returns in `pending_`.
  void consume_one(std::chrono::milliseconds wait);
  void handle_message_error(const rd_kafka_message_t& message);
  void set_paused(bool paused);
  // Picks group.instance.id (claiming a slot when derived); "" for dynamic membership.
  std::string resolve_instance_id();
  // After a predecessor in this slot stopped without leaving, the join waits rejoin_delay().
  void schedule_join();
  // Subscribes (joins the group) once join_at_ has come; open(), poll() and idle() call it.
  Status subscribe_when_due();
  // A static member does not leave its group on close (KIP-345); this leaves explicitly.
  void leave_group();
  // Sends accepted offsets to the broker; `sync` waits for the result (used on revoke/close).
  void flush_commits(bool sync);
  void flush_commits_if_due();
  void set_ready(bool ready, const std::string& reason = {});

  SourceHost& host_;
  ConsumerSettings settings_;
  KafkaMetrics metrics_;
  KafkaHandle consumer_;
  OffsetTracker offsets_;
  // Records consumed but not handed out yet: a batch being built, or records that arrived
  // while paused. Revocation removes the revoked partitions' records from here.
  PendingRecords pending_;
  ReadOffsets read_;  // records read before come again after a resume: dropped
  bool paused_ = false;
  // One batch (the last poll's limits). idle() reads ahead up to four of them, in records and
  // in bytes, before it pauses, and a poll that leaves less than that resumes (see poll()).
  std::size_t read_ahead_ = 1000;
  std::size_t read_ahead_bytes_ = std::size_t{32} << 20;
  bool read_ahead_full() const {
    return pending_.size() >= 4 * read_ahead_ || pending_.bytes() >= 4 * read_ahead_bytes_;
  }
  bool closing_ = false;
  bool ready_ = false;
  bool ever_ready_reported_ = false;
  std::string fatal_;                 // set by the error callback on a fatal librdkafka error
  std::optional<InstanceSlot> slot_;  // held while the consumer lives
  std::string instance_id_;
  // The stored offset last reported per fenced partition, so each distinct one is logged once.
  std::map<PartitionKey, std::int64_t> fenced_logged_;
  Clock::time_point last_commit_ = Clock::now();
  Clock::time_point last_stamp_ = Clock::now();
  Clock::time_point join_at_{};
  bool subscribed_ = false;
  static constexpr std::chrono::seconds kHoldCheckInterval{5};
  Clock::time_point last_hold_check_ = Clock::now();
  std::unique_ptr<KafkaStreamOffsets> stream_offsets_;  // made on first use
};

}  // namespace sluice::kafka

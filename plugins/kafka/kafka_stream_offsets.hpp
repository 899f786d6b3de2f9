// The kafka source's answers to `sluice positions` (sluice/stream_offsets.hpp; README.md,
// "Operating Sluice", Reprocessing): the topic's partitions and watermarks, the offsets of a
// point in time, and the group's committed offsets. On a consumer handle of its own, made on
// first use with the source's settings (brokers, group, properties), that never subscribes:
// it does not join the group, so it cannot disturb a running member.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consumer_settings.hpp"
#include "kafka_handles.hpp"
#include "sluice/stream_offsets.hpp"

namespace sluice::kafka {

class KafkaStreamOffsets final : public StreamOffsets {
 public:
  explicit KafkaStreamOffsets(ConsumerSettings settings) : settings_(std::move(settings)) {}

  std::string stream() const override { return settings_.topic; }
  Status ranges(std::vector<PartitionRange>& out, std::chrono::milliseconds timeout) override;
  // librdkafka's offsets_for_times; where the broker has no answer (-1) though the partition
  // holds a record at or after the time (a broker that cannot look up by time, such as
  // `sluice broker`), the partition's records are read to find it.
  Status offsets_at(std::int64_t timestamp_ms, const std::vector<std::int32_t>& partitions, std::vector<Position>& out,
                    std::chrono::milliseconds timeout) override;
  Status commit_group(const std::vector<Position>& positions, std::chrono::milliseconds timeout) override;

 private:
  Status connect();
  // The first offset in [from, until) of a record stamped at or after `timestamp_ms`, else
  // `until`; nullopt when the records did not come within the deadline.
  std::optional<std::int64_t> first_at_or_after(std::int32_t partition, std::int64_t from, std::int64_t until,
                                                std::int64_t timestamp_ms,
                                                std::chrono::steady_clock::time_point deadline);

  // Commits as the only member of the group (joins, waits for its assignment, leaves).
  rd_kafka_resp_err_t commit_as_member(const std::vector<Position>& positions, std::chrono::milliseconds timeout);
  PartitionList partition_list(const std::vector<Position>& positions) const;
  // Synchronous; the first error, overall or of a partition.
  static rd_kafka_resp_err_t commit_list(rd_kafka_t* handle, rd_kafka_topic_partition_list_t* list);

  ConsumerSettings settings_;
  KafkaHandle consumer_;
};

}  // namespace sluice::kafka

#include "kafka_stream_offsets.hpp"

#include <algorithm>
#include <optional>

namespace sluice::kafka {
namespace {

int timeout_ms(std::chrono::milliseconds d) {
  return static_cast<int>(std::clamp<std::int64_t>(d.count(), 0, INT32_MAX));
}

std::chrono::milliseconds left(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
}

Status kafka_error(const std::string& doing, rd_kafka_resp_err_t err) {
  return Status::retry("kafka: " + doing + ": " + rd_kafka_err2str(err));
}

}  // namespace

Status KafkaStreamOffsets::connect() {
  if (consumer_) return Status::ok();
  ConfHandle conf;
  try {
    conf = settings_.make_conf();
  } catch (const std::exception& e) {
    return Status::fatal(std::string("kafka: ") + e.what());
  }
  char error[512];
  rd_kafka_conf_set(conf.get(), "statistics.interval.ms", "0", error, sizeof error);
  // Unreachable brokers are said once, by the result, not every second on stderr.
  rd_kafka_conf_set(conf.get(), "log_level", "0", error, sizeof error);
  // Reading to find a time (first_at_or_after) is a few short fetches: none should idle.
  rd_kafka_conf_set(conf.get(), "fetch.wait.max.ms", "10", error, sizeof error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
  if (!handle) return Status::fatal(std::string("kafka: cannot create a client: ") + error);
  conf.release();
  consumer_.reset(handle);
  rd_kafka_poll_set_consumer(handle);
  return Status::ok();
}

Status KafkaStreamOffsets::ranges(std::vector<PartitionRange>& out, std::chrono::milliseconds timeout) {
  out.clear();
  if (Status s = connect(); !s.is_ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer_.get(), settings_.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(consumer_.get(), 0, topic, &metadata, timeout_ms(timeout));
  rd_kafka_topic_destroy(topic);
  if (err) return kafka_error("reading the metadata of " + settings_.topic + " from " + settings_.brokers, err);
  std::vector<std::int32_t> partitions;
  if (metadata->topic_cnt == 1 && !metadata->topics[0].err) {
    for (int i = 0; i < metadata->topics[0].partition_cnt; ++i)
      partitions.push_back(metadata->topics[0].partitions[i].id);
  } else if (metadata->topic_cnt == 1) {
    err = metadata->topics[0].err;
  }
  rd_kafka_metadata_destroy(metadata);
  if (err) return kafka_error("topic " + settings_.topic, err);
  std::sort(partitions.begin(), partitions.end());
  for (std::int32_t p : partitions) {
    PartitionRange range{p, 0, 0};
    err = rd_kafka_query_watermark_offsets(consumer_.get(), settings_.topic.c_str(), p, &range.low, &range.high,
                                           timeout_ms(left(deadline)));
    if (err) return kafka_error("reading the watermarks of " + settings_.topic + "[" + std::to_string(p) + "]", err);
    out.push_back(range);
  }
  return Status::ok();
}

Status KafkaStreamOffsets::offsets_at(std::int64_t timestamp_ms, const std::vector<std::int32_t>& partitions,
                                      std::vector<Position>& out, std::chrono::milliseconds timeout) {
  out.clear();
  if (Status s = connect(); !s.is_ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (std::int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), settings_.topic.c_str(), p)->offset = timestamp_ms;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(consumer_.get(), list.get(), timeout_ms(timeout))) {
    return kafka_error("looking up offsets by time", err);
  }
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    const std::string where = settings_.topic + "[" + std::to_string(e.partition) + "]";
    if (e.err) return kafka_error("looking up " + where + " by time", e.err);
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            consumer_.get(), settings_.topic.c_str(), e.partition, &low, &high, timeout_ms(left(deadline)))) {
      return kafka_error("reading the watermarks of " + where, err);
    }
    std::int64_t offset = e.offset;
    if (offset < 0 && high > low) {
      // -1 is "no record at or after the time", or a broker that cannot tell: the newest
      // record decides which, and only in the second case are the records read.
      // (A newest offset that is no record, a transaction marker, never comes: the broker's
      // answer stands.)
      auto last = first_at_or_after(e.partition, high - 1, high, timestamp_ms, deadline);
      offset = high;
      if (last && *last < high) {
        auto first = first_at_or_after(e.partition, low, high, timestamp_ms, deadline);
        if (!first) return Status::retry("kafka: reading " + where + " to find the time timed out");
        offset = *first;
      }
    } else if (offset < 0) {
      offset = high;
    }
    out.push_back({settings_.topic, e.partition, std::min(offset, high)});
  }
  return Status::ok();
}

std::optional<std::int64_t> KafkaStreamOffsets::first_at_or_after(std::int32_t partition, std::int64_t from,
                                                                  std::int64_t until, std::int64_t timestamp_ms,
                                                                  std::chrono::steady_clock::time_point deadline) {
  PartitionList at(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(at.get(), settings_.topic.c_str(), partition)->offset = from;
  if (rd_kafka_assign(consumer_.get(), at.get())) return std::nullopt;
  std::optional<std::int64_t> found;
  while (!found && std::chrono::steady_clock::now() < deadline) {
    MessageHandle m(rd_kafka_consumer_poll(consumer_.get(), 100));
    if (!m || m->err || m->partition != partition) continue;
    rd_kafka_timestamp_type_t type;
    const std::int64_t stamp = rd_kafka_message_timestamp(m.get(), &type);
    if (m->offset >= until) {
      found = until;
    } else if (stamp >= timestamp_ms) {
      found = m->offset;
    } else if (m->offset == until - 1) {
      found = until;
    }
  }
  rd_kafka_assign(consumer_.get(), nullptr);
  return found;
}

Status KafkaStreamOffsets::commit_group(const std::vector<Position>& positions, std::chrono::milliseconds timeout) {
  if (Status s = connect(); !s.is_ok()) return s;
  PartitionList list = partition_list(positions);
  // Without joining: Kafka takes a commit from outside an empty group (no member runs: the
  // position store's holds said so), so nothing overwrites these.
  rd_kafka_resp_err_t err = commit_list(consumer_.get(), list.get());
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION) {
    // A coordinator that keeps the empty group's last generation and refuses outsiders
    // (librdkafka's mock, `sluice broker`): join it alone, then commit as its member.
    err = commit_as_member(positions, timeout);
  }
  if (err) return kafka_error("committing the offsets of group " + settings_.group, err);
  return Status::ok();
}

rd_kafka_resp_err_t KafkaStreamOffsets::commit_as_member(const std::vector<Position>& positions,
                                                         std::chrono::milliseconds timeout) {
  ConfHandle conf;
  try {
    conf = settings_.make_conf();
  } catch (const std::exception&) {
    return RD_KAFKA_RESP_ERR__INVALID_ARG;  // connect() made one from the same settings
  }
  char error[512];
  rd_kafka_conf_set(conf.get(), "statistics.interval.ms", "0", error, sizeof error);
  rd_kafka_conf_set(conf.get(), "log_level", "0", error, sizeof error);
  KafkaHandle member(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error));
  if (!member) return RD_KAFKA_RESP_ERR__FAIL;
  conf.release();
  rd_kafka_poll_set_consumer(member.get());
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), settings_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(member.get(), topics.get())) return err;
  // Alone in the group, it is given every partition; only then is its generation current.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  while (std::chrono::steady_clock::now() < deadline) {
    MessageHandle ignored(rd_kafka_consumer_poll(member.get(), 100));
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(member.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    PartitionList assignment(raw);
    if (assignment->cnt == 0) continue;
    PartitionList list = partition_list(positions);
    err = commit_list(member.get(), list.get());
    break;
  }
  rd_kafka_consumer_close(member.get());
  return err;
}

PartitionList KafkaStreamOffsets::partition_list(const std::vector<Position>& positions) const {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(positions.size())));
  for (const Position& p : positions) {
    rd_kafka_topic_partition_list_add(list.get(), p.stream.c_str(), p.partition)->offset = p.offset;
  }
  return list;
}

rd_kafka_resp_err_t KafkaStreamOffsets::commit_list(rd_kafka_t* handle, rd_kafka_topic_partition_list_t* list) {
  if (rd_kafka_resp_err_t err = rd_kafka_commit(handle, list, 0)) return err;  // synchronous
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err) return list->elems[i].err;
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace sluice::kafka

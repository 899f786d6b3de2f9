// Partition assignment and revocation for the kafka source.
//
// Protocol: the default assignors (range, roundrobin) are EAGER: every rebalance revokes all
// partitions, then assigns the new set. That is the simplest contract to make safe (drain
// everything, commit, start over from the committed or stored offsets) and the one
// librdkafka's mock cluster handles in a single round. Setting
// properties.partition.assignment.strategy=cooperative-sticky switches to INCREMENTAL
// rebalancing, which this file also handles: only the moved partitions are drained and
// committed, the others keep flowing.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "kafka_source.hpp"
#include "sluice/log_fields.hpp"
#include "sluice/position_store.hpp"

namespace sluice::kafka {
namespace {

std::string describe(const rd_kafka_topic_partition_list_t* partitions) {
  std::string text;
  for (int i = 0; i < partitions->cnt; ++i) {
    if (!text.empty()) text += ", ";
    text += std::string(partitions->elems[i].topic) + "[" + std::to_string(partitions->elems[i].partition) + "]";
  }
  return text.empty() ? "none" : text;
}

std::vector<PartitionKey> keys_of(const rd_kafka_topic_partition_list_t* partitions) {
  std::vector<PartitionKey> keys;
  for (int i = 0; i < partitions->cnt; ++i)
    keys.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
  return keys;
}

}  // namespace

void KafkaSource::rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                               void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  try {
    self->on_rebalance(err, partitions);
  } catch (const std::exception& e) {
    // A C callback must not throw; an unhandled rebalance would leave the group stuck.
    self->fatal_ = std::string("kafka: rebalance failed: ") + e.what();
    self->host_.log().error("{}", self->fatal_);
  }
}

bool KafkaSource::cooperative() const {
  return std::strcmp(rd_kafka_rebalance_protocol(consumer_.get()), "COOPERATIVE") == 0;
}

void KafkaSource::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  metrics_.rebalanced();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    on_assign(partitions);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    on_revoke(partitions);
  } else {
    // librdkafka's documented answer to an unexpected rebalance error: drop the assignment.
    host_.log().error("kafka: rebalance error: {}", rd_kafka_err2str(err));
    if (cooperative()) {
      ErrorHandle(rd_kafka_incremental_unassign(consumer_.get(), partitions));
    } else {
      rd_kafka_assign(consumer_.get(), nullptr);
    }
  }
  metrics_.assigned(offsets_.owned_count());
}

void KafkaSource::on_assign(rd_kafka_topic_partition_list_t* partitions) {
  host_.log().info("kafka: assigned {}", describe(partitions));
  // A sink that keeps offsets with its data (postgres) knows exactly what it holds; start
  // there. Without one, or when it has nothing for a partition, the committed offset applies
  // (offset INVALID). The Kafka commit never runs ahead of what every sink accepted, so
  // falling back to it when the store cannot answer is safe: at worst records come again.
  std::vector<Position> stored;
  if (PositionStore* store = host_.position_store()) {
    // Held first (README.md, "Operating Sluice", Reprocessing): `sluice positions set` then
    // refuses these partitions, and one that is moving them right now finishes before the
    // positions are loaded below.
    if (Status held = store->hold(keys_of(partitions)); !held.is_ok()) {
      host_.log().warn("kafka: cannot hold {} against `sluice positions set` ({})", describe(partitions),
                       held.message());
    }
    for (int i = 0; i < partitions->cnt; ++i) {
      auto& p = partitions->elems[i];
      std::int64_t next = 0;
      bool found = false;
      Status status = store->load(p.topic, p.partition, next, found);
      if (!status.is_ok()) {
        host_.log().warn("kafka: no stored position for {}[{}] ({}); using the committed offset", p.topic, p.partition,
                         status.message());
      } else if (found) {
        p.offset = next;
        stored.push_back({p.topic, p.partition, next});
        log_event(host_.log(), spdlog::level::info, {{"stream", p.topic}, {"partition", p.partition}, {"offset", next}},
                  "kafka: {}[{}] starts at stored position {}", p.topic, p.partition, next);
      }
    }
  }

  if (cooperative()) {
    if (ErrorHandle error{rd_kafka_incremental_assign(consumer_.get(), partitions)}) {
      host_.log().error("kafka: incremental assign failed: {}", rd_kafka_error_string(error.get()));
      return;
    }
  } else if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), partitions)) {
    host_.log().error("kafka: assign failed: {}", rd_kafka_err2str(err));
    return;
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    offsets_.assign(partitions->elems[i].topic, partitions->elems[i].partition);
    read_.forget(partitions->elems[i].topic, partitions->elems[i].partition);
  }
  // The stored positions are durable, so they are Kafka's committed offsets too. Without this,
  // a commit that failed before a rebalance (or a crash after the database commit) left the
  // group's committed offsets behind until new records arrived: consumer lag stuck above zero.
  offsets_.accepted(stored);

  // Assigned while the runtime is full: keep the new partitions paused too, or records would
  // pile up in pending_ until the next poll().
  if (paused_ && partitions->cnt > 0) rd_kafka_pause_partitions(consumer_.get(), partitions);
  set_ready(true);
}

void KafkaSource::on_revoke(rd_kafka_topic_partition_list_t* partitions) {
  const bool lost = rd_kafka_assignment_lost(consumer_.get());
  host_.log().info("kafka: {} {}", lost ? "lost" : "revoking", describe(partitions));

  // Records of revoked partitions not yet handed out are dropped: their offsets were never
  // committed, so the partition's next owner reads them again.
  auto revoked = [&](const Record& r) {
    for (int i = 0; i < partitions->cnt; ++i) {
      if (r.partition == partitions->elems[i].partition && r.stream == partitions->elems[i].topic) return true;
    }
    return false;
  };
  pending_.erase_if(revoked);
  for (int i = 0; i < partitions->cnt; ++i) read_.forget(partitions->elems[i].topic, partitions->elems[i].partition);

  // Let every batch already handed out finish; the runtime then calls commit() with their
  // positions. On close() the runtime has already drained, and drain() is not allowed there.
  // A lost assignment may be owned by another member already: nothing more of it goes to the
  // sinks.
  bool abandoned = false;
  if (!closing_) {
    if (lost) {
      host_.abandon_in_flight();
      abandoned = true;
    } else {
      abandoned = !host_.drain(std::chrono::milliseconds(settings_.rebalance_drain_timeout_ms));
    }
  }

  if (lost) {
    // Another member may own these partitions already: committing now could move its
    // offsets back. The records are redelivered to it instead (at-least-once).
    host_.log().warn("kafka: assignment lost (session timed out?); not committing for {}", describe(partitions));
  } else {
    flush_commits(true);
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    offsets_.revoke(partitions->elems[i].topic, partitions->elems[i].partition);
    metrics_.forget(partitions->elems[i].topic, partitions->elems[i].partition);  // no stale lag in /metrics
    host_.report_lag(partitions->elems[i].topic, partitions->elems[i].partition, std::nullopt);  // nor in the status
  }
  if (PositionStore* store = host_.position_store()) store->release(keys_of(partitions));
  // Abandoning is all or nothing: in an incremental revoke, batches of partitions this member
  // keeps were dropped too and must be read again.
  if (abandoned) rewind_kept_partitions();

  if (cooperative()) {
    if (ErrorHandle error{rd_kafka_incremental_unassign(consumer_.get(), partitions)}) {
      host_.log().error("kafka: incremental unassign failed: {}", rd_kafka_error_string(error.get()));
    }
  } else {
    rd_kafka_assign(consumer_.get(), nullptr);
  }
}

void KafkaSource::keep_holding() {
  PositionStore* store = host_.position_store();
  if (!store || !consumer_ || Clock::now() - last_hold_check_ < kHoldCheckInterval) return;
  last_hold_check_ = Clock::now();
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(consumer_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  PartitionList assignment(raw);
  if (assignment->cnt == 0) return;
  if (Status held = store->hold(keys_of(assignment.get())); !held.is_ok()) {
    host_.log().warn("kafka: cannot hold {} against `sluice positions set` ({})", describe(assignment.get()),
                     held.message());
  }
}

void KafkaSource::rewind_kept_partitions() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(consumer_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  PartitionList assignment(raw);
  PartitionList back(rd_kafka_topic_partition_list_new(assignment->cnt));
  for (int i = 0; i < assignment->cnt; ++i) {
    const auto& p = assignment->elems[i];
    // OffsetTracker knows what was accepted; the revoked partitions are already forgotten.
    std::int64_t from = offsets_.rewind(p.topic, p.partition);
    if (from < 0) continue;
    rd_kafka_topic_partition_list_add(back.get(), p.topic, p.partition)->offset = from;
    // Not handed out yet, but behind the abandoned ones: they come again after the seek.
    pending_.erase_if([&](const Record& r) { return r.partition == p.partition && r.stream == p.topic; });
    read_.forget(p.topic, p.partition);
    host_.log().warn("kafka: {}[{}] keeps flowing but its batches in flight were abandoned; reading again from {}",
                     p.topic, p.partition, from);
  }
  if (back->cnt > 0) seek(back.get());
}

}  // namespace sluice::kafka

// How the kafka source joins and leaves its consumer group (README.md, "Crashes, restarts and
// the consumer group"): the static member id from an instance slot, a join that waits for a
// predecessor that died in the group, and the explicit leave on close.
#include <spdlog/spdlog.h>

#include "kafka_source.hpp"
#include "rejoin_delay.hpp"

namespace sluice::kafka {

Status KafkaSource::subscribe_when_due() {
  if (subscribed_ || Clock::now() < join_at_) return Status::ok();
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), settings_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get())) {
    return Status::fatal("cannot subscribe to " + settings_.topic + ": " + rd_kafka_err2str(err));
  }
  subscribed_ = true;
  set_ready(false, "joining consumer group " + settings_.group);
  return Status::ok();
}

std::string KafkaSource::resolve_instance_id() {
  if (settings_.dynamic_membership()) return {};
  if (!settings_.derive_instance_id()) return settings_.instance_id;
  std::string error;
  const std::filesystem::path dir =
      settings_.lock_dir.empty() ? default_lock_dir() : std::filesystem::path(settings_.lock_dir);
  slot_ = InstanceSlot::claim(dir, settings_.group, error);
  if (!slot_) {
    // Still works, only a restart after a crash waits for the dead member's session again.
    host_.log().warn("kafka: {}; joining as a dynamic member (set instance_id to choose one)", error);
    return {};
  }
  return derived_instance_id(host_name(), settings_.group, slot_->slot());
}

// The pipeline runs meanwhile (replays, reloads, the APIs); only the join waits.
void KafkaSource::schedule_join() {
  if (!slot_) return;
  const auto delay = rejoin_delay(slot_->predecessor_alive_at(), std::chrono::system_clock::now(),
                                  std::chrono::milliseconds(settings_.session_timeout_ms));
  if (delay.count() == 0) return;
  join_at_ = Clock::now() + delay;
  set_ready(false, "waiting for a stopped member of group " + settings_.group + " to be dropped before joining");
  host_.log().info(
      "kafka: the previous holder of static member {} stopped without leaving the group; joining in {} ms, so a "
      "coordinator that still counts it drops it in the first rebalance "
      "(README, \"Crashes, restarts and the consumer group\")",
      instance_id_, delay.count());
}

void KafkaSource::leave_group() {
  // librdkafka's close does not send LeaveGroup for a static member (KIP-345), so its
  // partitions would wait session_timeout_ms for the other instances. Unsubscribing first
  // does leave: the revoke callback runs (no drain while closing), then librdkafka sends
  // LeaveGroup and forgets its member id, which is what this waits for. Closing before that
  // would suppress the LeaveGroup again.
  auto member_id = [&] {
    char* id = rd_kafka_memberid(consumer_.get());
    std::string text = id ? id : "";
    rd_kafka_mem_free(consumer_.get(), id);
    return text;
  };
  if (member_id().empty()) return;  // never joined: nothing to leave
  if (rd_kafka_resp_err_t err = rd_kafka_unsubscribe(consumer_.get())) {
    host_.log().warn("kafka: leaving the group: {}", rd_kafka_err2str(err));
    return;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!member_id().empty() && Clock::now() < deadline) {
    MessageHandle dropped(rd_kafka_consumer_poll(consumer_.get(), 50));  // uncommitted: read again by others
  }
  if (member_id().empty() && slot_) slot_->mark_left();  // the next holder need not wait
  host_.log().info("kafka: left group {} as static member {}", settings_.group, instance_id_);
}

}  // namespace sluice::kafka

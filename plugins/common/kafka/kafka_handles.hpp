// Owning handles for librdkafka C objects, so no early return leaks one. Shared by the kafka
// plugin and the CLI (`sluice broker`, `sluice publish`); in namespace sluice so both
// sluice::kafka and sluice::cli name them unqualified.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>

namespace sluice {

struct KafkaDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;

}  // namespace sluice

// The kafka source's configuration: the typed keys from the pipeline file, checked for
// values the schema cannot catch, and turned into a librdkafka consumer configuration.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "kafka_handles.hpp"
#include "sluice/config.hpp"
#include "sluice/config_map.hpp"

namespace sluice::kafka {

// Every member's initializer is the key's default; the declared defaults (`sluice plugins`, the
// README, the schema) are derived from them (consumer_config_map()).
struct ConsumerSettings {
  std::string brokers = "localhost:9092";
  std::string topic = "orders";
  std::string group = "sluice";
  std::string start_from = "earliest";  // "earliest" | "latest": auto.offset.reset
  std::int64_t session_timeout_ms = 6000;
  std::int64_t heartbeat_interval_ms = 2000;
  std::int64_t commit_interval_ms = 1000;
  std::int64_t stats_interval_ms = 5000;
  std::int64_t rebalance_drain_timeout_ms = 5000;
  // "" = derive a static id per host and slot (instance_slot.hpp); "none" = dynamic
  // membership; anything else is used as group.instance.id as it is.
  std::string instance_id;
  std::string lock_dir;  // "": default_lock_dir()
  bool leave_on_close = true;
  std::map<std::string, std::string> properties;  // passed through to librdkafka

  // Reads and checks the keys; throws sluice::ConfigError naming the offending key. An
  // absent key keeps the default above.
  static ConsumerSettings from(const Config& config);

  bool dynamic_membership() const { return instance_id == "none"; }
  bool derive_instance_id() const { return instance_id.empty(); }

  // A librdkafka configuration with the plugin's fixed choices (manual commits) applied on
  // top of `properties`, and `group_instance_id` as group.instance.id unless empty. Does no
  // I/O. Throws sluice::ConfigError when librdkafka rejects a property, so a typo fails at
  // load time with the key named.
  ConfHandle make_conf(const std::string& group_instance_id = {}) const;
};

// The keys the kafka source declares, bound to ConsumerSettings' members.
const ConfigMap<ConsumerSettings>& consumer_config_map();

}  // namespace sluice::kafka

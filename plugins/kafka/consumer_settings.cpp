#include "consumer_settings.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "sluice/status.hpp"

namespace sluice::kafka {
namespace {

// Properties the plugin sets itself because delivery guarantees depend on them, or because a
// dedicated key exists. Accepting them in `properties` would silently break at-least-once.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> managed_properties{{
    {"enable.auto.commit", "offsets are committed only after every sink accepted the records"},
    {"enable.auto.offset.store", "offsets are committed only after every sink accepted the records"},
    {"bootstrap.servers", "use the `brokers` key"},
    {"metadata.broker.list", "use the `brokers` key"},
    {"group.id", "use the `group` key"},
    {"auto.offset.reset", "use the `start_from` key"},
    {"session.timeout.ms", "use the `session_timeout_ms` key"},
    {"heartbeat.interval.ms", "use the `heartbeat_interval_ms` key"},
    {"statistics.interval.ms", "use the `stats_interval_ms` key"},
    {"group.instance.id", "use the `instance_id` key"},
}};

// "session_timeout_ms must be positive, got 0", "commit_interval_ms must be zero or more,
// got -1", "stats_interval_ms is too large" (librdkafka takes them as int).
std::string kafka_range_message(std::string_view key, std::int64_t value, std::int64_t min, std::int64_t) {
  if (value < min) {
    return std::string(key) + " must be " + (min == 0 ? "zero or more" : "positive") + ", got " + std::to_string(value);
  }
  return std::string(key) + " is too large";
}

// A value of `properties` (secret: it may be sasl.password) is named, never shown, also where
// librdkafka's own message quotes it.
void set_or_throw(rd_kafka_conf_t* conf, const std::string& name, const std::string& value, const std::string& key) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    if (key != "properties") throw ConfigError(key, "librdkafka rejects " + name + "=" + value + ": " + error);
    std::string said = error;
    for (std::size_t at; !value.empty() && (at = said.find(value)) != std::string::npos;) {
      said.replace(at, value.size(), "(value not shown)");
    }
    throw ConfigError(key, "librdkafka rejects the value of " + name + " (properties are secret: not shown): " + said);
  }
}

}  // namespace

const ConfigMap<ConsumerSettings>& consumer_config_map() {
  using S = ConsumerSettings;
  static const ConfigMap<S> map{
      key("brokers", &S::brokers, "Bootstrap servers, host:port[,host:port...]"),
      key("topic", &S::topic, "Topic to consume (a name starting with ^ is a regex)"),
      key("group", &S::group, "Consumer group id; processes with the same group split the partitions"),
      key("start_from", &S::start_from,
          "Where a partition with no stored or committed offset starts: earliest or latest"),
      key("session_timeout_ms", &S::session_timeout_ms,
          "Group session timeout: how long a dead member keeps its partitions (Kafka's smallest by default)")
          .range(1, INT32_MAX, &kafka_range_message),
      key("heartbeat_interval_ms", &S::heartbeat_interval_ms,
          "Group heartbeat interval, at most a third of session_timeout_ms")
          .range(1, INT32_MAX, &kafka_range_message),
      key("commit_interval_ms", &S::commit_interval_ms,
          "How often accepted offsets are committed to Kafka (0: after every batch)")
          .range(0, INT32_MAX, &kafka_range_message),
      key("stats_interval_ms", &S::stats_interval_ms, "How often lag metrics and broker health are refreshed")
          .range(1, INT32_MAX, &kafka_range_message),
      key("instance_id", &S::instance_id,
          "Static membership id (group.instance.id): a restart after a crash takes over at once on Kafka. "
          "Empty: HOST-GROUP-SLOT, the slot claimed with a lock file in lock_dir; 'none': dynamic membership"),
      key("lock_dir", &S::lock_dir,
          "Folder of the instance-slot lock files, shared by every process of the group on this host. Empty: "
          "/run/sluice when writable, else /tmp. A lock path holding a FIFO, a link or another user's file "
          "stops the source"),
      key("leave_on_close", &S::leave_on_close,
          "On a graceful stop, leave the group so others take the partitions at once (false: a static member "
          "keeps them for session_timeout_ms; a restart within it resumes without a rebalance)"),
      // 0 would abandon every in-flight batch on every rebalance: all of them read again.
      key("rebalance_drain_timeout_ms", &S::rebalance_drain_timeout_ms,
          "On revocation, how long batches in flight may take to finish; then they are abandoned and read "
          "again by the partitions' next owner (positive)")
          .range(1, INT32_MAX, &kafka_range_message),
      // Secret as a whole: sasl.password, ssl.key.password, sasl.oauthbearer.config ... hide among
      // them, and librdkafka adds property names a list of patterns would miss.
      key("properties", &S::properties,
          "Extra librdkafka consumer properties (e.g. security.protocol, partition.assignment.strategy); "
          "secret: never shown in reload diffs or hashed")
          .secret(),
  };
  return map;
}

ConsumerSettings ConsumerSettings::from(const Config& config) {
  ConsumerSettings s = consumer_config_map().parse(config);
  if (s.brokers.empty()) throw ConfigError("brokers", "brokers must name at least one host:port");
  if (s.topic.empty()) throw ConfigError("topic", "topic must not be empty");
  if (s.group.empty()) throw ConfigError("group", "group must not be empty");
  if (s.start_from != "earliest" && s.start_from != "latest") {
    throw ConfigError("start_from", "start_from must be `earliest` or `latest`, got `" + s.start_from + "`");
  }
  if (s.heartbeat_interval_ms >= s.session_timeout_ms) {
    throw ConfigError("heartbeat_interval_ms",
                      "heartbeat_interval_ms must be below session_timeout_ms, or the group "
                      "coordinator evicts the consumer between heartbeats");
  }
  if (s.instance_id.size() > 249) throw ConfigError("instance_id", "instance_id is longer than 249 characters");
  for (char c : s.instance_id) {
    bool legal =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!legal) {
      throw ConfigError("instance_id",
                        "instance_id may hold only letters, digits, '.', '_' and '-' (Kafka's "
                        "rule), got `" +
                            s.instance_id + "`");
    }
  }
  for (const auto& [name, value] : s.properties) {
    for (const auto& [managed, why] : managed_properties) {
      if (name == managed) {
        throw ConfigError("properties", "properties must not set " + name + ": " + std::string(why));
      }
    }
  }
  s.make_conf();  // validates every property without connecting
  return s;
}

ConfHandle ConsumerSettings::make_conf(const std::string& group_instance_id) const {
  ConfHandle conf(rd_kafka_conf_new());
  // Pass-through first, so the fixed choices below win over anything else.
  for (const auto& [name, value] : properties) set_or_throw(conf.get(), name, value, "properties");
  set_or_throw(conf.get(), "bootstrap.servers", brokers, "brokers");
  set_or_throw(conf.get(), "group.id", group, "group");
  set_or_throw(conf.get(), "auto.offset.reset", start_from, "start_from");
  set_or_throw(conf.get(), "session.timeout.ms", std::to_string(session_timeout_ms), "session_timeout_ms");
  set_or_throw(conf.get(), "heartbeat.interval.ms", std::to_string(heartbeat_interval_ms), "heartbeat_interval_ms");
  set_or_throw(conf.get(), "statistics.interval.ms", std::to_string(stats_interval_ms), "stats_interval_ms");
  if (!group_instance_id.empty()) set_or_throw(conf.get(), "group.instance.id", group_instance_id, "instance_id");
  // At-least-once: offsets reach Kafka only through commit(), after every sink accepted them.
  set_or_throw(conf.get(), "enable.auto.commit", "false", "properties");
  set_or_throw(conf.get(), "enable.auto.offset.store", "false", "properties");
  // A partition reaching its end is not an event the pipeline cares about.
  set_or_throw(conf.get(), "enable.partition.eof", "false", "properties");
  return conf;
}

}  // namespace sluice::kafka

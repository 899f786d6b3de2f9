#include "consumer_settings.hpp"

#include <array>
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

void require_positive(const Config& config, const char* key, std::int64_t& out, bool zero_ok) {
  out = config.get_int(key);
  if (out < 0 || (!zero_ok && out == 0)) {
    throw ConfigError(key, std::string(key) + " must be " + (zero_ok ? "zero or more" : "positive") +
                               ", got " + std::to_string(out));
  }
  if (out > INT32_MAX) throw ConfigError(key, std::string(key) + " is too large");
}

void set_or_throw(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
                  const std::string& key) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    throw ConfigError(key, "librdkafka rejects " + name + "=" + value + ": " + error);
  }
}

}  // namespace

ConsumerSettings ConsumerSettings::from(const Config& config) {
  ConsumerSettings s;
  s.brokers = config.get_string("brokers");
  if (s.brokers.empty()) throw ConfigError("brokers", "brokers must name at least one host:port");
  s.topic = config.get_string("topic");
  if (s.topic.empty()) throw ConfigError("topic", "topic must not be empty");
  s.group = config.get_string("group");
  if (s.group.empty()) throw ConfigError("group", "group must not be empty");
  s.start_from = config.get_string("start_from");
  if (s.start_from != "earliest" && s.start_from != "latest") {
    throw ConfigError("start_from", "start_from must be `earliest` or `latest`, got `" + s.start_from + "`");
  }
  require_positive(config, "session_timeout_ms", s.session_timeout_ms, false);
  require_positive(config, "heartbeat_interval_ms", s.heartbeat_interval_ms, false);
  if (s.heartbeat_interval_ms >= s.session_timeout_ms) {
    throw ConfigError("heartbeat_interval_ms",
                      "heartbeat_interval_ms must be below session_timeout_ms, or the group "
                      "coordinator evicts the consumer between heartbeats");
  }
  require_positive(config, "commit_interval_ms", s.commit_interval_ms, true);
  require_positive(config, "stats_interval_ms", s.stats_interval_ms, false);
  // 0 would abandon every in-flight batch on every rebalance: all of them read again.
  // The keys below came with issue 12; configs built by hand (tests) may lack them, while the
  // host always fills in the declared defaults.
  if (config.has("rebalance_drain_timeout_ms")) {
    require_positive(config, "rebalance_drain_timeout_ms", s.rebalance_drain_timeout_ms, false);
  }
  if (config.has("instance_id")) s.instance_id = config.get_string("instance_id");
  if (s.instance_id.size() > 249) throw ConfigError("instance_id", "instance_id is longer than 249 characters");
  for (char c : s.instance_id) {
    bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
    if (!legal) {
      throw ConfigError("instance_id", "instance_id may hold only letters, digits, '.', '_' and '-' (Kafka's "
                                       "rule), got `" + s.instance_id + "`");
    }
  }
  if (config.has("leave_on_close")) s.leave_on_close = config.get_bool("leave_on_close");
  if (config.has("properties")) s.properties = config.get_map("properties");
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
  set_or_throw(conf.get(), "heartbeat.interval.ms", std::to_string(heartbeat_interval_ms),
               "heartbeat_interval_ms");
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

#include "kafka_publisher.hpp"

#include <algorithm>
#include <stdexcept>

#include "log_setup.hpp"

namespace sluice::cli {
namespace {

// Why a connection failed, from librdkafka's error text:
//   "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)"
//   -> "Connection refused"
//   "h:9092/bootstrap: Failed to resolve 'h:9092': Name or service not known (after 5ms in state CONNECT)"
//   -> "Failed to resolve 'h:9092': Name or service not known"
std::string connect_failure_cause(std::string reason) {
  if (auto after = reason.rfind(" (after "); after != std::string::npos) reason.erase(after);
  if (auto failed = reason.rfind(" failed: "); failed != std::string::npos) return reason.substr(failed + 9);
  auto slash = reason.find('/');
  if (slash != std::string::npos && slash < reason.find(' ')) {
    if (auto colon = reason.find(": ", slash); colon != std::string::npos) reason.erase(0, colon + 2);
  }
  return reason;
}

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(name + "=" + value + ": " + error);
  }
}

}  // namespace

Publisher::Publisher(const Options& options)
    : topic_(options.topic), on_delivered_(options.on_delivered), on_trouble_(options.on_trouble) {
  ConfHandle conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", options.brokers);
  set(conf.get(), "message.timeout.ms", std::to_string(options.delivery_timeout.count()));
  // Unkeyed messages (--file lines without an order_uid) go to a random partition each, not
  // in sticky runs: sluice broker keeps only ~5 MiB per partition, so a producer that piles
  // messages onto one partition makes it drop the oldest. Keyed messages hash by key.
  set(conf.get(), "sticky.partitioning.linger.ms", "0");
  set(conf.get(), "linger.ms", "5");
  // A broker closing an idle connection is no news for a short-lived producer.
  set(conf.get(), "log.connection.close", "false");
  for (const auto& [name, value] : options.properties) set(conf.get(), name, value);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Publisher::delivery_cb);
  rd_kafka_conf_set_error_cb(conf.get(), &Publisher::error_cb);
  // librdkafka's own lines (`%3|...|FAIL|...`) go to the log at debug level: what matters
  // reaches the user through error_cb and wait_for_broker, in sluice's words.
  rd_kafka_conf_set_log_cb(conf.get(), &Publisher::log_cb);

  char error[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
  if (!raw) throw std::runtime_error(error);
  conf.release();
  producer_.reset(raw);
}

Publisher::~Publisher() = default;

std::optional<std::string> Publisher::wait_for_broker(std::chrono::milliseconds bound) {
  const rd_kafka_metadata_t* metadata = nullptr;
  // No topic named: any broker's answer proves one is reachable. Without one within the bound
  // librdkafka answers __TRANSPORT (no usable broker) or __TIMED_OUT (no answer).
  rd_kafka_resp_err_t err = rd_kafka_metadata(producer_.get(), 0, nullptr, &metadata, static_cast<int>(bound.count()));
  if (!err) {
    rd_kafka_metadata_destroy(metadata);
    reached_ = true;
    return std::nullopt;
  }
  rd_kafka_poll(producer_.get(), 0);  // the connection errors behind it, through error_cb
  if (!last_connect_error_.empty()) return connect_failure_cause(last_connect_error_);
  if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return "no answer within " + std::to_string((bound.count() + 999) / 1000) + " s";
  }
  return rd_kafka_err2str(err);
}

bool Publisher::send(const KeyedMessage& message, std::string& error) {
  while (true) {
    rd_kafka_resp_err_t err =
        rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
                          RD_KAFKA_V_KEY(message.key.empty() ? nullptr : message.key.data(), message.key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (!err) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      error = rd_kafka_err2str(err);
      return false;
    }
    serve(std::chrono::milliseconds(50));  // backpressure: wait for deliveries to free room
  }
  ++sent_;
  rd_kafka_poll(producer_.get(), 0);
  return true;
}

void Publisher::serve(std::chrono::milliseconds wait) {
  // A negative timeout means "forever" to librdkafka: a deadline that passed between the
  // caller's check and its subtraction (a busy machine) hung `publish --rate` for good.
  rd_kafka_poll(producer_.get(), static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, wait.count())));
}

void Publisher::flush_until(std::chrono::steady_clock::time_point deadline) {
  while (outstanding() > 0 && std::chrono::steady_clock::now() < deadline) serve(std::chrono::milliseconds(100));
}

std::size_t Publisher::outstanding() const { return static_cast<std::size_t>(rd_kafka_outq_len(producer_.get())); }

void Publisher::delivery_cb(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<Publisher*>(opaque);
  if (message->err) {
    ++self->failed_;
    if (self->first_error_.empty()) self->first_error_ = rd_kafka_err2str(message->err);
  } else {
    ++self->delivered_;
    if (self->on_delivered_) {
      Delivery delivery;
      delivery.topic = rd_kafka_topic_name(message->rkt);
      delivery.partition = message->partition;
      delivery.offset = message->offset;
      if (message->key) delivery.key = {static_cast<const char*>(message->key), message->key_len};
      self->on_delivered_(delivery);
    }
  }
}

void Publisher::error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* self = static_cast<Publisher*>(opaque);
  if (!self->reached_) {
    // Before a broker answered: kept for wait_for_broker's one line. "n/n brokers are down"
    // says less than the connection error before it, so it never replaces one.
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || self->last_connect_error_.empty()) {
      self->last_connect_error_ = reason;
    }
    return;
  }
  // Transient: librdkafka retries until message.timeout.ms. Say so once a few seconds, so a
  // user staring at a stalled progress line knows why.
  auto now = std::chrono::steady_clock::now();
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || now - self->last_error_log_ > std::chrono::seconds(5)) {
    self->last_error_log_ = now;
    if (self->on_trouble_) self->on_trouble_(std::string(reason) + " (retrying)");
  }
}

void Publisher::log_cb(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // Called on librdkafka's threads; the logger is thread-safe. Every level is debug here:
  // refused connections are logged at syslog error level while they are only being retried.
  static const auto log = make_logger("publish");
  log->debug("librdkafka {} ({}): {}", facility, level, message);
}

}  // namespace sluice::cli

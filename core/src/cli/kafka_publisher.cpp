#include "kafka_publisher.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace sluice::cli {
namespace {

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(name + "=" + value + ": " + error);
  }
}

}  // namespace

Publisher::Publisher(const Options& options) : topic_(options.topic), on_delivered_(options.on_delivered) {
  ConfHandle conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", options.brokers);
  set(conf.get(), "message.timeout.ms", std::to_string(options.delivery_timeout.count()));
  // Unkeyed messages (--file lines without an order_uid) go to a random partition each, not
  // in sticky runs: sluice broker keeps only ~5 MiB per partition, so a producer that piles
  // messages onto one partition makes it drop the oldest. Keyed messages hash by key.
  set(conf.get(), "sticky.partitioning.linger.ms", "0");
  set(conf.get(), "linger.ms", "5");
  for (const auto& [name, value] : options.properties) set(conf.get(), name, value);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Publisher::delivery_cb);
  rd_kafka_conf_set_error_cb(conf.get(), &Publisher::error_cb);

  char error[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
  if (!raw) throw std::runtime_error(error);
  conf.release();
  producer_.reset(raw);
}

Publisher::~Publisher() = default;

bool Publisher::send(const KeyedMessage& message, std::string& error) {
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()),
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
  // Transient: librdkafka retries until message.timeout.ms. Say so once a few seconds, so a
  // user staring at a stalled progress line knows why.
  auto* self = static_cast<Publisher*>(opaque);
  auto now = std::chrono::steady_clock::now();
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || now - self->last_error_log_ > std::chrono::seconds(5)) {
    self->last_error_log_ = now;
    std::cerr << "sluice publish: " << reason << " (retrying)" << std::endl;
  }
}

}  // namespace sluice::cli

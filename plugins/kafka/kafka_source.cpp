#include "kafka_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>

#include "kafka_stats.hpp"
#include "rejoin_delay.hpp"
#include "sluice/log_fields.hpp"

namespace sluice::kafka {
namespace {

constexpr const char* health_component = "kafka";

int to_ms(std::chrono::milliseconds d) { return static_cast<int>(std::clamp<std::int64_t>(d.count(), 0, INT32_MAX)); }

}  // namespace

KafkaSource::KafkaSource(const Config& config, SourceHost& host)
    : host_(host), settings_(ConsumerSettings::from(config)), metrics_(host.metrics()) {}

KafkaSource::~KafkaSource() { close(); }

Status KafkaSource::open() {
  try {
    instance_id_ = resolve_instance_id();
  } catch (const UnsafeLockFile& e) {
    return Status::fatal(std::string("kafka: ") + e.what());
  }
  ConfHandle conf;
  try {
    conf = settings_.make_conf(instance_id_);
  } catch (const std::exception& e) {
    return Status::fatal(std::string("kafka: ") + e.what());
  }
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::rebalance_cb);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::error_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), &KafkaSource::stats_cb);
  rd_kafka_conf_set_offset_commit_cb(conf.get(), &KafkaSource::commit_cb);
  rd_kafka_conf_set_log_cb(conf.get(), &KafkaSource::log_cb);

  char error[512];
  // rd_kafka_new takes ownership of the configuration only when it succeeds.
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
  if (!handle) return Status::fatal(std::string("cannot create Kafka consumer: ") + error);
  conf.release();
  consumer_.reset(handle);
  // One queue for everything, so callbacks run on the source thread inside consumer_poll.
  rd_kafka_poll_set_consumer(handle);

  schedule_join();
  if (Status status = subscribe_when_due(); !status.is_ok()) return status;
  host_.log().info("kafka: consuming {} as group {} ({}) from {}", settings_.topic, settings_.group,
                   instance_id_.empty() ? "dynamic member" : "static member " + instance_id_, settings_.brokers);
  return Status::ok();
}

Status KafkaSource::poll(Batch& out, const PollLimits& limits) {
  if (!fatal_.empty()) return Status::fatal(fatal_);
  if (!consumer_) return Status::fatal("kafka source polled before open()");
  if (Status status = subscribe_when_due(); !status.is_ok()) return status;
  read_ahead_ = std::max<std::size_t>(1, limits.max_records);
  read_ahead_bytes_ = std::max<std::size_t>(1, limits.max_bytes);
  auto batch_full = [&] { return pending_.size() >= limits.max_records || pending_.bytes() >= limits.max_bytes; };
  if (paused_ && !batch_full()) set_paused(false);
  flush_commits_if_due();
  keep_holding();

  // Wait up to max_wait for the first record, then take whatever else is already fetched:
  // latency stays low and batches grow with load.
  const auto deadline = Clock::now() + limits.max_wait;
  while (!batch_full() && fatal_.empty() && !host_.stopping()) {
    auto now = Clock::now();
    if (pending_.empty() && now >= deadline) break;
    std::size_t before = pending_.size();
    auto wait =
        pending_.empty() ? std::chrono::ceil<std::chrono::milliseconds>(deadline - now) : std::chrono::milliseconds(0);
    consume_one(wait);
    if (pending_.size() == before && !pending_.empty()) break;  // nothing more right now
  }
  if (!fatal_.empty()) return Status::fatal(fatal_);

  std::map<PartitionKey, std::pair<std::int64_t, std::int64_t>> range;  // first, next
  // Up to max_records and max_bytes; one record always goes, however large.
  std::size_t bytes = 0;
  for (std::size_t n = 0; !pending_.empty() && n < limits.max_records && (n == 0 || bytes < limits.max_bytes); ++n) {
    const Record& r = pending_.front();
    if (n > 0 && bytes + r.key.size() + r.value.size() > limits.max_bytes) break;
    auto [it, fresh] = range.try_emplace({r.stream, r.partition}, r.offset, r.offset + 1);
    if (!fresh) it->second.second = r.offset + 1;  // offsets rise within a partition
    bytes += r.key.size() + r.value.size();
    out.records.push_back(pending_.take_front());
  }
  for (auto& [key, offsets] : range) {
    out.positions.push_back({key.stream, key.partition, offsets.second});
    offsets_.handed_out(key.stream, key.partition, offsets.first, offsets.second);
  }
  // Resume while a batch is still read ahead, not when pending_ runs dry: after a resume
  // librdkafka 2.0.2 fetches again only about a second later (its broker thread notices on
  // its next wake-up). Resuming only once empty starved the runtime for that second on every
  // cycle: 200k orders through the default pipeline came in steps of ~9k per second.
  if (paused_ && !read_ahead_full()) set_paused(false);
  return Status::ok();
}

Status KafkaSource::idle(std::chrono::milliseconds wait) {
  if (!fatal_.empty()) return Status::fatal(fatal_);
  if (!consumer_) return Status::fatal("kafka source idled before open()");
  if (Status status = subscribe_when_due(); !status.is_ok()) return status;
  // The runtime is full. For a moment that is normal under a steady stream (a few small
  // batches in flight), so read ahead into pending_, up to four batches (in records and in
  // bytes), which the next polls hand out at once; pause only when that is full. Pausing makes librdkafka drop what it
  // prefetched and fetch again on resume (after the fetch in flight returns): pausing at every
  // full moment held a steady 250 records/s stream to about 20/s against `sluice broker`.
  // Paused, consumer_poll still keeps the group session and max.poll.interval.ms satisfied
  // (and runs rebalances), and memory stays bounded.
  flush_commits_if_due();
  keep_holding();
  const auto deadline = Clock::now() + wait;
  for (auto now = Clock::now(); now < deadline && fatal_.empty(); now = Clock::now()) {
    if (!paused_ && read_ahead_full()) set_paused(true);
    // Rounded up: a wait under 1 ms truncated to 0 would spin until the deadline.
    consume_one(std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
  }
  return fatal_.empty() ? Status::ok() : Status::fatal(fatal_);
}

Status KafkaSource::commit(const std::vector<Position>& positions) {
  offsets_.accepted(positions);
  // Called re-entrantly from drain() during a revoke: the revoke handler commits
  // synchronously right after, so nothing is sent from here then.
  if (settings_.commit_interval_ms == 0) flush_commits(false);
  return Status::ok();
}

void KafkaSource::fenced(const std::vector<Position>& stored) {
  if (!consumer_) return;
  PartitionList forward(rd_kafka_topic_partition_list_new(static_cast<int>(stored.size())));
  for (const Position& p : stored) {
    auto& logged = fenced_logged_.try_emplace({p.stream, p.partition}, -1).first->second;
    // A train of stale batches brings the same news once per batch: handled (and logged) once.
    if (logged == p.offset) continue;
    logged = p.offset;
    log_event(host_.log(), spdlog::level::warn,
              {{"stream", p.stream}, {"partition", p.partition}, {"offset", p.offset}},
              "partition {}[{}]: batch behind stored position {}, skipped (another instance owns it)", p.stream,
              p.partition, p.offset);
    pending_.erase_if(
        [&](const Record& r) { return r.partition == p.partition && r.offset < p.offset && r.stream == p.stream; });
    if (!offsets_.owns(p.stream, p.partition)) continue;
    // Still ours: fetch on from the stored position, never back. The position is the next
    // offset librdkafka will hand out; INVALID when nothing was read since the assignment,
    // whose start may be older than what the other instance stored.
    PartitionList one(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(one.get(), p.stream.c_str(), p.partition);
    rd_kafka_position(consumer_.get(), one.get());
    const std::int64_t at = one->elems[0].offset;
    if (at >= 0 && at >= p.offset) continue;
    rd_kafka_topic_partition_list_add(forward.get(), p.stream.c_str(), p.partition)->offset = p.offset;
  }
  if (forward->cnt > 0) seek(forward.get());
  // The stored positions are durable: what the Kafka commit may say for partitions still ours.
  offsets_.accepted(stored);
}

bool KafkaSource::seek(rd_kafka_topic_partition_list_t* partitions) {
  // With a timeout, librdkafka guarantees no record fetched from the old position is handed
  // out afterwards.
  ErrorHandle error(rd_kafka_seek_partitions(consumer_.get(), partitions, 5000));
  bool ok = !error;
  if (error) host_.log().warn("kafka: seek failed: {}", rd_kafka_error_string(error.get()));
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& p = partitions->elems[i];
    if (p.err) {
      ok = false;
      log_event(host_.log(), spdlog::level::warn,
                {{"stream", p.topic}, {"partition", p.partition}, {"offset", p.offset}},
                "kafka: seek of {}[{}] to {} failed: {}", p.topic, p.partition, p.offset, rd_kafka_err2str(p.err));
    } else {
      log_event(host_.log(), spdlog::level::info,
                {{"stream", p.topic}, {"partition", p.partition}, {"offset", p.offset}},
                "kafka: {}[{}] now reads from offset {}", p.topic, p.partition, p.offset);
    }
  }
  return ok;
}

StreamOffsets* KafkaSource::stream_offsets() {
  if (!stream_offsets_) stream_offsets_ = std::make_unique<KafkaStreamOffsets>(settings_);
  return stream_offsets_.get();
}

void KafkaSource::close() {
  if (!consumer_) return;
  closing_ = true;
  flush_commits(true);
  if (!instance_id_.empty() && settings_.leave_on_close) leave_group();
  // Leaves the group now (the revoke callback runs without drain()), so the other members
  // take over at once instead of after session_timeout_ms.
  if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get())) {
    host_.log().warn("kafka: closing the consumer: {}", rd_kafka_err2str(err));
  }
  consumer_.reset();
  slot_.reset();  // after the consumer is gone: the next holder of the slot takes over its id
  pending_.clear();
  read_.clear();
  host_.log().info("kafka: consumer closed");
}

std::optional<std::int64_t> KafkaSource::end_offset(const std::string& stream, std::int32_t partition,
                                                    std::chrono::milliseconds timeout) {
  if (!consumer_ || stream != settings_.topic || partition < 0) return std::nullopt;
  // A ListOffsets request to the partition's leader, not the statistics' cached lag (seconds
  // old: a message just delivered would look beyond the end). With the default
  // isolation.level (read_committed) this is the last stable offset: a message of an open
  // transaction is not readable yet either.
  std::int64_t low = 0;
  std::int64_t high = 0;
  const rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(consumer_.get(), stream.c_str(), partition, &low, &high, to_ms(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) return std::nullopt;
  return high;
}

void KafkaSource::consume_one(std::chrono::milliseconds wait) {
  if (slot_) {  // stamped at least every slot_stamp_interval while the source runs
    if (Clock::now() - last_stamp_ >= slot_stamp_interval) {
      slot_->stamp_alive();
      last_stamp_ = Clock::now();
    }
    wait = std::min(wait, slot_stamp_interval);
  }
  MessageHandle message(rd_kafka_consumer_poll(consumer_.get(), to_ms(wait)));
  if (!message) return;
  if (message->err) {
    handle_message_error(*message);
    return;
  }
  Record r;
  r.stream = rd_kafka_topic_name(message->rkt);
  r.partition = message->partition;
  r.offset = message->offset;
  if (!read_.first_time(r.stream, r.partition, r.offset)) {
    host_.log().debug("kafka: {}[{}] offset {} read again after a resume; dropped", r.stream, r.partition, r.offset);
    return;
  }
  if (message->key) r.key.assign(static_cast<const char*>(message->key), message->key_len);
  if (message->payload) r.value.assign(static_cast<const char*>(message->payload), message->len);
  rd_kafka_timestamp_type_t type;
  r.timestamp_ms = rd_kafka_message_timestamp(message.get(), &type);
  metrics_.consumed(r.stream, r.partition);
  pending_.push_back(std::move(r));
  if (!ready_) set_ready(true);
}

void KafkaSource::handle_message_error(const rd_kafka_message_t& message) {
  auto err = message.err;
  if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  std::string what = rd_kafka_message_errstr(&message);
  if (err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(consumer_.get(), nullptr, 0)) {
    fatal_ = "kafka: fatal consumer error: " + what;
    host_.log().error("{}", fatal_);
    return;
  }
  // Consumer errors are informational: librdkafka retries on its own. A missing topic keeps
  // the source unready so /readyz says why nothing arrives.
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
    set_ready(false, "topic " + settings_.topic + ": " + what);
  }
  host_.log().warn("kafka: consumer error: {}", what);
}

void KafkaSource::set_paused(bool paused) {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(consumer_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  PartitionList assignment(raw);
  if (assignment->cnt > 0) {
    rd_kafka_resp_err_t err = paused ? rd_kafka_pause_partitions(consumer_.get(), assignment.get())
                                     : rd_kafka_resume_partitions(consumer_.get(), assignment.get());
    if (err) host_.log().warn("kafka: {} partitions: {}", paused ? "pausing" : "resuming", rd_kafka_err2str(err));
    host_.log().debug("kafka: {} {} partition(s)", paused ? "paused" : "resumed", assignment->cnt);
  }
  paused_ = paused;
  metrics_.paused(paused);
}

void KafkaSource::flush_commits(bool sync) {
  if (!consumer_) return;
  last_commit_ = Clock::now();
  std::vector<Position> unsent = offsets_.take_unsent();
  if (unsent.empty()) return;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(unsent.size())));
  for (const Position& p : unsent) {
    rd_kafka_topic_partition_list_add(list.get(), p.stream.c_str(), p.partition)->offset = p.offset;
  }
  // Failures of either kind arrive in commit_cb, which marks the offsets for resending.
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), sync ? 0 : 1);
  if (err && sync) host_.log().warn("kafka: committing offsets: {}", rd_kafka_err2str(err));
}

void KafkaSource::flush_commits_if_due() {
  if (Clock::now() - last_commit_ >= std::chrono::milliseconds(settings_.commit_interval_ms)) {
    flush_commits(false);
  }
}

void KafkaSource::set_ready(bool ready, const std::string& reason) {
  if (ready == ready_ && ever_ready_reported_) return;
  ready_ = ready;
  ever_ready_reported_ = true;
  host_.health().set(health_component, ready, reason);
  if (ready) host_.log().info("kafka: connected");
}

void KafkaSource::error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char detail[512];
    rd_kafka_fatal_error(rk, detail, sizeof detail);
    self->fatal_ = std::string("kafka: fatal error: ") + detail;
    self->host_.log().error("{}", self->fatal_);
  } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    // Not fatal: librdkafka keeps reconnecting and the pipeline resumes when a broker returns.
    self->host_.log().warn("kafka: all brokers are down ({}); retrying", reason);
    // /readyz answers anyone who asks: the broker addresses stay in the log.
    self->set_ready(false, "all brokers down");
  }
  // Other errors are transient and already in librdkafka's own log lines (log_cb).
}

int KafkaSource::stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  StatsSummary stats = summarize_stats(std::string_view(json, len));
  if (!stats.parsed) return 0;
  for (const PartitionLag& p : stats.lags) {
    if (!self->offsets_.owns(p.topic, p.partition)) continue;
    self->metrics_.lag(p.topic, p.partition, p.lag);
    self->host_.report_lag(p.topic, p.partition, p.lag);  // the admin status's positions
  }
  if (!stats.broker_up && self->ready_) self->set_ready(false, "no broker connection");
  if (stats.broker_up && !self->ready_ && self->offsets_.owned_count() > 0) self->set_ready(true);
  return 0;  // librdkafka frees the JSON
}

void KafkaSource::commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                            void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || !offsets) return;
  for (int i = 0; i < offsets->cnt; ++i) {
    const auto& p = offsets->elems[i];
    rd_kafka_resp_err_t e = p.err ? p.err : err;
    if (!e) continue;
    self->metrics_.commit_failed();
    self->offsets_.commit_failed(p.topic, p.partition, p.offset);
    self->host_.log().warn(
        "kafka: commit of {}[{}]@{} failed: {} (sent again with the next commit while "
        "still assigned)",
        p.topic, p.partition, p.offset, rd_kafka_err2str(e));
  }
}

void KafkaSource::log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  auto* self = static_cast<KafkaSource*>(rd_kafka_opaque(rk));
  if (!self) return;
  // librdkafka logs recoverable trouble (refused connections) at syslog error level; the
  // source reports what matters for the pipeline itself, so these become warnings.
  auto spd = level <= 4 ? spdlog::level::warn : level <= 6 ? spdlog::level::info : spdlog::level::debug;
  self->host_.log().log(spd, "librdkafka {}: {}", facility, message);
}

}  // namespace sluice::kafka

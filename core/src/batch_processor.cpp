#include "batch_processor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "runtime.hpp"
#include "sluice/log_text.hpp"

namespace sluice {

namespace {
const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

BatchProcessor::BatchProcessor(Runtime& runtime)
    : runtime_(runtime),
      consumed_(runtime.shared_.metrics.counter("sluice_records_consumed_total", "Records received from the source")),
      stored_(runtime.shared_.metrics.counter("sluice_records_stored_total", "Records accepted by every sink")),
      fenced_(runtime.shared_.metrics.counter(
          "sluice_records_fenced_total",
          "Records skipped because the position store already held their partition further (stored by another "
          "instance)")),
      batch_seconds_(runtime.shared_.metrics.histogram(
          "sluice_batch_duration_seconds", "Time from a batch leaving the source to its acknowledgement", kLatencyBounds)) {
  if (!runtime.transforms_.empty()) stages_.push_back({"transforms", nullptr});
  for (auto& s : runtime.sinks_) stages_.push_back({s->id(), s.get()});
}

void BatchProcessor::begin(const Batch& batch) { consumed_.inc(batch.records.size()); }

void BatchProcessor::end(const Batch& batch, std::chrono::steady_clock::time_point dispatched) {
  stored_.inc(batch.records.size());
  batch_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - dispatched).count());
}

BatchProcessor::Result BatchProcessor::run_stage(std::size_t stage, Batch& batch) {
  const Stage& s = stages_.at(stage);
  return s.sink ? run_sink(*s.sink, batch) : run_transforms(batch);
}

BatchProcessor::Result BatchProcessor::run_transforms(Batch& batch) {
  Result result = Result::done;
  std::vector<Record> dead;
  Outcome outcome;
  for (auto& t : runtime_.transforms_) {
    auto* transform = t->as<Transform>();
    bool ok = with_retry(t->id(), batch.sequence, [&] {
      outcome.clear();
      return transform->apply(batch, outcome);
    }, result);
    if (!ok) return result;
    take_rejected(batch, outcome, t->id(), dead);
  }
  // Dead letters are made durable before any sink sees the batch: a sink that keeps positions
  // (postgres) commits them with its data, after which a crash must not lose the rejected
  // records.
  if (!dead.empty() && !write_dead_letters(dead, batch.sequence, result)) return result;
  return Result::done;
}

BatchProcessor::Result BatchProcessor::run_sink(PluginInstance& s, Batch& batch) {
  Result result = Result::done;
  std::vector<Record> dead;
  Outcome outcome;
  auto* sink = s.as<Sink>();
  bool ok = with_retry(s.id(), batch.sequence, [&] {
    outcome.clear();
    return sink->write(batch, outcome);
  }, result);
  if (!ok) return result;
  take_rejected(batch, outcome, s.id(), dead);
  take_behind(batch, outcome);
  // Right after the sink that refused them, before later sinks. A sink that commits
  // positions with its data leaves a window here (refused by the database, then a crash):
  // such records are rare (the validator runs first) and documented in the README.
  if (!dead.empty() && !write_dead_letters(dead, batch.sequence, result)) return result;
  return Result::done;
}

bool BatchProcessor::with_retry(const std::string& stage, std::uint64_t sequence, const std::function<Status()>& write,
                                Result& result) {
  auto backoff = std::chrono::milliseconds(runtime_.plan_.spec.runtime.retry_initial_ms);
  const auto cap = std::chrono::milliseconds(runtime_.plan_.spec.runtime.retry_max_ms);
  bool degraded = false;
  for (std::uint64_t attempt = 1;; ++attempt) {
    if (attempt > 1 && runtime_.discarded(sequence)) {
      runtime_.log_->warn("'{}' gives up on a batch abandoned by a rebalance", stage);
      result = Result::abandoned;
      return false;
    }
    Status status = runtime_.guarded(stage, write);
    if (status.is_ok()) {
      if (degraded) {
        runtime_.shared_.health.set(stage_health(stage), true);
        runtime_.log_->info("'{}' recovered after {} attempts", stage, attempt);
      }
      return true;
    }
    if (status.code() != StatusCode::retry) {
      runtime_.fail("'" + stage + "' failed: " + status.message());
      result = Result::failed;
      return false;
    }
    runtime_.shared_.metrics.counter("sluice_retries_total", "Transient failures retried, by stage", {{"stage", stage}}).inc();
    runtime_.shared_.health.set(stage_health(stage), false, status.message());
    degraded = true;
    runtime_.log_->warn("'{}' asked to retry (attempt {}): {}; next try in {} ms", stage, attempt,
                        printable(status.message(), 1024), backoff.count());
    if (!runtime_.interruptible_sleep(backoff)) {
      result = Result::abandoned;
      return false;
    }
    backoff = std::min(backoff * 2, cap);
  }
}

void BatchProcessor::take_rejected(Batch& batch, const Outcome& outcome, const std::string& stage,
                                   std::vector<Record>& dead) {
  if (outcome.rejected().empty()) return;
  std::vector<char> drop(batch.records.size(), 0);
  for (const auto& r : outcome.rejected()) {
    if (r.index >= batch.records.size() || drop[r.index]) {
      runtime_.log_->error("'{}' rejected record index {} which is not in the batch of {}; ignored", stage, r.index,
                           batch.records.size());
      continue;
    }
    drop[r.index] = 1;
    Record& rec = batch.records[r.index];
    rec.rejection = {static_cast<const Defect&>(r), stage};
    dead.push_back(std::move(rec));
  }
  std::size_t keep = 0;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    if (!drop[i]) {
      if (keep != i) batch.records[keep] = std::move(batch.records[i]);
      ++keep;
    }
  }
  batch.records.resize(keep);
}

void BatchProcessor::take_behind(Batch& batch, const Outcome& outcome) {
  if (outcome.behind().empty()) return;
  // The stored next offset of the record's partition if the sink reported one, else -1.
  auto stored = [&](const std::string& stream, std::int32_t partition) -> std::int64_t {
    for (const Position& p : outcome.behind()) {
      if (p.partition == partition && p.stream == stream) return p.offset;
    }
    return -1;
  };
  std::size_t before = batch.records.size();
  std::erase_if(batch.records, [&](const Record& r) { return r.offset < stored(r.stream, r.partition); });
  // A position not past the stored one has nothing to commit.
  std::erase_if(batch.positions, [&](const Position& p) { return p.offset <= stored(p.stream, p.partition); });
  fenced_.inc(before - batch.records.size());
  runtime_.note_fenced(outcome.behind());
}

bool BatchProcessor::write_dead_letters(std::vector<Record>& dead, std::uint64_t sequence, Result& result) {
  auto& metrics = runtime_.shared_.metrics;
  for (const auto& rec : dead) {
    metrics.counter("sluice_records_dead_lettered_total", "Records sent to the dead-letter route, by reason",
                    {{"reason", rec.rejection.reason}}).inc();
    // Reason, pointer and detail are the record's own words (a JSON key becomes the pointer).
    runtime_.log_->warn("dead letter from '{}': {} at {} ({}) [{}:{}@{}]", rec.rejection.stage,
                        printable(rec.rejection.reason, 64),
                        rec.rejection.pointer.empty() ? "/" : printable(rec.rejection.pointer, 256),
                        printable(rec.rejection.detail, 512), rec.stream, rec.partition, rec.offset);
  }
  Batch dl;
  dl.records = std::move(dead);
  dead.clear();
  if (!runtime_.dead_letter_) return true;  // logged above, one line each: not silent

  std::lock_guard lock(dead_letter_mutex_);
  auto* sink = runtime_.dead_letter_->as<Sink>();
  Outcome outcome;
  bool ok = with_retry(runtime_.dead_letter_->id(), sequence, [&] {
    outcome.clear();
    return sink->write(dl, outcome);
  }, result);
  if (!ok) return false;
  for (const auto& r : outcome.rejected()) {
    if (r.index >= dl.records.size()) continue;
    const Record& rec = dl.records[r.index];
    runtime_.log_->error("dead-letter sink refused a record [{}:{}@{}]: {}; its original rejection: {}", rec.stream,
                         rec.partition, rec.offset, printable(r.detail.empty() ? r.reason : r.detail, 1024),
                         printable(rec.rejection.reason, 64));
  }
  return true;
}

}  // namespace sluice

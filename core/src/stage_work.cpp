// What each stage of the stage pipeline does: the transforms, each sink's write, rejected
// records to the dead-letter sink, fencing, retries. The rules are stated at the top of
// stage_pipeline.hpp.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "pipeline_builder.hpp"
#include "sluice/log_fields.hpp"
#include "sluice/log_text.hpp"
#include "sluice/replay.hpp"
#include "sluice/sink.hpp"
#include "sluice/transform.hpp"
#include "stage_pipeline.hpp"

namespace sluice {

namespace {

// Keeps the records of `batch` whose `drop` flag is 0, in order, and a replay's dead-letter
// ids with them, so ids and records stay parallel (sluice/replay.hpp).
void keep_records(Batch& batch, const std::vector<char>& drop) {
  std::vector<std::int64_t> ids;
  std::size_t keep = 0;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    if (drop[i]) continue;
    if (batch.replay) ids.push_back(dead_letter_id(batch, i));
    if (keep != i) batch.records[keep] = std::move(batch.records[i]);
    ++keep;
  }
  batch.records.resize(keep);
  if (batch.replay)
    batch.replay = std::make_shared<const ReplayBatch>(ReplayBatch{std::move(ids), batch.replay->retire_in});
}

}  // namespace

StagePipeline::Result StagePipeline::run_stage(std::size_t stage, Batch& batch) {
  const Stage& s = stages_.at(stage);
  return s.sink ? run_sink(*s.sink, batch) : run_transforms(batch);
}

StagePipeline::Result StagePipeline::run_transforms(Batch& batch) {
  Result result = Result::done;
  Batch dead;
  Outcome outcome;
  for (auto* t : transforms_) {
    auto* transform = t->as<Transform>();
    bool ok = with_retry(
        t->id(), batch.sequence,
        [&] {
          outcome.clear();
          return transform->apply(batch, outcome);
        },
        result);
    if (!ok) return result;
    take_rejected(batch, outcome, t->id(), dead, nullptr);
    offer(t->id(), batch);
  }
  // Dead letters are made durable before any sink sees the batch (rule 3).
  if (!dead.records.empty() && !write_dead_letters(dead, batch.sequence, result)) return result;
  return Result::done;
}

StagePipeline::Result StagePipeline::run_sink(PluginInstance& s, Batch& batch) {
  Result result = Result::done;
  Batch dead;
  Batch lettered;
  Outcome outcome;
  auto* sink = s.as<Sink>();
  // Where this sink's rejections go: one writing into that very database stores them in its
  // own transaction (rule 3).
  outcome.route_letters(dead_letter_ ? dead_letter_->as<Sink>()->dead_letter_store() : nullptr, s.id());
  bool ok = with_retry(
      s.id(), batch.sequence,
      [&] {
        outcome.clear();
        return sink->write(batch, outcome);
      },
      result);
  if (!ok) return result;
  take_rejected(batch, outcome, s.id(), dead, &lettered);
  take_behind(batch, outcome);
  offer(s.id(), batch);
  if (!lettered.records.empty()) note_dead_letters(lettered);
  // Right after the sink that refused them, before later sinks (rule 3). A sink that commits
  // positions with its data and could not keep these letters itself (a dead-letter store that
  // cannot take them, DeadLetterStore::write_letters) leaves a window here: README.md,
  // "Delivery guarantees", says so.
  if (!dead.records.empty() && !write_dead_letters(dead, batch.sequence, result)) return result;
  return Result::done;
}

bool StagePipeline::with_retry(const std::string& stage, std::uint64_t sequence, const std::function<Status()>& write,
                               Result& result) {
  Backoff backoff(hooks_.retry_initial, hooks_.retry_max);
  bool degraded = false;
  for (std::uint64_t attempt = 1;; ++attempt) {
    if (attempt > 1 && discarded(sequence)) {
      log_.warn("'{}' gives up on a batch abandoned by a rebalance", stage);
      result = Result::abandoned;
      return false;
    }
    Status status = guarded(log_, stage, write);
    if (status.is_ok()) {
      if (degraded) {
        hooks_.health.set(stage_health(stage), true);
        log_.info("'{}' recovered after {} attempts", stage, attempt);
      }
      return true;
    }
    if (status.code() != StatusCode::retry) {
      hooks_.fail("'" + stage + "' failed: " + status.message());
      result = Result::failed;
      return false;
    }
    hooks_.metrics.counter("sluice_retries_total", "Transient failures retried, by stage", {{"stage", stage}}).inc();
    hooks_.health.set(stage_health(stage), false, status.message());
    degraded = true;
    log_.warn("'{}' asked to retry (attempt {}): {}; next try in {} ms", stage, attempt,
              printable(status.message(), 1024), backoff.peek().count());
    if (!hooks_.pause(backoff.next(), [&] { return discarded(sequence); })) {
      if (discarded(sequence)) log_.warn("'{}' gives up on a batch abandoned by a rebalance", stage);
      result = Result::abandoned;
      return false;
    }
  }
}

void StagePipeline::take_rejected(Batch& batch, const Outcome& outcome, const std::string& stage, Batch& dead,
                                  Batch* lettered) {
  if (outcome.rejected().empty()) return;
  std::vector<char> drop(batch.records.size(), 0);
  std::vector<std::int64_t> dead_ids = dead.replay ? dead.replay->dead_letter_ids : std::vector<std::int64_t>{};
  for (const auto& r : outcome.rejected()) {
    if (r.index >= batch.records.size() || drop[r.index]) {
      log_.error("'{}' rejected record index {} which is not in the batch of {}; ignored", stage, r.index,
                 batch.records.size());
      continue;
    }
    drop[r.index] = 1;
    Record& rec = batch.records[r.index];
    rec.rejection = {static_cast<const Defect&>(r), stage};
    if (r.stored && lettered) {
      lettered->records.push_back(std::move(rec));  // a replay's letter too: the sink updated it
      continue;
    }
    dead.records.push_back(std::move(rec));
    if (batch.replay) dead_ids.push_back(dead_letter_id(batch, r.index));
  }
  if (batch.replay)
    dead.replay = std::make_shared<const ReplayBatch>(ReplayBatch{std::move(dead_ids), batch.replay->retire_in});
  keep_records(batch, drop);
}

void StagePipeline::take_behind(Batch& batch, const Outcome& outcome) {
  if (outcome.behind().empty()) return;
  // The stored next offset of the record's partition if the sink reported one, else -1.
  auto stored = [&](const std::string& stream, std::int32_t partition) -> std::int64_t {
    for (const Position& p : outcome.behind()) {
      if (p.partition == partition && p.stream == stream) return p.offset;
    }
    return -1;
  };
  std::size_t before = batch.records.size();
  std::vector<char> drop(batch.records.size(), 0);
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const Record& r = batch.records[i];
    drop[i] = r.offset < stored(r.stream, r.partition);
  }
  keep_records(batch, drop);
  // A position not past the stored one has nothing to commit.
  std::erase_if(batch.positions, [&](const Position& p) { return p.offset <= stored(p.stream, p.partition); });
  fenced_records_.inc(before - batch.records.size());
  note_fenced(outcome.behind());
}

void StagePipeline::note_dead_letters(const Batch& dead) {
  auto& metrics = hooks_.metrics;
  for (const auto& rec : dead.records) {
    metrics
        .counter("sluice_records_dead_lettered_total", "Records sent to the dead-letter route, by reason",
                 {{"reason", rec.rejection.reason}})
        .inc();
    // Reason, pointer and detail are the record's own words (a JSON key becomes the pointer).
    const std::string reason = printable(rec.rejection.reason, 64);
    log_event(log_, spdlog::level::warn,
              {{"stage", rec.rejection.stage},
               {"reason", reason},
               {"stream", rec.stream},
               {"partition", rec.partition},
               {"offset", rec.offset},
               {"key", rec.key}},
              "dead letter from '{}': {} at {} ({}) [{}:{}@{}]", rec.rejection.stage, reason,
              rec.rejection.pointer.empty() ? "/" : printable(rec.rejection.pointer, 256),
              printable(rec.rejection.detail, 512), rec.stream, rec.partition, rec.offset);
  }
  offer("dead_letter", dead);
}

bool StagePipeline::write_dead_letters(Batch& dead, std::uint64_t sequence, Result& result) {
  note_dead_letters(dead);
  Batch dl = std::move(dead);  // a replay's ids go along: the dead-letter sink updates those letters
  dead = Batch{};
  if (!dead_letter_) return true;  // logged above, one line each: not silent

  std::lock_guard lock(dead_letter_mutex_);
  auto* sink = dead_letter_->as<Sink>();
  Outcome outcome;
  bool ok = with_retry(
      dead_letter_->id(), sequence,
      [&] {
        outcome.clear();
        return sink->write(dl, outcome);
      },
      result);
  if (!ok) return false;
  for (const auto& r : outcome.rejected()) {
    if (r.index >= dl.records.size()) continue;
    const Record& rec = dl.records[r.index];
    const std::string reason = printable(rec.rejection.reason, 64);
    log_event(log_, spdlog::level::err,
              {{"stream", rec.stream},
               {"partition", rec.partition},
               {"offset", rec.offset},
               {"reason", reason},
               {"key", rec.key}},
              "dead-letter sink refused a record [{}:{}@{}]: {}; its original rejection: {}", rec.stream, rec.partition,
              rec.offset, printable(r.detail.empty() ? r.reason : r.detail, 1024), reason);
  }
  return true;
}

}  // namespace sluice

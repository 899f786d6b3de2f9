// Moving batches through the stage pipeline: lanes, stage threads, the acknowledgement point
// and abandonment. The rules are stated at the top of stage_pipeline.hpp.
#include "stage_pipeline.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "pipeline_builder.hpp"
#include "tap_hub.hpp"

namespace sluice {

namespace {
const std::vector<double> kBatchSecondsBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                 0.25,  0.5,    1,     2.5,  5,     10};
}  // namespace

Status guarded(spdlog::logger& log, const std::string& what, const std::function<Status()>& call) {
  std::string error;
  try {
    return call();
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  log.error("'{}' threw an exception (plugins must return errors as values): {}", what, error);
  return Status::fatal("threw an exception: " + error);
}

StagePipeline::StagePipeline(std::vector<PluginInstance*> transforms, std::vector<PluginInstance*> sinks,
                             PluginInstance* dead_letter, StageHooks hooks)
    : transforms_(std::move(transforms)),
      dead_letter_(dead_letter),
      hooks_(std::move(hooks)),
      log_(*hooks_.log),
      consumed_(hooks_.metrics.counter("sluice_records_consumed_total", "Records received from the source")),
      stored_(hooks_.metrics.counter("sluice_records_stored_total", "Records accepted by every sink")),
      fenced_records_(hooks_.metrics.counter(
          "sluice_records_fenced_total",
          "Records skipped because the position store already held their partition further (stored by another "
          "instance)")),
      batch_seconds_(hooks_.metrics.histogram("sluice_batch_duration_seconds",
                                              "Time from a batch leaving the source to its acknowledgement",
                                              kBatchSecondsBounds)) {
  if (!transforms_.empty()) stages_.push_back({"transforms", nullptr});
  for (auto* s : sinks) stages_.push_back({s->id(), s});
  lanes_.resize(stages_.size());
}

StagePipeline::~StagePipeline() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  for (auto& lane : lanes_) {
    for (auto& flight : lane) {
      if (flight.done) flight.done(flight.batch, false);
    }
  }
}

void StagePipeline::offer(std::string_view point, const Batch& batch) {
  if (hooks_.taps) hooks_.taps->offer(point, batch.records, batch.replay.get());
}

void StagePipeline::start() {
  for (std::size_t k = 0; k < stages_.size(); ++k) threads_.emplace_back([this, k] { stage_loop(k); });
}

void StagePipeline::dispatch(Batch&& batch, BatchDone done) {
  offer("source", batch);
  // Replayed records were counted when the source first handed them out.
  if (!done) consumed_.inc(batch.records.size());
  std::size_t bytes = 0;
  for (const Record& r : batch.records) bytes += r.key.size() + r.value.size();
  std::lock_guard lock(mutex_);
  batch.sequence = next_sequence_++;
  lanes_.front().push_back({std::move(batch), bytes, std::chrono::steady_clock::now(), std::move(done)});
  ++in_flight_;
  in_flight_bytes_ += bytes;
  changed_.notify_all();
}

bool StagePipeline::wait_for_room(std::size_t max_batches, std::size_t max_bytes, std::chrono::milliseconds d) {
  auto room = [&] { return in_flight_ < max_batches && (in_flight_ == 0 || in_flight_bytes_ < max_bytes); };
  std::unique_lock lock(mutex_);
  if (d.count() > 0) changed_.wait_for(lock, d, [&] { return room() || hooks_.stopping(); });
  return room();
}

std::size_t StagePipeline::in_flight() {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

void StagePipeline::wake() { changed_.notify_all(); }

void StagePipeline::stage_loop(std::size_t stage) {
  const bool last = stage + 1 == lanes_.size();
  // "s:" + the stage, as top -H and perf show it (Linux keeps 15 characters).
  pthread_setname_np(pthread_self(), ("s:" + stages_[stage].name).substr(0, 15).c_str());
  while (true) {
    Flight flight;
    bool skip;
    bool dropped;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !lanes_[stage].empty() || done_; });
      if (lanes_[stage].empty()) return;
      flight = std::move(lanes_[stage].front());
      lanes_[stage].pop_front();
      skip = abandoned_from_ != 0 && flight.batch.sequence >= abandoned_from_;
      dropped = flight.batch.sequence <= discard_through_;
    }
    auto result = skip || dropped ? Result::abandoned : run_stage(stage, flight.batch);
    bool done = result == Result::done;
    BatchDone tell;  // told after the lock is released: it may take its time
    {
      std::lock_guard lock(mutex_);
      // Discarded by a rebalance while this stage ran it: it goes no further, and unlike a
      // stop's abandonment it does not hold back the batches after it (rule 4).
      dropped = flight.batch.sequence <= discard_through_;
      if (dropped) done = false;
      if (done && last) {
        stored_.inc(flight.batch.records.size());
        batch_seconds_.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - flight.dispatched).count());
      }
      // Rule 1 and 4: every batch still before this stage is newer than this one and will be
      // skipped; the older ones ahead of it may still finish and be acknowledged.
      if (!done && !dropped && (abandoned_from_ == 0 || flight.batch.sequence < abandoned_from_)) {
        abandoned_from_ = flight.batch.sequence;
      }
      if (done && !last) {
        lanes_[stage + 1].push_back(std::move(flight));
      } else {
        if (done) {
          for (const auto& p : flight.batch.positions) {
            auto& offset = completed_[p.key()];
            offset = std::max(offset, p.offset);
          }
        }
        --in_flight_;
        in_flight_bytes_ -= flight.bytes;
        tell = std::move(flight.done);
      }
    }
    if (tell) tell(flight.batch, done);
    changed_.notify_all();
  }
}

void StagePipeline::note_fenced(const std::vector<Position>& stored) {
  std::lock_guard lock(mutex_);
  fenced_.insert(fenced_.end(), stored.begin(), stored.end());
}

void StagePipeline::take_completed(std::vector<Position>& positions, std::vector<Position>& fenced) {
  std::lock_guard lock(mutex_);
  fenced.swap(fenced_);
  for (const auto& [key, offset] : completed_) positions.push_back({key.stream, key.partition, offset});
  completed_.clear();
}

bool StagePipeline::drain(std::chrono::milliseconds limit) {
  bool drained;
  std::size_t left;
  {
    std::unique_lock lock(mutex_);
    drained = changed_.wait_for(lock, limit, [&] { return in_flight_ == 0; });
    left = in_flight_;
  }
  if (!drained) {
    log_.warn(
        "rebalance: {} batch(es) still in flight after {} ms; abandoning them (they are read again "
        "by the partitions' next owner)",
        left, limit.count());
    discard_in_flight();
  }
  return drained;
}

void StagePipeline::discard_in_flight() {
  {
    std::lock_guard lock(mutex_);
    discard_through_ = next_sequence_ - 1;
    changed_.notify_all();
  }
  // A stage waiting to retry a discarded batch gives up now, not when its pause ends: until
  // then the batch counts as in flight and holds back the partitions' new batches.
  hooks_.wake_pause();
}

bool StagePipeline::discarded(std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  return sequence <= discard_through_;
}

void StagePipeline::finish() {
  if (threads_.empty()) return;
  {
    std::unique_lock lock(mutex_);
    if (in_flight_ > 0) log_.info("draining {} batch(es) in flight", in_flight_);
    changed_.wait(lock, [&] { return in_flight_ == 0; });
    done_ = true;
    changed_.notify_all();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace sluice

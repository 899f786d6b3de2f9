#include "runtime.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "batch_processor.hpp"
#include "log_setup.hpp"

namespace sluice {

namespace {
// How long a stop waits for a failing sink before leaving its batches unacknowledged (they
// are delivered again after restart, so nothing is lost).
constexpr auto kStopGrace = std::chrono::seconds(5);
}  // namespace

Runtime::Runtime(const PipelinePlan& plan) : plan_(plan), log_(make_logger("runtime")) {
  // Sinks first: sources and APIs may look them up while being created or opened.
  for (const auto& s : plan.sinks) {
    sinks_.push_back(instantiate(s));
    shared_.sinks[s.spec.id] = sinks_.back()->as<Sink>();
    if (!shared_.positions) shared_.positions = sinks_.back()->as<Sink>()->position_store();
  }
  if (plan.dead_letter) dead_letter_ = instantiate(*plan.dead_letter);
  for (const auto& t : plan.transforms) transforms_.push_back(instantiate(t));
  source_ = instantiate(plan.source);
  for (const auto& a : plan.apis) apis_.push_back(instantiate(a));
  shared_.drain = [this](std::chrono::milliseconds limit) { return drain_in_flight(limit); };
  shared_.abandon_in_flight = [this] { abandon_in_flight(); };
  processor_ = std::make_unique<BatchProcessor>(*this);
}

// Plugin objects go in reverse order of creation; the registry (and so the libraries)
// outlives the Runtime.
Runtime::~Runtime() {
  for (auto& t : stage_threads_) {
    if (t.joinable()) t.join();
  }
  apis_.clear();
  source_.reset();
  transforms_.clear();
  dead_letter_.reset();
  sinks_.clear();
}

std::unique_ptr<PluginInstance> Runtime::instantiate(const PlannedStage& stage) {
  return std::make_unique<PluginInstance>(stage, std::make_unique<HostImpl>(stage.spec.id, shared_));
}

// Plugins must report errors as values; an exception that escapes anyway becomes a fatal
// error of that stage, logged with its name (close/stop calls ignore the returned status).
Status Runtime::guarded(const std::string& what, const std::function<Status()>& call) {
  std::string error;
  try {
    return call();
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  log_->error("'{}' threw an exception (plugins must return errors as values): {}", what, error);
  return Status::fatal("threw an exception: " + error);
}

void Runtime::request_stop(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (shared_.stopping.exchange(true)) return;
    stop_reason_ = reason;
    stop_time_ = std::chrono::steady_clock::now();
  }
  log_->info("stopping: {}", reason);
  changed_.notify_all();
}

void Runtime::fail(const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    failed_ = true;
  }
  log_->error("pipeline '{}' stops: {}", plan_.spec.name, message);
  request_stop("fatal error");
}

// Sleeps unless a stop has been pending longer than the grace period. False: give up.
bool Runtime::interruptible_sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + d;
  while (true) {
    if (failed_) return false;
    if (shared_.stopping && std::chrono::steady_clock::now() >= stop_time_ + kStopGrace) return false;
    if (std::chrono::steady_clock::now() >= deadline) return true;
    auto until = shared_.stopping ? std::min(deadline, stop_time_ + kStopGrace) : deadline;
    changed_.wait_until(lock, until);
  }
}

bool Runtime::open_with_retry(const std::string& what, const std::function<Status()>& open) {
  auto backoff = std::chrono::milliseconds(plan_.spec.runtime.retry_initial_ms);
  const auto cap = std::chrono::milliseconds(plan_.spec.runtime.retry_max_ms);
  while (true) {
    Status s = guarded(what, open);
    if (s.is_ok()) return true;
    if (s.code() != StatusCode::retry) {
      fail("'" + what + "' could not start: " + s.message());
      return false;
    }
    shared_.health.set(what, false, s.message());
    log_->warn("'{}' is not available yet: {}; retrying in {} ms", what, s.message(), backoff.count());
    if (shared_.stopping || !interruptible_sleep(backoff) || shared_.stopping) return false;
    backoff = std::min(backoff * 2, cap);
  }
}

bool Runtime::start_apis() {
  for (auto& a : apis_) {
    Status s = guarded(a->id(), [&] { return a->as<Api>()->start(); });
    if (!s.is_ok()) {
      fail("api '" + a->id() + "' could not start: " + s.message());
      return false;
    }
    started_apis_.push_back(a.get());
  }
  return true;
}

bool Runtime::open_sinks() {
  std::vector<PluginInstance*> order;
  for (auto& s : sinks_) order.push_back(s.get());
  if (dead_letter_) order.push_back(dead_letter_.get());
  for (auto* s : order) {
    log_->info("opening sink '{}' ({})", s->id(), s->plugin_name());
    if (!open_with_retry(s->id(), [s] { return s->as<Sink>()->open(); })) return false;
    shared_.health.set(s->id(), true);
    opened_sinks_.push_back(s);
  }
  return true;
}

int Runtime::run() {
  shared_.health.set("pipeline", false, "starting");
  log_->info("pipeline '{}' from {}: {} transform(s), {} sink(s){}", plan_.spec.name, plan_.spec.file,
             transforms_.size(), sinks_.size(), dead_letter_ ? ", dead letters to '" + dead_letter_->id() + "'" : "");
  bool opened = start_apis() && open_sinks() &&
                open_with_retry(source_->id(), [this] { return source_->as<Source>()->open(); });
  if (opened) {
    shared_.health.set(source_->id(), true);
    shared_.health.set("pipeline", true);
    log_->info("pipeline '{}' is running", plan_.spec.name);
    lanes_.resize(processor_->stage_count());
    for (std::size_t k = 0; k < processor_->stage_count(); ++k) {
      stage_threads_.emplace_back([this, k] { stage_loop(k); });
    }
    source_loop();
  }
  finish(opened);
  std::lock_guard lock(mutex_);
  return failed_ ? 1 : 0;
}

void Runtime::source_loop() {
  auto* source = source_->as<Source>();
  const auto& settings = plan_.spec.runtime;
  PollLimits limits{settings.batch_max, std::chrono::milliseconds(settings.batch_wait_ms),
                    std::max<std::size_t>(1, settings.max_in_flight_bytes / settings.max_in_flight)};
  // Full when either bound is reached; one batch is always let through, however large.
  auto full = [&] {
    return in_flight_ >= settings.max_in_flight || (in_flight_ > 0 && in_flight_bytes_ >= settings.max_in_flight_bytes);
  };
  auto backoff = std::chrono::milliseconds(plan_.spec.runtime.retry_initial_ms);
  while (!shared_.stopping) {
    commit_completed();
    report_progress();
    bool is_full;
    {
      std::lock_guard lock(mutex_);
      is_full = full();
    }
    if (is_full) {
      // Backpressure: the source keeps its session alive but hands out nothing.
      Status s = guarded(source_->id(), [&] { return source->idle(std::chrono::milliseconds(10)); });
      if (s.code() == StatusCode::fatal) return fail("source '" + source_->id() + "' failed: " + s.message());
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds(10),
                        [&] { return !full() || shared_.stopping; });
      continue;
    }
    Batch batch;
    Status s = guarded(source_->id(), [&] { return source->poll(batch, limits); });
    if (s.code() == StatusCode::fatal) return fail("source '" + source_->id() + "' failed: " + s.message());
    if (s.code() == StatusCode::retry) {
      shared_.health.set(source_->id(), false, s.message());
      log_->warn("source '{}' asked to retry: {}", source_->id(), s.message());
      if (!interruptible_sleep(backoff)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(plan_.spec.runtime.retry_max_ms));
      continue;
    }
    backoff = std::chrono::milliseconds(plan_.spec.runtime.retry_initial_ms);
    if (!batch.records.empty() || !batch.positions.empty()) dispatch(std::move(batch));
    if (s.code() == StatusCode::end_of_input) {
      log_->info("source '{}' reached the end of its input", source_->id());
      return;
    }
  }
}

void Runtime::report_progress() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_report_ < std::chrono::seconds(10)) return;
  auto& m = shared_.metrics;
  std::uint64_t consumed = m.counter("sluice_records_consumed_total", "").value();
  if (consumed != reported_consumed_) {
    std::size_t in_flight;
    {
      std::lock_guard lock(mutex_);
      in_flight = in_flight_;
    }
    double seconds = std::chrono::duration<double>(now - last_report_).count();
    log_->info("progress: {} consumed ({:.0f}/s), {} stored, {} batch(es) in flight", consumed,
               static_cast<double>(consumed - reported_consumed_) / seconds,
               m.counter("sluice_records_stored_total", "").value(), in_flight);
  }
  reported_consumed_ = consumed;
  last_report_ = now;
}

void Runtime::dispatch(Batch&& batch) {
  processor_->begin(batch);
  std::size_t bytes = 0;
  for (const Record& r : batch.records) bytes += r.key.size() + r.value.size();
  std::lock_guard lock(mutex_);
  batch.sequence = next_sequence_++;
  lanes_.front().push_back({std::move(batch), bytes, std::chrono::steady_clock::now()});
  ++in_flight_;
  in_flight_bytes_ += bytes;
  changed_.notify_all();
}

void Runtime::stage_loop(std::size_t stage) {
  const bool last = stage + 1 == lanes_.size();
  // "s:" + the stage, as top -H and perf show it (Linux keeps 15 characters).
  pthread_setname_np(pthread_self(), ("s:" + processor_->stage_name(stage)).substr(0, 15).c_str());
  while (true) {
    Flight flight;
    bool skip;
    bool dropped;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !lanes_[stage].empty() || stages_done_; });
      if (lanes_[stage].empty()) return;
      flight = std::move(lanes_[stage].front());
      lanes_[stage].pop_front();
      skip = abandoned_from_ != 0 && flight.batch.sequence >= abandoned_from_;
      dropped = flight.batch.sequence <= discard_through_;
    }
    auto result = skip || dropped ? BatchProcessor::Result::abandoned : processor_->run_stage(stage, flight.batch);
    bool done = result == BatchProcessor::Result::done;
    std::lock_guard lock(mutex_);
    // Abandoned by a rebalance while this stage ran it: it goes no further, and unlike a
    // stop's abandonment it does not hold back the batches after it.
    dropped = flight.batch.sequence <= discard_through_;
    if (dropped) done = false;
    if (done && last) processor_->end(flight.batch, flight.dispatched);
    // Lanes are FIFO, so a later stage only ever holds older batches than an earlier one: when
    // stage k gives up on batch n, every batch still before stage k is newer and will be
    // skipped, and the older ones ahead of it may still finish and be acknowledged.
    if (!done && !dropped && (abandoned_from_ == 0 || flight.batch.sequence < abandoned_from_)) {
      abandoned_from_ = flight.batch.sequence;
    }
    if (done && !last) {
      lanes_[stage + 1].push_back(std::move(flight));
    } else {
      if (done) {
        for (const auto& p : flight.batch.positions) {
          auto& offset = completed_[{p.stream, p.partition}];
          offset = std::max(offset, p.offset);
        }
      }
      --in_flight_;
      in_flight_bytes_ -= flight.bytes;
    }
    changed_.notify_all();
  }
}

void Runtime::note_fenced(const std::vector<Position>& stored) {
  std::lock_guard lock(mutex_);
  fenced_.insert(fenced_.end(), stored.begin(), stored.end());
}

void Runtime::commit_completed() {
  std::vector<Position> positions;
  std::vector<Position> fenced;
  {
    std::lock_guard lock(mutex_);
    fenced.swap(fenced_);
    for (const auto& [key, offset] : completed_) positions.push_back({key.first, key.second, offset});
    completed_.clear();
  }
  if (!fenced.empty()) {
    guarded(source_->id(), [&] {
      source_->as<Source>()->fenced(fenced);
      return Status::ok();
    });
  }
  if (positions.empty()) return;
  Status s = guarded(source_->id(), [&] { return source_->as<Source>()->commit(positions); });
  if (!s.is_ok()) {
    // A failed commit loses nothing: the records are delivered again and sinks upsert.
    log_->warn("source '{}' could not commit positions: {}", source_->id(), s.message());
    if (s.code() == StatusCode::fatal) fail("source '" + source_->id() + "' failed to commit: " + s.message());
  }
}

bool Runtime::drain_in_flight(std::chrono::milliseconds limit) {
  bool drained;
  std::size_t left;
  {
    std::unique_lock lock(mutex_);
    drained = changed_.wait_for(lock, limit, [&] { return in_flight_ == 0; });
    left = in_flight_;
  }
  if (!drained) {
    log_->warn("rebalance: {} batch(es) still in flight after {} ms; abandoning them (they are read again "
               "by the partitions' next owner)", left, limit.count());
    abandon_in_flight();
  }
  // What finished before the abandonment is durable in every sink: commit it.
  commit_completed();
  return drained;
}

void Runtime::abandon_in_flight() {
  std::lock_guard lock(mutex_);
  discard_through_ = next_sequence_ - 1;
  changed_.notify_all();
}

bool Runtime::discarded(std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  return sequence <= discard_through_;
}

void Runtime::finish(bool source_opened) {
  if (!stage_threads_.empty()) {
    {
      std::unique_lock lock(mutex_);
      if (in_flight_ > 0) log_->info("draining {} batch(es) in flight", in_flight_);
      changed_.wait(lock, [&] { return in_flight_ == 0; });
      stages_done_ = true;
      changed_.notify_all();
    }
    for (auto& t : stage_threads_) t.join();
    stage_threads_.clear();
    commit_completed();
  }
  if (source_opened) guarded(source_->id(), [&] { source_->as<Source>()->close(); return Status::ok(); });
  for (auto it = opened_sinks_.rbegin(); it != opened_sinks_.rend(); ++it) {
    guarded((*it)->id(), [&] { (*it)->as<Sink>()->close(); return Status::ok(); });
  }
  for (auto it = started_apis_.rbegin(); it != started_apis_.rend(); ++it) {
    guarded((*it)->id(), [&] { (*it)->as<Api>()->stop(); return Status::ok(); });
  }
  log_->info("pipeline '{}' stopped", plan_.spec.name);
}

int Runtime::migrate() {
  for (auto& s : sinks_) {
    Status st = guarded(s->id(), [&] { return s->as<Sink>()->migrate(); });
    if (!st.is_ok()) {
      log_->error("migrating '{}' failed: {}", s->id(), st.message());
      return 1;
    }
  }
  if (dead_letter_) {
    Status st = guarded(dead_letter_->id(), [&] { return dead_letter_->as<Sink>()->migrate(); });
    if (!st.is_ok()) {
      log_->error("migrating '{}' failed: {}", dead_letter_->id(), st.message());
      return 1;
    }
  }
  return 0;
}

}  // namespace sluice

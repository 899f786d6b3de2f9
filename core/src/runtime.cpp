#include "runtime.hpp"

#include <spdlog/spdlog.h>

#include "log_setup.hpp"

namespace sluice {

namespace {
// How long a stop waits for a failing sink before leaving its batches unacknowledged (they
// are delivered again after restart, so nothing is lost).
constexpr auto kStopGrace = std::chrono::seconds(5);
// What a replay hears once the pipeline stops (request_stop and finish may close in either order).
constexpr const char* kNotRunning = "the pipeline is not running (stopping, or its source ended)";
}  // namespace

Runtime::Runtime(const PipelinePlan& plan)
    : plan_(&plan),
      log_(make_logger("runtime")),
      commits_(shared_.metrics.counter("sluice_commits_total",
                                       "Position commits the source accepted, each after every sink had every "
                                       "record up to it (dead-lettered ones included)")),
      operator_side_({shared_.metrics, shared_.health, [this] { return shared_.stopping.load(); },
                      [this] {
                        std::lock_guard lock(mutex_);
                        return reloads_;
                      },
                      [this](const PartitionKey& key) { return source_lag(key); }}) {
  shared_.health.publish_to(shared_.metrics.gauge(
      "sluice_ready", "1 while every component is ready (what GET /readyz answers 200 for), else 0"));
  for (Role role : kCreationOrder) {
    for (const PlannedStage* s : plan.of(role)) {
      instances_.push_back(create(*s));
      if (role == Role::sink) shared_.sinks[s->spec.id] = instances_.back()->as<Sink>();
    }
  }
  set_position_store();
  shared_.drain = [this](std::chrono::milliseconds limit) { return drain_in_flight(limit); };
  shared_.abandon_in_flight = [this] { pipeline_->discard_in_flight(); };
  shared_.admin = &operator_side_.admin();
  pipeline_ = make_pipeline();
}

std::unique_ptr<PluginInstance> Runtime::create(const PlannedStage& stage) {
  return std::make_unique<PluginInstance>(stage, std::make_unique<HostImpl>(stage.spec.id, shared_));
}

void Runtime::set_position_store() {
  shared_.positions = nullptr;
  for (auto* s : of(Role::sink)) {
    if ((shared_.positions = s->as<Sink>()->position_store())) return;
  }
}

std::unique_ptr<StagePipeline> Runtime::make_pipeline() {
  auto dead_letter = of(Role::dead_letter);
  const auto& settings = plan_->spec.runtime;
  StageHooks hooks{std::chrono::milliseconds(settings.retry_initial_ms),
                   std::chrono::milliseconds(settings.retry_max_ms),
                   [this](std::chrono::milliseconds d, const std::function<bool()>& cancelled) {
                     return interruptible_sleep(d, cancelled);
                   },
                   [this] {
                     // Taking the lock orders this wake after a sleeper's check of `cancelled`.
                     { std::lock_guard lock(mutex_); }
                     changed_.notify_all();
                   },
                   [this] { return shared_.stopping.load(); },
                   [this](const std::string& message) { fail(message); },
                   shared_.metrics,
                   shared_.health,
                   log_,
                   &operator_side_.tap_hub()};
  return std::make_unique<StagePipeline>(of(Role::transform), of(Role::sink),
                                         dead_letter.empty() ? nullptr : dead_letter.front(), std::move(hooks));
}

// Under mutex_: request_stop() wakes the pipeline from another thread.
void Runtime::replace_pipeline(std::unique_ptr<StagePipeline> next) {
  std::unique_ptr<StagePipeline> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(pipeline_, std::move(next));
  }
}

// Plugin objects go in reverse order of creation, after the stage threads; the registry (and
// so the libraries) outlives the Runtime.
Runtime::~Runtime() {
  shared_.source_ends.retract();  // whatever ended run(), the source object goes below
  pipeline_.reset();
  while (!instances_.empty()) instances_.pop_back();
  shared_.admin = nullptr;
}

std::vector<PluginInstance*> Runtime::of(std::initializer_list<Role> roles) const {
  std::vector<PluginInstance*> out;
  for (Role role : roles) {
    for (const auto& i : instances_) {
      if (i->role() == role) out.push_back(i.get());
    }
  }
  return out;
}

void Runtime::request_stop(const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (shared_.stopping.exchange(true)) return;
    stop_reason_ = reason;
    stop_time_ = std::chrono::steady_clock::now();
  }
  log_->info("stopping: {}", reason);
  // An API streaming a tap or waiting for a replay batch must not hold up its own stop.
  operator_side_.end_taps();
  operator_side_.close_replays(kNotRunning);
  changed_.notify_all();
  std::lock_guard lock(mutex_);
  if (pipeline_) pipeline_->wake();
}

void Runtime::fail(const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    failed_ = true;
  }
  log_->error("pipeline '{}' stops: {}", plan_->spec.name, message);
  request_stop("fatal error");
}

bool Runtime::interruptible_sleep(std::chrono::milliseconds d, const std::function<bool()>& cancelled) {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + d;
  while (true) {
    if (failed_ || (cancelled && cancelled())) return false;
    if (shared_.stopping && std::chrono::steady_clock::now() >= stop_time_ + kStopGrace) return false;
    if (std::chrono::steady_clock::now() >= deadline) return true;
    auto until = shared_.stopping ? std::min(deadline, stop_time_ + kStopGrace) : deadline;
    changed_.wait_until(lock, until);
  }
}

bool Runtime::open_with_retry(const std::string& what, const std::function<Status()>& open) {
  Backoff backoff(std::chrono::milliseconds(plan_->spec.runtime.retry_initial_ms),
                  std::chrono::milliseconds(plan_->spec.runtime.retry_max_ms));
  while (true) {
    Status s = guarded(what, open);
    if (s.is_ok()) return true;
    if (s.code() != StatusCode::retry) {
      fail("'" + what + "' could not start: " + s.message());
      return false;
    }
    shared_.health.set(stage_health(what), false, s.message());
    log_->warn("'{}' is not available yet: {}; retrying in {} ms", what, s.message(), backoff.peek().count());
    if (shared_.stopping || !interruptible_sleep(backoff.next()) || shared_.stopping) return false;
  }
}

bool Runtime::start_apis() {
  for (auto* a : of(Role::api)) {
    Status s = guarded(a->id(), [&] { return a->as<Api>()->start(); });
    if (!s.is_ok()) {
      fail("api '" + a->id() + "' could not start: " + s.message());
      return false;
    }
    started_apis_.push_back(a);
  }
  return true;
}

bool Runtime::open_sinks() {
  for (auto* s : of({Role::sink, Role::dead_letter})) {
    log_->info("opening sink '{}' ({})", s->id(), s->origin());
    if (!open_with_retry(s->id(), [s] { return s->as<Sink>()->open(); })) return false;
    shared_.health.set(stage_health(s->id()), true);
    opened_sinks_.push_back(s);
  }
  return true;
}

int Runtime::run() {
  shared_.health.set("pipeline", false, "starting");
  auto dead_letter = of(Role::dead_letter);
  log_->info("pipeline '{}' from {}: {} transform(s), {} sink(s){}", plan_->spec.name, plan_->spec.file,
             of(Role::transform).size(), of(Role::sink).size(),
             dead_letter.empty() ? "" : ", dead letters to '" + dead_letter.front()->id() + "'");
  publish_config_info();
  PluginInstance& src = source();
  source_opened_ =
      start_apis() && open_sinks() && open_with_retry(src.id(), [&src] { return src.as<Source>()->open(); });
  if (source_opened_) {
    shared_.source_ends.publish(src.as<Source>());
    shared_.health.set(stage_health(src.id()), true);
    shared_.health.set("pipeline", true);
    log_->info("pipeline '{}' is running", plan_->spec.name);
    pipeline_->start();
    stages_started_ = true;
    source_loop();
  }
  finish();
  std::lock_guard lock(mutex_);
  return failed_ ? 1 : 0;
}

void Runtime::source_loop() {
  operator_side_.open_replays();
  Backoff backoff(std::chrono::milliseconds(plan_->spec.runtime.retry_initial_ms),
                  std::chrono::milliseconds(plan_->spec.runtime.retry_max_ms));
  bool source_degraded = false;
  while (!shared_.stopping) {
    commit_completed();
    report_progress();
    // A batch boundary: a reload may swap stages, the source and the settings read below.
    apply_pending_reload();
    if (shared_.stopping) break;
    dispatch_replays();
    PluginInstance& src = source();
    auto* source = src.as<Source>();
    const auto& settings = plan_->spec.runtime;
    PollLimits limits{settings.batch_max, std::chrono::milliseconds(settings.batch_wait_ms),
                      std::max<std::size_t>(1, settings.max_in_flight_bytes / settings.max_in_flight)};
    // Room when both bounds allow; one batch is always let through, however large.
    auto room = [&](std::chrono::milliseconds wait) {
      return pipeline_->wait_for_room(settings.max_in_flight, settings.max_in_flight_bytes, wait);
    };
    if (!room(std::chrono::milliseconds(0))) {
      // Backpressure: the source keeps its session alive but hands out nothing.
      Status s = guarded(src.id(), [&] { return source->idle(std::chrono::milliseconds(10)); });
      if (s.code() == StatusCode::fatal) return fail("source '" + src.id() + "' failed: " + s.message());
      room(std::chrono::milliseconds(10));
      continue;
    }
    Batch batch;
    Status s = guarded(src.id(), [&] { return source->poll(batch, limits); });
    if (s.code() == StatusCode::fatal) return fail("source '" + src.id() + "' failed: " + s.message());
    if (s.code() == StatusCode::retry) {
      shared_.health.set(stage_health(src.id()), false, s.message());
      source_degraded = true;
      log_->warn("source '{}' asked to retry: {}", src.id(), s.message());
      if (!interruptible_sleep(backoff.next())) return;
      continue;
    }
    backoff.reset();
    if (source_degraded) {
      shared_.health.set(stage_health(src.id()), true);
      source_degraded = false;
    }
    if (!batch.records.empty() || !batch.positions.empty()) pipeline_->dispatch(std::move(batch));
    if (s.code() == StatusCode::end_of_input) {
      log_->info("source '{}' reached the end of its input", src.id());
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
    double seconds = std::chrono::duration<double>(now - last_report_).count();
    log_->info("progress: {} consumed ({:.0f}/s), {} stored, {} batch(es) in flight", consumed,
               static_cast<double>(consumed - reported_consumed_) / seconds,
               m.counter("sluice_records_stored_total", "").value(), pipeline_->in_flight());
  }
  reported_consumed_ = consumed;
  last_report_ = now;
}

void Runtime::commit_completed() {
  std::vector<Position> positions;
  std::vector<Position> fenced;
  pipeline_->take_completed(positions, fenced);
  PluginInstance& src = source();
  if (!fenced.empty()) {
    guarded(src.id(), [&] {
      src.as<Source>()->fenced(fenced);
      return Status::ok();
    });
  }
  if (positions.empty()) return;
  Status s = guarded(src.id(), [&] { return src.as<Source>()->commit(positions); });
  if (s.is_ok()) {
    commits_.inc();
    operator_side_.record_commit(positions);
  }
  if (!s.is_ok()) {
    // A failed commit loses nothing: the records are delivered again and sinks upsert.
    log_->warn("source '{}' could not commit positions: {}", src.id(), s.message());
    if (s.code() == StatusCode::fatal) fail("source '" + src.id() + "' failed to commit: " + s.message());
  }
}

bool Runtime::drain_in_flight(std::chrono::milliseconds limit) {
  bool drained = pipeline_->drain(limit);
  // What finished before the abandonment is durable in every sink: commit it.
  commit_completed();
  return drained;
}

void Runtime::finish() {
  operator_side_.close_replays(kNotRunning);
  if (stages_started_) {
    pipeline_->finish();
    commit_completed();
  }
  shared_.source_ends.retract();  // before the source closes: APIs may be asking it
  if (source_opened_)
    guarded(source().id(), [&] {
      source().as<Source>()->close();
      return Status::ok();
    });
  for (auto it = opened_sinks_.rbegin(); it != opened_sinks_.rend(); ++it) {
    guarded((*it)->id(), [&] {
      (*it)->as<Sink>()->close();
      return Status::ok();
    });
  }
  operator_side_.last_reload().answer_waiters_now("not applied: the pipeline is stopping");
  for (auto it = started_apis_.rbegin(); it != started_apis_.rend(); ++it) {
    guarded((*it)->id(), [&] {
      (*it)->as<Api>()->stop();
      return Status::ok();
    });
  }
  log_->info("pipeline '{}' stopped", plan_->spec.name);
}

// Sinks and the dead-letter sink alike, in plan order.
int Runtime::migrate() {
  for (auto* s : of({Role::sink, Role::dead_letter})) {
    Status st = guarded(s->id(), [&] { return s->as<Sink>()->migrate(); });
    if (!st.is_ok()) {
      log_->error("migrating '{}' failed: {}", s->id(), st.message());
      return 1;
    }
  }
  return 0;
}

}  // namespace sluice

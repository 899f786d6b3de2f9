#include "reload_steps.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace sluice {

namespace {
// README.md, "Live reload", A batch boundary: a new sink that does not open within 10 s rolls
// the reload back.
constexpr auto kReloadOpenLimit = std::chrono::seconds(10);

// Step 6 (README.md, "Live reload", Secrets rotate too): APIs that keep running re-read what
// lives outside the pipeline file (tokens), so a reload of an unchanged file still rotates
// them. Failures are reported, never fatal: the API keeps what it had.
std::vector<std::string> refresh_apis(const std::vector<PluginInstance*>& apis, spdlog::logger& log, int n) {
  std::vector<std::string> failures;
  for (PluginInstance* api : apis) {
    const Status s = guarded(log, api->id(), [api] { return api->as<Api>()->refresh(); });
    if (s.is_ok()) continue;
    log.error("reload #{}: api '{}' kept its previous settings: {}", n, api->id(), s.message());
    failures.push_back("api '" + api->id() + "' kept its previous settings: " + s.message());
  }
  return failures;
}
}  // namespace

ReloadSteps::ReloadSteps(Runtime& runtime, std::shared_ptr<const PipelinePlan> next, int number)
    : runtime_(runtime),
      log_(*runtime.log_),
      next_(std::move(next)),
      n_(number),
      diff_(diff_plans(*runtime.plan_, *next_)),
      what_(join(diff_.changes, ", ")) {}

void ReloadSteps::run() {
  if (diff_.changes.empty()) return refresh_only();
  choose_kept_stages();
  if (!create_new_stages()) return;
  if (!drain_to_batch_boundary()) return;
  if (!open_new_sinks() || !switch_source() || !start_new_apis()) return roll_back();
  switch_to_new_plan();
}

void ReloadSteps::refresh_only() {
  std::vector<std::string> messages{"nothing changed"};
  for (auto& failure : refresh_apis(runtime_.started_apis_, log_, n_)) messages.push_back(std::move(failure));
  log_.info("reload #{}: nothing changed", n_);
  runtime_.count_reload("applied");
  runtime_.record_reload(n_, "applied", std::move(messages));
}

// README.md, "Live reload", What did not change stays: the kept instances, by their stage in
// the new plan, minus those that looked up a store that is not kept (they may hold a pointer
// to it). Dropping one may drop a store another looked up: repeat until nothing changes.
void ReloadSteps::choose_kept_stages() {
  for (const auto& [old, now] : diff_.kept) {
    for (const auto& i : runtime_.instances_) {
      if (&i->planned() == old) keep_[now] = i.get();
    }
  }
  for (bool again = true; again;) {
    again = false;
    std::set<std::string, std::less<>> kept_sinks;
    for (const auto& [stage, instance] : keep_) {
      if (stage->spec.role == Role::sink) kept_sinks.insert(stage->spec.id);
    }
    for (auto it = keep_.begin(); it != keep_.end(); ++it) {
      const auto& looked_up = static_cast<HostImpl&>(it->second->host()).looked_up();
      if (std::all_of(looked_up.begin(), looked_up.end(), [&](const auto& id) { return kept_sinks.count(id); })) {
        continue;
      }
      log_.info("reload #{}: '{}' restarts too: a store it uses is replaced", n_, it->second->id());
      keep_.erase(it);
      again = true;
      break;
    }
  }
  for (const auto& [stage, i] : keep_) kept_set_.insert(i);
  source_kept_ = kept(&runtime_.source());
}

// README.md, "Live reload", Checked before anything stops: every new object is created while
// the old pipeline still runs, so a plugin that refuses its config changes nothing.
bool ReloadSteps::create_new_stages() {
  try {
    for (Role role : Runtime::kCreationOrder) {
      for (const PlannedStage* s : next_->of(role)) {
        if (!keep_.count(s)) fresh_[s] = runtime_.create(*s);
      }
    }
    return true;
  } catch (const ValidationError& e) {
    log_.error("reload #{} ({}) rejected; the running pipeline is unchanged:", n_, what_);
    for (const auto& line : e.errors()) log_.error("  {}", line);
    runtime_.count_reload("rejected");
    runtime_.record_reload(n_, "rejected", e.errors());
    return false;
  }
}

// README.md, "Live reload", A batch boundary: every batch in flight is written and committed
// before a stage is swapped, so nothing is lost and nothing is written twice.
bool ReloadSteps::drain_to_batch_boundary() {
  log_.info("reload #{}: {}; draining {} batch(es) in flight", n_, what_, runtime_.pipeline_->in_flight());
  runtime_.pipeline_->finish();
  runtime_.commit_completed();
  if (!runtime_.shared_.stopping) return true;
  // The drain ended because of the stop (a stage kept failing past the grace period).
  log_.info("reload #{} abandoned: the pipeline is stopping", n_);
  runtime_.record_reload(n_, "abandoned", {"the pipeline is stopping"});
  return false;
}

// New objects look stores up in the new plan's sinks; the old sinks stay open until the switch,
// so a roll back finds them as they were.
bool ReloadSteps::open_new_sinks() {
  SharedState& shared = runtime_.shared_;
  previous_sinks_ = shared.sinks;
  // Plugins report readiness under names they share with their replacements ("kafka",
  // "postgres_dead_letter"); a new object that fails to open leaves its name not ready.
  health_before_ = shared.health.snapshot();
  shared.sinks.clear();
  for (const PlannedStage* s : next_->of(Role::sink)) shared.sinks[s->spec.id] = instance(s)->as<Sink>();
  for (Role role : {Role::sink, Role::dead_letter}) {
    for (const PlannedStage* s : next_->of(role)) {
      if (keep_.count(s)) continue;
      PluginInstance& sink = *fresh_[s];
      log_.info("reload #{}: opening sink '{}' ({})", n_, sink.id(), sink.origin());
      if (!open_within_limit(sink.id(), [&sink] { return sink.as<Sink>()->open(); })) {
        failure_ = "sink '" + sink.id() + "' could not open";  // `sink` goes with fresh_
        return false;
      }
      opened_.push_back(&sink);
    }
  }
  return true;
}

// Retries as the running plan says, but not past kReloadOpenLimit: meanwhile the source is not
// polled, so a sink or source that will not come up must not hold the pipeline for long.
bool ReloadSteps::open_within_limit(const std::string& id, const std::function<Status()>& open) {
  const auto& settings = runtime_.plan_->spec.runtime;
  Backoff backoff(std::chrono::milliseconds(settings.retry_initial_ms),
                  std::chrono::milliseconds(settings.retry_max_ms));
  auto deadline = std::chrono::steady_clock::now() + kReloadOpenLimit;
  while (true) {
    Status s = runtime_.guarded(id, open);
    if (s.is_ok()) return true;
    log_.error("reload: '{}' could not open: {}", id, s.message());
    if (s.code() != StatusCode::retry || std::chrono::steady_clock::now() + backoff.peek() > deadline) return false;
    if (!runtime_.interruptible_sleep(backoff.next()) || runtime_.shared_.stopping) return false;
  }
}

// Step 4: the new APIs that started, the new source, the new sinks go; the previous source
// runs on and the previous stage pipeline starts again.
void ReloadSteps::roll_back() {
  for (auto it = new_apis_.rbegin(); it != new_apis_.rend(); ++it) {
    runtime_.guarded((*it)->id(), [&] {
      (*it)->as<Api>()->stop();
      return Status::ok();
    });
  }
  restore_previous_source();
  for (auto it = opened_.rbegin(); it != opened_.rend(); ++it) {
    runtime_.guarded((*it)->id(), [&] {
      (*it)->as<Sink>()->close();
      return Status::ok();
    });
  }
  fresh_.clear();
  // What the failed objects reported goes with them. A running plugin that reported
  // meanwhile (a feed, the source) does so again at its next change.
  runtime_.shared_.health.restore(health_before_);
  runtime_.shared_.sinks = previous_sinks_;
  runtime_.replace_pipeline(runtime_.make_pipeline());
  runtime_.pipeline_->start();
  log_.error("reload #{} rolled back: {}; the previous pipeline runs on", n_, failure_);
  runtime_.count_reload("rolled_back");
  runtime_.record_reload(n_, "rolled_back", {failure_ + "; the previous pipeline runs on"});
}

// Past this point the reload is applied: every new object is open or serving, and nothing
// below can fail.
void ReloadSteps::switch_to_new_plan() {
  // Decided now; told before the APIs stop (one of them may be waiting for this answer).
  runtime_.record_reload(n_, "applied", {what_, std::to_string(kept_set_.size()) + " stage(s) kept"});
  runtime_.operator_side_.end_taps();  // an API about to stop may be streaming one
  stop_replaced_apis();
  refresh_apis(runtime_.started_apis_, log_, n_);  // the new ones read theirs when they started
  for (PluginInstance* api : new_apis_) runtime_.started_apis_.push_back(api);
  retire_previous_source();
  retire(adopt_new_instances());
  start_new_stage_pipeline();
  if (!source_kept_) {
    PluginInstance& src = runtime_.source();
    runtime_.shared_.source_ends.publish(src.as<Source>());
    runtime_.shared_.health.set(stage_health(src.id()), true);
  }
  runtime_.publish_config_info();
  runtime_.count_reload("applied");
  log_.info("reload #{} applied: {}; {} stage(s) kept", n_, what_, kept_set_.size());
}

void ReloadSteps::stop_replaced_apis() {
  auto& started = runtime_.started_apis_;
  // An API may be waiting for a replay batch that only this thread could dispatch: stopping
  // the API joins that thread, so its batch fails now (the replay answers, its letters stay).
  const bool apis_stop = std::any_of(started.begin(), started.end(), [&](PluginInstance* a) { return !kept(a); });
  if (apis_stop) {
    runtime_.operator_side_.close_replays("a reload restarted the API; run the replay again for the rest");
    runtime_.operator_side_.last_reload().answer_waiters_now(
        "not applied yet: the reload before it is replacing this admin API; it runs next (`sluice status` shows "
        "its outcome)");
  }
  for (auto it = started.rbegin(); it != started.rend(); ++it) {
    if (!kept(*it))
      runtime_.guarded((*it)->id(), [&] {
        (*it)->as<Api>()->stop();
        return Status::ok();
      });
  }
  if (apis_stop) runtime_.operator_side_.last_reload().let_waiters_wait();
  if (apis_stop && !runtime_.shared_.stopping) runtime_.operator_side_.open_replays();
  // Only kept APIs are still started (and alive after the swap): finish() stops these.
  std::erase_if(started, [&](PluginInstance* a) { return !kept(a); });
}

ReloadSteps::Instances ReloadSteps::adopt_new_instances() {
  Instances& current = runtime_.instances_;
  Instances next_instances;
  for (Role role : Runtime::kCreationOrder) {
    for (const PlannedStage* s : next_->of(role)) {
      if (!keep_.count(s)) {
        next_instances.push_back(std::move(fresh_[s]));
        continue;
      }
      auto it = std::find_if(current.begin(), current.end(), [&](const auto& i) { return i.get() == keep_[s]; });
      (*it)->rebind(*s);
      next_instances.push_back(std::move(*it));
      current.erase(it);
    }
  }
  return std::exchange(current, std::move(next_instances));
}

// The replaced objects: sinks closed, their readiness forgotten (unless a new object reports
// under the same id), then destroyed in reverse creation order.
void ReloadSteps::retire(Instances replaced) {
  auto& opened_sinks = runtime_.opened_sinks_;
  for (auto it = opened_sinks.rbegin(); it != opened_sinks.rend(); ++it) {
    if (kept(*it)) continue;
    runtime_.guarded((*it)->id(), [&] {
      (*it)->as<Sink>()->close();
      return Status::ok();
    });
  }
  opened_sinks = runtime_.of({Role::sink, Role::dead_letter});
  std::set<std::string> live_ids;
  for (const auto& i : runtime_.instances_) live_ids.insert(i->id());
  for (const auto& i : replaced) {
    if (!live_ids.count(i->id())) runtime_.shared_.health.clear(stage_health(i->id()));
  }
  // An admin call may be using the old dead-letter sink's store.
  auto withdrawn = runtime_.operator_side_.withdraw_dead_letter_store();
  while (!replaced.empty()) replaced.pop_back();  // reverse creation order
}

void ReloadSteps::start_new_stage_pipeline() {
  runtime_.plan_ = next_.get();
  runtime_.reloaded_plans_.push_back(next_);
  runtime_.set_position_store();
  runtime_.replace_pipeline(runtime_.make_pipeline());
  runtime_.pipeline_->start();
}

}  // namespace sluice

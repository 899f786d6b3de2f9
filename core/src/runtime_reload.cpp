// Live reload: the running pipeline switches to a new plan at a batch boundary, on the source
// thread, between two polls.
//
//  1. Nothing stops before the new plan is known to work as far as it can be checked: the
//     caller planned the file (every plugin loaded, every config checked), and here every new
//     plugin object is created. A failure is "rejected": the pipeline runs on untouched.
//  2. Stages whose plugin file and config are unchanged keep their live objects (sockets,
//     caches, connections, group membership), unless a store they looked up is replaced.
//  3. The stage pipeline drains: every batch in flight is written and committed, so a swap
//     neither loses nor repeats a record. The source is not polled meanwhile.
//  4. New sinks open. One that does not (fatal, or still retrying after kReloadOpenLimit) rolls
//     the reload back: the new objects go, the old pipeline starts again ("rolled_back").
//  5. Past that point the switch is made: APIs and a source that changed are stopped and
//     closed (the source after its last commit), replaced sinks closed, the new stage
//     pipeline started, then the new source opened (from the stored positions) and new APIs
//     started on their address. A source or API that cannot start then is a fatal error.
//     Replay batches queued for this thread fail before an API stops (replay_queue.hpp).
//  6. APIs kept running (all of them when nothing changed) are refreshed: they re-read what
//     lives outside the file, such as tokens (Api::refresh).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "plan_diff.hpp"
#include "runtime.hpp"

namespace sluice {

namespace {
constexpr auto kReloadOpenLimit = std::chrono::seconds(10);

// Rule 6: APIs that keep running re-read what lives outside the pipeline file (tokens), so a
// reload of an unchanged file still rotates them. Failures are reported, never fatal: the API
// keeps what it had.
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

void Runtime::request_reload(std::shared_ptr<const PipelinePlan> plan) {
  std::lock_guard lock(mutex_);
  pending_reload_ = std::move(plan);
}

void Runtime::reject_reload(const std::vector<std::string>& errors) {
  int n;
  {
    std::lock_guard lock(mutex_);
    n = ++reloads_;
  }
  log_->error("reload #{} rejected; the running pipeline is unchanged:", n);
  for (const auto& e : errors) log_->error("  {}", e);
  count_reload("rejected");
  record_reload(n, "rejected", errors);
}

void Runtime::count_reload(const char* result) {
  shared_.metrics.counter("sluice_reloads_total", "Pipeline reloads, by result", {{"result", result}}).inc();
}

void Runtime::record_reload(int n, const char* result, std::vector<std::string> messages) {
  {
    std::lock_guard lock(status_mutex_);
    last_reload_ = {result, n, std::move(messages)};
    last_reload_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  }
  reload_recorded_.notify_all();
}

void Runtime::publish_config_info() {
  auto& metrics = shared_.metrics;
  if (!config_hash_.empty()) metrics.remove("sluice_config_info", {{"hash", config_hash_}});
  config_hash_ = plan_hash(*plan_);
  metrics.gauge("sluice_config_info", "1, labelled with the hash of the pipeline config running now",
                {{"hash", config_hash_}})
      .set(1);
  for (const char* result : {"applied", "rejected", "rolled_back"}) {
    shared_.metrics.counter("sluice_reloads_total", "Pipeline reloads, by result", {{"result", result}});
  }
  publish_status();
}

bool Runtime::open_for_reload(PluginInstance& sink) {
  Backoff backoff(std::chrono::milliseconds(plan_->spec.runtime.retry_initial_ms),
                  std::chrono::milliseconds(plan_->spec.runtime.retry_max_ms));
  auto deadline = std::chrono::steady_clock::now() + kReloadOpenLimit;
  while (true) {
    Status s = guarded(sink.id(), [&] { return sink.as<Sink>()->open(); });
    if (s.is_ok()) return true;
    log_->error("reload: sink '{}' could not open: {}", sink.id(), s.message());
    if (s.code() != StatusCode::retry || std::chrono::steady_clock::now() + backoff.peek() > deadline) return false;
    if (!interruptible_sleep(backoff.next()) || shared_.stopping) return false;
  }
}

void Runtime::apply_pending_reload() {
  std::shared_ptr<const PipelinePlan> next;
  int n;
  {
    std::lock_guard lock(mutex_);
    if (!pending_reload_) return;
    next = std::move(pending_reload_);
    n = ++reloads_;
  }
  PlanDiff diff = diff_plans(*plan_, *next);
  if (diff.changes.empty()) {
    std::vector<std::string> messages{"nothing changed"};
    for (auto& failure : refresh_apis(started_apis_, *log_, n)) messages.push_back(std::move(failure));
    log_->info("reload #{}: nothing changed", n);
    count_reload("applied");
    record_reload(n, "applied", std::move(messages));
    return;
  }
  const std::string what = join(diff.changes, ", ");

  // Rule 2: the kept instances, by their stage in the new plan, minus those that looked up a
  // store that is not kept (they may hold a pointer to it).
  std::map<const PlannedStage*, PluginInstance*> keep;
  for (const auto& [old, now] : diff.kept) {
    for (const auto& i : instances_) {
      if (&i->planned() == old) keep[now] = i.get();
    }
  }
  for (bool again = true; again;) {
    again = false;
    std::set<std::string, std::less<>> kept_sinks;
    for (const auto& [stage, instance] : keep) {
      if (stage->spec.role == Role::sink) kept_sinks.insert(stage->spec.id);
    }
    for (auto it = keep.begin(); it != keep.end(); ++it) {
      const auto& looked_up = static_cast<HostImpl&>(it->second->host()).looked_up();
      if (std::all_of(looked_up.begin(), looked_up.end(), [&](const auto& id) { return kept_sinks.count(id); })) {
        continue;
      }
      log_->info("reload #{}: '{}' restarts too: a store it uses is replaced", n, it->second->id());
      keep.erase(it);
      again = true;
      break;
    }
  }

  // Rule 1: create every new object before anything stops.
  std::map<const PlannedStage*, std::unique_ptr<PluginInstance>> fresh;
  try {
    for (Role role : kCreationOrder) {
      for (const PlannedStage* s : next->of(role)) {
        if (!keep.count(s)) fresh[s] = create(*s);
      }
    }
  } catch (const ValidationError& e) {
    log_->error("reload #{} ({}) rejected; the running pipeline is unchanged:", n, what);
    for (const auto& line : e.errors()) log_->error("  {}", line);
    count_reload("rejected");
    record_reload(n, "rejected", e.errors());
    return;
  }
  auto instance = [&](const PlannedStage* s) { return keep.count(s) ? keep[s] : fresh[s].get(); };

  // Rule 3.
  log_->info("reload #{}: {}; draining {} batch(es) in flight", n, what, pipeline_->in_flight());
  pipeline_->finish();
  commit_completed();
  if (shared_.stopping) {
    // The drain ended because of the stop (a stage kept failing past the grace period).
    log_->info("reload #{} abandoned: the pipeline is stopping", n);
    record_reload(n, "abandoned", {"the pipeline is stopping"});
    return;
  }

  // Rule 4. New objects look stores up in the new plan's sinks.
  auto previous_sinks = shared_.sinks;
  // Plugins report readiness under names they share with their replacements ("kafka",
  // "postgres_dead_letter"); a new object that fails to open leaves its name not ready.
  Health::Snapshot health_before = shared_.health.snapshot();
  shared_.sinks.clear();
  for (const PlannedStage* s : next->of(Role::sink)) shared_.sinks[s->spec.id] = instance(s)->as<Sink>();
  std::vector<PluginInstance*> opened;
  for (Role role : {Role::sink, Role::dead_letter}) {
    for (const PlannedStage* s : next->of(role)) {
      if (keep.count(s)) continue;
      PluginInstance& sink = *fresh[s];
      log_->info("reload #{}: opening sink '{}' ({})", n, sink.id(), sink.origin());
      if (open_for_reload(sink)) {
        opened.push_back(&sink);
        continue;
      }
      const std::string failed_id = sink.id();  // `sink` goes with `fresh`
      for (auto it = opened.rbegin(); it != opened.rend(); ++it) {
        guarded((*it)->id(), [&] { (*it)->as<Sink>()->close(); return Status::ok(); });
      }
      fresh.clear();
      // What the failed objects reported goes with them. A running plugin that reported
      // meanwhile (a feed, the source) does so again at its next change.
      shared_.health.restore(health_before);
      shared_.sinks = previous_sinks;
      replace_pipeline(make_pipeline());
      pipeline_->start();
      log_->error("reload #{} rolled back: sink '{}' could not open; the previous pipeline runs on", n, failed_id);
      count_reload("rolled_back");
      record_reload(n, "rolled_back", {"sink '" + failed_id + "' could not open; the previous pipeline runs on"});
      return;
    }
  }

  // Rule 5: the switch.
  std::set<PluginInstance*> kept_set;
  for (const auto& [stage, i] : keep) kept_set.insert(i);
  // Decided now; told before the APIs stop (one of them may be waiting for this answer).
  record_reload(n, "applied", {what, std::to_string(kept_set.size()) + " stage(s) kept"});
  taps_.end_all();  // an API about to stop may be streaming one
  // Or waiting for a replay batch that only this thread could dispatch: stopping the API
  // joins that thread, so its batch fails now (the replay answers, its letters stay).
  const bool apis_stop = std::any_of(started_apis_.begin(), started_apis_.end(),
                                     [&](PluginInstance* a) { return !kept_set.count(a); });
  if (apis_stop) replays_.close("a reload restarted the API; run the replay again for the rest");
  for (auto it = started_apis_.rbegin(); it != started_apis_.rend(); ++it) {
    if (!kept_set.count(*it)) guarded((*it)->id(), [&] { (*it)->as<Api>()->stop(); return Status::ok(); });
  }
  if (apis_stop && !shared_.stopping) replays_.open();
  // Only kept APIs are still started (and alive after the swap): finish() stops these.
  std::erase_if(started_apis_, [&](PluginInstance* a) { return !kept_set.count(a); });
  refresh_apis(started_apis_, *log_, n);  // new ones read theirs when they start, below
  const bool source_kept = kept_set.count(&source()) > 0;
  if (!source_kept && source_opened_) {
    shared_.source_ends.retract();  // APIs keep running and may be asking it
    guarded(source().id(), [&] { source().as<Source>()->close(); return Status::ok(); });
    source_opened_ = false;
  }
  std::vector<std::unique_ptr<PluginInstance>> next_instances;
  for (Role role : kCreationOrder) {
    for (const PlannedStage* s : next->of(role)) {
      if (!keep.count(s)) {
        next_instances.push_back(std::move(fresh[s]));
        continue;
      }
      auto it = std::find_if(instances_.begin(), instances_.end(), [&](const auto& i) { return i.get() == keep[s]; });
      (*it)->rebind(*s);
      next_instances.push_back(std::move(*it));
      instances_.erase(it);
    }
  }
  std::vector<std::unique_ptr<PluginInstance>> retired = std::move(instances_);
  instances_ = std::move(next_instances);
  for (auto it = opened_sinks_.rbegin(); it != opened_sinks_.rend(); ++it) {
    if (kept_set.count(*it)) continue;
    guarded((*it)->id(), [&] { (*it)->as<Sink>()->close(); return Status::ok(); });
  }
  opened_sinks_ = of({Role::sink, Role::dead_letter});
  std::set<std::string> live_ids;
  for (const auto& i : instances_) live_ids.insert(i->id());
  for (const auto& i : retired) {
    if (!live_ids.count(i->id())) shared_.health.clear(stage_health(i->id()));
  }
  {
    // An admin call may be using the old dead-letter sink's store.
    std::unique_lock use(dead_letters_use_);
    {
      std::lock_guard lock(status_mutex_);
      dead_letters_ = nullptr;
    }
    while (!retired.empty()) retired.pop_back();  // reverse creation order
  }
  plan_ = next.get();
  reloaded_plans_.push_back(next);
  set_position_store();
  replace_pipeline(make_pipeline());
  pipeline_->start();

  if (!source_kept) {
    PluginInstance& src = source();
    log_->info("reload #{}: opening source '{}' ({})", n, src.id(), src.origin());
    source_opened_ = open_with_retry(src.id(), [&src] { return src.as<Source>()->open(); });
    if (!source_opened_) return;
    shared_.source_ends.publish(src.as<Source>());
    shared_.health.set(stage_health(src.id()), true);
  }
  for (auto* a : of(Role::api)) {
    if (kept_set.count(a)) continue;
    Status s = guarded(a->id(), [&] { return a->as<Api>()->start(); });
    if (!s.is_ok()) {
      return fail("reload #" + std::to_string(n) + ": api '" + a->id() + "' could not start: " + s.message());
    }
    started_apis_.push_back(a);
  }
  publish_config_info();
  count_reload("applied");
  log_->info("reload #{} applied: {}; {} stage(s) kept", n, what, kept_set.size());
}

}  // namespace sluice

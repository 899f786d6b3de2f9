// Runs a planned pipeline: creates its plugin instances, opens them (APIs, sinks, source)
// with retry, polls the source into the stage pipeline (stage_pipeline.hpp: transforms ->
// sinks in order -> dead letters, in-order acknowledgement), commits what it acknowledged to
// the source, switches to a new plan at a batch boundary when asked (reload_steps.hpp),
// and stops gracefully (core/README.md, Delivery).
#pragma once

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "host_impl.hpp"
#include "pipeline_builder.hpp"
#include "replay_queue.hpp"
#include "stage_pipeline.hpp"
#include "tap_hub.hpp"

namespace sluice {

class RuntimeAdmin;
class CurrentDeadLetters;

class Runtime {
 public:
  // Creates every plugin object (no I/O yet). Throws ValidationError if one refuses.
  explicit Runtime(const PipelinePlan& plan);
  ~Runtime();

  // Opens everything, moves records until the source ends or a stop is requested, then
  // drains, commits and closes. Returns 0 on a clean end, 1 after a fatal error.
  int run();
  // Thread-safe. The first reason given is logged.
  void request_stop(const std::string& reason);
  // Thread-safe: the source thread switches to `plan` (checked by plan_pipeline) at its next
  // batch boundary, keeping the stages that did not change. A later request replaces one
  // not yet taken.
  void request_reload(std::shared_ptr<const PipelinePlan> plan);
  // Thread-safe: a reload whose file did not plan; logged, counted, nothing changes.
  void reject_reload(const std::vector<std::string>& errors);
  // What a reload through the admin API (POST /admin/reload) runs: the CLI's re-read of the
  // file, ending in request_reload() or reject_reload(). Without one, that reload is refused.
  void set_reload_trigger(std::function<void()> trigger);
  // Only opens the sinks' schema step (`sluice migrate`). Returns 0 or 1.
  int migrate();
  SharedState& shared() { return shared_; }

 private:
  // Sinks first: sources and APIs may look them up while being created or opened.
  static constexpr Role kCreationOrder[] = {Role::sink, Role::dead_letter, Role::transform, Role::source, Role::api};
  // The instances with these roles, role by role, each in plan order.
  std::vector<PluginInstance*> of(std::initializer_list<Role> roles) const;
  std::vector<PluginInstance*> of(Role role) const { return of({role}); }
  PluginInstance& source() const { return *of(Role::source).front(); }
  std::unique_ptr<PluginInstance> create(const PlannedStage& stage);
  // A stage pipeline over the current transforms and sinks, with the current plan's settings.
  std::unique_ptr<StagePipeline> make_pipeline();
  void replace_pipeline(std::unique_ptr<StagePipeline> next);
  void set_position_store();
  // runtime_reload.cpp: on the source thread, between batches (the steps: reload_steps.hpp).
  void apply_pending_reload();
  void count_reload(const char* result);
  // The outcome of reload #n, for the admin API (status, POST /admin/reload); the result
  // "applied" is recorded once the switch is certain, before APIs stop.
  void record_reload(int n, const char* result, std::vector<std::string> messages);
  // Source thread: after start and every reload, the view of the running plan the admin
  // API reads (the plan and instances change only on that thread).
  void publish_status();
  void dispatch_replays();
  void publish_config_info();
  bool open_with_retry(const std::string& what, const std::function<Status()>& open);
  bool start_apis();
  bool open_sinks();
  void source_loop();
  // Hands positions of fully handled batches to the source (source thread only).
  void commit_completed();
  // Source thread, from inside poll()/idle(): waits for every dispatched batch, at most
  // `limit`; past it abandons the rest and returns false. Commits what finished.
  bool drain_in_flight(std::chrono::milliseconds limit);
  void finish();
  void fail(const std::string& message);
  // Sleeps unless a stop has been pending longer than the grace period, or `cancelled` (checked
  // under mutex_, so call wake_pause's notify after making it true). False: give up.
  bool interruptible_sleep(std::chrono::milliseconds d, const std::function<bool()>& cancelled = {});
  // Every 10 s with activity: one line with totals and rates, so a long run is visibly alive.
  void report_progress();
  Status guarded(const std::string& what, const std::function<Status()>& call) {
    return sluice::guarded(*log_, what, call);
  }

  const PipelinePlan* plan_;
  // Plans that reloads switched to (their stages outlive the instances made from them).
  std::vector<std::shared_ptr<const PipelinePlan>> reloaded_plans_;
  std::string config_hash_;
  SharedState shared_;
  std::shared_ptr<spdlog::logger> log_;
  Counter& commits_;  // sluice_commits_total: "no commits while lag grows" is an alert
  // Every plugin object, in creation order (sinks first: sources and APIs may look them up).
  std::vector<std::unique_ptr<PluginInstance>> instances_;
  std::vector<PluginInstance*> started_apis_;
  std::vector<PluginInstance*> opened_sinks_;
  std::unique_ptr<StagePipeline> pipeline_;

  std::mutex mutex_;  // guards the stop state below, the pending reload and swapping pipeline_
  std::condition_variable changed_;
  std::shared_ptr<const PipelinePlan> pending_reload_;
  int reloads_ = 0;
  bool source_opened_ = false;
  bool failed_ = false;
  std::string stop_reason_;
  std::chrono::steady_clock::time_point stop_time_;
  std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
  std::uint64_t reported_consumed_ = 0;
  bool stages_started_ = false;

  // A reload's steps (reload_steps.cpp) swap the instances, sinks and pipeline above.
  friend class ReloadSteps;
  // The operators' side (runtime_admin.cpp).
  friend class RuntimeAdmin;
  friend class CurrentDeadLetters;
  TapHub taps_;
  std::unique_ptr<RuntimeAdmin> admin_;
  std::function<void()> reload_trigger_;
  // Replay batches waiting for the source thread (a replay: Batch::replay set, no positions),
  // handed to the stage pipeline at a batch boundary.
  ReplayQueue replays_;
  // Under status_mutex_: what the admin API reports.
  std::mutex status_mutex_;
  nlohmann::json status_;  // pipeline, file, config hash, stages
  std::vector<std::string> tap_points_;
  DeadLetterStore* dead_letters_ = nullptr;
  // Held shared by an admin call using dead_letters_, and exclusively by a reload destroying
  // the sinks it replaced: the store never goes away under a call.
  std::shared_mutex dead_letters_use_;
  std::map<PartitionKey, std::int64_t> committed_;
  ReloadReport last_reload_;
  std::int64_t last_reload_ms_ = 0;
  std::condition_variable reload_recorded_;
};

}  // namespace sluice

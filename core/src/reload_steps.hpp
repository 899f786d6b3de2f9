// One live reload of the running pipeline (README.md, "Live reload"), as the steps the README
// walks through, run by Runtime::apply_pending_reload on the source thread between two polls.
// The caller (the CLI) has already read and planned the new file: every plugin loaded, every
// config checked; a file that does not plan never gets here (Runtime::reject_reload).
//
//  1. Plan the difference: stages whose plugin file and config are unchanged keep their live
//     objects (sockets, caches, connections, group membership), unless a store they looked up
//     is replaced. Nothing changed: only the APIs refresh.
//  2. Prepare: every new plugin object is created before anything stops. A failure is
//     "rejected": the pipeline runs on untouched.
//  3. Reach the batch boundary: the stage pipeline drains, every batch in flight is written and
//     committed, so a swap neither loses nor repeats a record. The source is not polled meanwhile.
//  4. Make, while the old objects still run, and roll back on any failure: the new sinks open
//     (one that does not, fatal or still retrying after kReloadOpenLimit, rolls back). A
//     changed source opens from the stored positions (the old one's last batch was committed
//     by step 3) within kReloadOpenLimit: beside the old one where both plugins allow it
//     (sluice_flag_opens_beside: a file), else after closing it (a Kafka consumer with a
//     static member id). Then the new APIs start: each binds its address before the API it
//     replaces stops, the same address too (the listeners share it with SO_REUSEPORT and new
//     connections go to the new one: plugins/common/http/listener_handover.hpp); one that
//     cannot (address held by another process or API, bad TLS files) rolls back. A roll back
//     stops the new APIs, closes the new source (the old one runs on, or its config opens
//     again from the same positions), closes the new sinks and starts the old stage pipeline
//     again ("rolled_back"); the old APIs never stopped.
//  5. Break (the reload is "applied"; nothing below fails): the replaced APIs stop, each
//     finishing the connections it had (the new listener took the new ones), an old source
//     still open closes, the new
//     instances take the old ones' place, replaced sinks are closed and destroyed, the new
//     stage pipeline starts. Replay batches queued for this thread fail before an API stops
//     (replay_queue.hpp).
//  6. APIs kept running (all of them when nothing changed) are refreshed: they re-read what
//     lives outside the file, such as tokens (Api::refresh).
//
// Each step that ends the reload records its outcome for status and metrics
// (Runtime::record_reload, Runtime::count_reload).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "plan_diff.hpp"
#include "runtime.hpp"

namespace sluice {

// One object per reload, alive while Runtime::apply_pending_reload runs it: what one step
// learns (the kept and the new objects, what a roll back restores) the next step reads here.
class ReloadSteps {
 public:
  // Plans the difference between the running plan and `next`; `number` is the reload's #n.
  ReloadSteps(Runtime& runtime, std::shared_ptr<const PipelinePlan> next, int number);
  // Every step in order, until one ends the reload (applied, rejected, abandoned, rolled back).
  void run();

 private:
  using Instances = std::vector<std::unique_ptr<PluginInstance>>;

  // Step 1 and 6, for a file that changed nothing.
  void refresh_only();
  // Step 1: fills keep_.
  void choose_kept_stages();
  // Step 2: fills fresh_; false when a plugin refused (recorded "rejected").
  bool create_new_stages();
  // Step 3: false when the pipeline is stopping instead (recorded "abandoned").
  bool drain_to_batch_boundary();
  // Step 4: false when one could not open (failure_ says which; the others opened stay open).
  bool open_new_sinks();
  bool open_within_limit(const std::string& id, const std::function<Status()>& open);
  // Step 4: a changed source opened (beside the old one, or after closing it); false when it
  // did not open (failure_).
  bool switch_source();
  // Step 4: false when one could not start (failure_; the others started are in new_apis_).
  bool start_new_apis();
  void close_running_source();
  void reopen_previous_source();
  // Step 4, rolling back: the new source closed, the previous one open.
  void restore_previous_source();
  // Step 5: the previous source closed if it still is open; the new one is the running one.
  void retire_previous_source();
  // Step 4, after a failure: the new objects go, the old pipeline starts again.
  void roll_back();
  // Step 5, then 6 for the kept APIs.
  void switch_to_new_plan();
  void stop_replaced_apis();
  // The new plan's instances, kept ones rebound, take instances_' place; returns the old ones.
  Instances adopt_new_instances();
  void retire(Instances replaced);
  void start_new_stage_pipeline();

  PluginInstance* instance(const PlannedStage* stage) {
    return keep_.count(stage) ? keep_[stage] : fresh_[stage].get();
  }
  bool kept(PluginInstance* instance) const { return kept_set_.count(instance) > 0; }

  Runtime& runtime_;
  spdlog::logger& log_;
  const std::shared_ptr<const PipelinePlan> next_;
  const int n_;
  const PlanDiff diff_;
  const std::string what_;  // the differences, for the log and the reload's answer
  // The running objects that go on, by their stage in the new plan; and the new objects.
  std::map<const PlannedStage*, PluginInstance*> keep_;
  std::map<const PlannedStage*, std::unique_ptr<PluginInstance>> fresh_;
  std::set<PluginInstance*> kept_set_;
  // What a roll back restores.
  std::map<std::string, Sink*, std::less<>> previous_sinks_;
  Health::Snapshot health_before_;
  std::vector<PluginInstance*> opened_;    // new sinks opened so far
  std::vector<PluginInstance*> new_apis_;  // new APIs started so far
  std::string failure_;                    // what rolled the reload back
  bool new_source_open_ = false;           // a changed source's new instance opened
  bool old_source_closed_ = false;         // ... and the running one closed before it did
  bool source_kept_ = false;
};

}  // namespace sluice

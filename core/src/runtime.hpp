// Runs a planned pipeline: creates its plugin instances, opens them (APIs, sinks, source)
// with retry, polls the source into the stage pipeline (stage_pipeline.hpp: transforms ->
// sinks in order -> dead letters, in-order acknowledgement), commits what it acknowledged to
// the source, and stops gracefully (core/README.md, Delivery).
#pragma once

#include <chrono>
#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host_impl.hpp"
#include "pipeline_builder.hpp"
#include "stage_pipeline.hpp"

namespace sluice {

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
  // Only opens the sinks' schema step (`sluice migrate`). Returns 0 or 1.
  int migrate();
  SharedState& shared() { return shared_; }

 private:
  // The instances with these roles, role by role, each in plan order.
  std::vector<PluginInstance*> of(std::initializer_list<Role> roles) const;
  std::vector<PluginInstance*> of(Role role) const { return of({role}); }
  PluginInstance& source() const { return *of(Role::source).front(); }
  bool open_with_retry(const std::string& what, const std::function<Status()>& open);
  bool start_apis();
  bool open_sinks();
  void source_loop();
  // Hands positions of fully handled batches to the source (source thread only).
  void commit_completed();
  // Source thread, from inside poll()/idle(): waits for every dispatched batch, at most
  // `limit`; past it abandons the rest and returns false. Commits what finished.
  bool drain_in_flight(std::chrono::milliseconds limit);
  void finish(bool source_opened);
  void fail(const std::string& message);
  // Sleeps unless a stop has been pending longer than the grace period, or `cancelled` (checked
  // under mutex_, so call wake_pause's notify after making it true). False: give up.
  bool interruptible_sleep(std::chrono::milliseconds d, const std::function<bool()>& cancelled = {});
  // Every 10 s with activity: one line with totals and rates, so a long run is visibly alive.
  void report_progress();
  Status guarded(const std::string& what, const std::function<Status()>& call) {
    return sluice::guarded(*log_, what, call);
  }

  const PipelinePlan& plan_;
  SharedState shared_;
  std::shared_ptr<spdlog::logger> log_;
  // Every plugin object, in creation order (sinks first: sources and APIs may look them up).
  std::vector<std::unique_ptr<PluginInstance>> instances_;
  std::vector<PluginInstance*> started_apis_;
  std::vector<PluginInstance*> opened_sinks_;
  std::unique_ptr<StagePipeline> pipeline_;

  std::mutex mutex_;  // guards the stop state below
  std::condition_variable changed_;
  bool failed_ = false;
  std::string stop_reason_;
  std::chrono::steady_clock::time_point stop_time_;
  std::chrono::steady_clock::time_point last_report_ = std::chrono::steady_clock::now();
  std::uint64_t reported_consumed_ = 0;
  bool stages_started_ = false;
};

}  // namespace sluice

// Live reload (README.md, "Live reload"): how a reload is asked for, refused and recorded for
// status and metrics. The reload itself runs on the source thread, between two polls, as the
// steps of reload_steps.hpp.
#include <spdlog/spdlog.h>

#include "plan_diff.hpp"
#include "reload_steps.hpp"
#include "runtime.hpp"

namespace sluice {

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

void Runtime::publish_config_info() {
  auto& metrics = shared_.metrics;
  if (!config_hash_.empty()) metrics.remove("sluice_config_info", {{"hash", config_hash_}});
  config_hash_ = plan_hash(*plan_);
  metrics
      .gauge("sluice_config_info", "1, labelled with the hash of the pipeline config running now",
             {{"hash", config_hash_}})
      .set(1);
  for (const char* result : {"applied", "rejected", "rolled_back"}) {
    shared_.metrics.counter("sluice_reloads_total", "Pipeline reloads, by result", {{"result", result}});
  }
  publish_status();
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
  ReloadSteps(*this, std::move(next), n).run();
}

}  // namespace sluice

// What a reload changes: the stages of a new plan matched against the running one by role
// and id. A stage is kept when its plugin file and its checked config are the same; the
// runtime then keeps its live object (and, with it, sockets, caches and connections).
#pragma once

#include <string>
#include <vector>

#include "pipeline_builder.hpp"

namespace sluice {

struct PlanDiff {
  // Pairs of (old, new) for stages whose plugin file and config are unchanged.
  std::vector<std::pair<const PlannedStage*, const PlannedStage*>> kept;
  // Pairs of (old, new) for stages with the same role and id but another plugin or config.
  std::vector<std::pair<const PlannedStage*, const PlannedStage*>> changed;
  std::vector<const PlannedStage*> added;    // in the new plan only
  std::vector<const PlannedStage*> removed;  // in the old plan only
  // One phrase per difference, for the reload's log line: "sinks +watch(stdout)",
  // "validate.max_bytes 1048576 -> 2097152", "runtime.batch_max 1000 -> 500"; a key the
  // plugin declares secret without its values: "db.dsn changed".
  std::vector<std::string> changes;

  bool same_stages() const { return changed.empty() && added.empty() && removed.empty(); }
};

PlanDiff diff_plans(const PipelinePlan& running, const PipelinePlan& next);

// A stable short hash of everything a plan runs with (stages, plugin files, configs and
// runtime settings): `sluice_config_info{hash=...}` tells which config a process runs.
// Secret values are left out (replaced by a marker), so the hash, served on /metrics, is no
// oracle for password guesses; a change of a secret alone leaves it as it was.
std::string plan_hash(const PipelinePlan& plan);

}  // namespace sluice

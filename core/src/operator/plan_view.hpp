// The running plan as operators see it (README.md, "Architecture", The operator side): plain
// data the source thread publishes after start and after every reload, so the operator side
// never touches a plugin instance and can be tested without one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline_file.hpp"

namespace sluice {

struct StageView {
  Role role = Role::source;
  std::string id;
  std::string plugin;
  std::string file;     // the plugin's library
  std::string version;  // what its descriptor says ("" when it says nothing)
  int generation = 1;   // > 1 once a reload picked up a replaced library
};

struct PlanView {
  std::string pipeline;  // the file's `name`
  std::string file;
  std::string config_hash;
  std::vector<StageView> stages;  // in kRoles order, each role in plan order
};

// The status's view of the plan: pipeline, file, config_hash, stages.
nlohmann::json to_json(const PlanView& view);
// What a tap may follow, in pipeline order: "source", each transform and sink by id, then
// "dead_letter" (tap_hub.hpp; the stage pipeline offers batches under these names).
std::vector<std::string> tap_points_of(const PlanView& view);

}  // namespace sluice

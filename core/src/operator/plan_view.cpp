#include "operator/plan_view.hpp"

namespace sluice {

namespace {

const char* role_label(Role role) {
  switch (role) {
    case Role::source:
      return "source";
    case Role::transform:
      return "transform";
    case Role::sink:
      return "sink";
    case Role::dead_letter:
      return "dead_letter";
    case Role::api:
      return "api";
  }
  return "?";
}

}  // namespace

nlohmann::json to_json(const PlanView& view) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageView& s : view.stages) {
    stages.push_back({{"role", role_label(s.role)},
                      {"id", s.id},
                      {"plugin", s.plugin},
                      {"file", s.file},
                      {"version", s.version},
                      {"generation", s.generation}});
  }
  return {{"pipeline", view.pipeline},
          {"file", view.file},
          {"config_hash", view.config_hash},
          {"stages", std::move(stages)}};
}

std::vector<std::string> tap_points_of(const PlanView& view) {
  std::vector<std::string> points{"source"};
  for (const StageView& s : view.stages) {
    if (s.role == Role::transform || s.role == Role::sink) points.push_back(s.id);
  }
  points.push_back("dead_letter");
  return points;
}

}  // namespace sluice

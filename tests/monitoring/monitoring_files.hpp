// What compose/monitoring ships, read the way Grafana and Prometheus read it: every panel
// query of the dashboard (with Grafana's variables substituted) and every alert rule.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sluice::test {

struct PanelQuery {
  std::string panel;   // the panel's title
  std::string ref_id;  // A, B, ...
  std::string expr;    // PromQL, variables substituted
};

// Every target of every panel of a Grafana dashboard JSON file, with `$name`, `${name}` and
// `[[name]]` replaced from `variables` (Grafana's $__rate_interval and $instance, ...).
// Throws std::runtime_error for a panel without targets or a variable left unreplaced, so a
// query the test cannot send is a failure, not a skipped query.
std::vector<PanelQuery> dashboard_queries(const std::filesystem::path& dashboard,
                                          const std::map<std::string, std::string>& variables);

struct AlertRule {
  std::string group;
  std::string name;  // alert: ...
  std::string expr;
};
std::vector<AlertRule> alert_rules(const std::filesystem::path& rules_file);

// The folder of the shipped files (compose/monitoring in the source tree).
std::filesystem::path monitoring_dir();

}  // namespace sluice::test

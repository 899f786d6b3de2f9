#include "monitoring_files.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>

#include "support/process.hpp"

namespace sluice::test {

namespace {

std::string substitute(std::string expr, const std::map<std::string, std::string>& variables) {
  // Longest names first: $__rate_interval before a hypothetical $__rate.
  std::vector<std::pair<std::string, std::string>> ordered(variables.begin(), variables.end());
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [name, value] : ordered) {
    for (const std::string& form : {"${" + name + "}", "[[" + name + "]]", "$" + name}) {
      for (auto at = expr.find(form); at != std::string::npos; at = expr.find(form, at + value.size())) {
        expr.replace(at, form.size(), value);
      }
    }
  }
  return expr;
}

void collect(const nlohmann::json& panels, const std::map<std::string, std::string>& variables,
             std::vector<PanelQuery>& out) {
  static const std::regex leftover(R"(\$\{?[A-Za-z_]|\[\[[A-Za-z_])");
  for (const auto& panel : panels) {
    const std::string type = panel.value("type", "");
    const std::string title = panel.value("title", "");
    if (type == "row") {
      if (panel.contains("panels")) collect(panel["panels"], variables, out);  // collapsed rows hold theirs
      continue;
    }
    if (!panel.contains("targets") || panel["targets"].empty()) {
      throw std::runtime_error("panel '" + title + "' has no query");
    }
    for (const auto& target : panel["targets"]) {
      const std::string expr = substitute(target.value("expr", ""), variables);
      if (expr.empty()) throw std::runtime_error("panel '" + title + "' has a target without expr");
      if (std::regex_search(expr, leftover)) {
        throw std::runtime_error("panel '" + title + "': a variable the test does not know is left in " + expr);
      }
      out.push_back({title, target.value("refId", ""), expr});
    }
  }
}

}  // namespace

std::vector<PanelQuery> dashboard_queries(const std::filesystem::path& dashboard,
                                          const std::map<std::string, std::string>& variables) {
  const auto json = nlohmann::json::parse(read_file(dashboard));
  std::vector<PanelQuery> out;
  collect(json.at("panels"), variables, out);
  return out;
}

std::vector<AlertRule> alert_rules(const std::filesystem::path& rules_file) {
  std::vector<AlertRule> out;
  const YAML::Node doc = YAML::LoadFile(rules_file.string());
  for (const auto& group : doc["groups"]) {
    for (const auto& rule : group["rules"]) {
      out.push_back({group["name"].as<std::string>(), rule["alert"].as<std::string>(rule["record"].as<std::string>("")),
                     rule["expr"].as<std::string>()});
    }
  }
  return out;
}

std::filesystem::path monitoring_dir() { return source_dir() / "compose" / "monitoring"; }

}  // namespace sluice::test

#include "pipeline_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "admin_section.hpp"
#include "plugin_registry.hpp"
#include "sluice/log_text.hpp"

namespace sluice {

const char* role_key(Role role) {
  switch (role) {
    case Role::source:
      return "source";
    case Role::transform:
      return "transforms";
    case Role::sink:
      return "sinks";
    case Role::dead_letter:
      return "dead_letter";
    case Role::api:
      return "api";
  }
  return "?";
}

bool role_has_id(Role role) { return role == Role::transform || role == Role::sink; }

bool role_is_single(Role role) { return role == Role::source || role == Role::dead_letter; }

std::string Mark::str() const { return file + ":" + std::to_string(line) + ":" + std::to_string(column); }

Mark SpecReader::mark(const YAML::Node& node) const {
  auto m = node.Mark();
  if (m.is_null()) return {file_, 1, 1};
  return {file_, m.line + 1, m.column + 1};
}

std::string SpecReader::scalar(const YAML::Node& node, const std::string& what) const {
  if (!node.IsScalar()) throw PipelineError(mark(node), what + " must be a single value");
  std::size_t offset = 0;
  try {
    return expand_variables(node.Scalar(), env_, offset);
  } catch (const std::invalid_argument& e) {
    Mark at = mark(node);
    at.column += static_cast<int>(offset);
    throw PipelineError(at, e.what());
  }
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Checks that `node` is a map with only `allowed` keys, no key twice; returns it.
void check_keys(const SpecReader& r, const YAML::Node& node, const std::string& what,
                const std::vector<std::string>& allowed) {
  if (!node.IsMap()) throw PipelineError(r.mark(node), what + " must be a mapping of keys (" + join(allowed) + ")");
  std::set<std::string> seen;
  for (const auto& kv : node) {
    // A key that is a mapping or a sequence ({a: 1}: x, [a]: x) has no string form: yaml-cpp
    // would throw its own exception past the loader's error reporting (found by fuzzing).
    if (!kv.first.IsScalar()) throw PipelineError(r.mark(kv.first), "a key in " + what + " must be a plain name");
    std::string key = kv.first.as<std::string>();
    if (!seen.insert(key).second) throw PipelineError(r.mark(kv.first), "duplicate key '" + key + "' in " + what);
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key '" + key + "' in " + what;
    if (auto near = nearest(key, allowed)) msg += " (did you mean '" + *near + "'?)";
    msg += "; expected one of: " + join(allowed);
    throw PipelineError(r.mark(kv.first), msg);
  }
}

StageSpec read_stage(const SpecReader& r, const YAML::Node& node, Role role) {
  const std::string slot = role_key(role);
  std::vector<std::string> allowed = {"plugin", "config"};
  if (role_has_id(role)) allowed.insert(allowed.begin(), "id");
  check_keys(r, node, slot + " entry", allowed);
  StageSpec stage;
  stage.role = role;
  stage.mark = r.mark(node);
  if (!node["plugin"])
    throw PipelineError(
        stage.mark, "missing required key 'plugin' in " + slot + " entry (the plugin's name, see `sluice plugins`)");
  stage.plugin = r.scalar(node["plugin"], "'plugin'");
  stage.plugin_mark = r.mark(node["plugin"]);
  // A name is looked up as NAME.so in the plugin folders: "../../tmp/x" would load /tmp/x.so.
  if (!valid_plugin_name(stage.plugin)) {
    throw PipelineError(stage.plugin_mark, "'" + printable(stage.plugin, 64) +
                                               "' is not a plugin name: lowercase letters, digits and '_' only "
                                               "(plugins are found by name in the plugin folders, never by path)");
  }
  stage.id = stage.plugin;
  stage.id_mark = stage.plugin_mark;
  if (role_has_id(role) && node["id"]) {
    stage.id = r.scalar(node["id"], "'id'");
    stage.id_mark = r.mark(node["id"]);
  }
  if (YAML::Node config = node["config"]; config && !config.IsNull()) {
    if (!config.IsMap())
      throw PipelineError(r.mark(config), "'config' of " + slot + " entry must be a mapping of keys");
    stage.config = config;
  }
  return stage;
}

// Appends the entries of `role` (a mapping for a single role, else a list) to `out`.
void read_role(const SpecReader& r, const YAML::Node& node, Role role, std::vector<StageSpec>& out) {
  // The source is required: an empty `source:` is an error of its entry, not a missing one.
  if (!node || (node.IsNull() && role != Role::source)) return;
  if (role_is_single(role)) {
    out.push_back(read_stage(r, node, role));
    return;
  }
  if (!node.IsSequence()) {
    throw PipelineError(r.mark(node),
                        "'" + std::string(role_key(role)) + "' must be a list of entries (- plugin: NAME)");
  }
  for (const auto& item : node) out.push_back(read_stage(r, item, role));
}

long long read_positive(const SpecReader& r, const YAML::Node& node, const std::string& key) {
  std::string text = r.scalar(node, "'" + key + "'");
  std::size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || used == 0 || v <= 0 || v > std::numeric_limits<int>::max()) {
    throw PipelineError(r.mark(node), "'" + key + "' must be a positive integer, got '" + text + "'");
  }
  return v;
}

RuntimeSettings read_runtime(const SpecReader& r, const YAML::Node& node) {
  RuntimeSettings s;
  if (!node || node.IsNull()) return s;
  check_keys(
      r, node, "runtime",
      {"batch_max", "batch_wait_ms", "max_in_flight", "max_in_flight_bytes", "retry_initial_ms", "retry_max_ms"});
  if (node["batch_max"]) s.batch_max = static_cast<std::size_t>(read_positive(r, node["batch_max"], "batch_max"));
  if (node["batch_wait_ms"])
    s.batch_wait_ms = static_cast<int>(read_positive(r, node["batch_wait_ms"], "batch_wait_ms"));
  if (node["max_in_flight"])
    s.max_in_flight = static_cast<std::size_t>(read_positive(r, node["max_in_flight"], "max_in_flight"));
  if (node["max_in_flight_bytes"]) {
    s.max_in_flight_bytes =
        static_cast<std::size_t>(read_positive(r, node["max_in_flight_bytes"], "max_in_flight_bytes"));
  }
  if (node["retry_initial_ms"])
    s.retry_initial_ms = static_cast<int>(read_positive(r, node["retry_initial_ms"], "retry_initial_ms"));
  if (node["retry_max_ms"]) s.retry_max_ms = static_cast<int>(read_positive(r, node["retry_max_ms"], "retry_max_ms"));
  return s;
}

}  // namespace

std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

PipelineSpec parse_pipeline(const std::string& text, const std::string& file_name, const Environment& env) {
  SpecReader r(file_name, env);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw PipelineError({file_name, e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
  }
  if (!root || root.IsNull())
    throw PipelineError({file_name, 1, 1}, "the pipeline file is empty (expected keys: source, sinks, ...)");
  check_keys(r, root, "the pipeline file",
             {"name", "source", "transforms", "sinks", "dead_letter", "api", "admin", "runtime"});

  PipelineSpec spec;
  spec.file = file_name;
  spec.name = root["name"] ? r.scalar(root["name"], "'name'") : "pipeline";
  if (!root["source"])
    throw PipelineError(r.mark(root), "missing required key 'source' (the plugin records come from)");
  for (Role role : kRoles) {
    if (role == Role::sink && !root["sinks"]) {
      throw PipelineError(r.mark(root), "missing required key 'sinks' (a list of at least one sink)");
    }
    read_role(r, root[role_key(role)], role, spec.stages);
    if (role == Role::sink && spec.of(Role::sink).empty()) {
      throw PipelineError(r.mark(root["sinks"]), "'sinks' must list at least one sink");
    }
  }
  read_admin_section(r, root, spec);
  spec.runtime = read_runtime(r, root["runtime"]);

  std::set<std::string> ids;
  for (const auto& stage : spec.stages) {
    if (role_has_id(stage.role) && !ids.insert(stage.id).second) {
      throw PipelineError(stage.id_mark,
                          "id '" + stage.id + "' is used twice; give each transform and sink its own `id:`");
    }
  }
  return spec;
}

PipelineSpec load_pipeline_file(const std::filesystem::path& path, const Environment& env) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read the pipeline file: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return parse_pipeline(text.str(), path.string(), env);
}

}  // namespace sluice

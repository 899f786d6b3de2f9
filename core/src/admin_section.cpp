#include "admin_section.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

namespace sluice {

namespace {

constexpr const char* admin_plugin = "admin";

// Old rest key -> the admin plugin's key; moved out of rest's config.
constexpr std::array<std::pair<const char*, const char*>, 3> moved_keys{{
    {"admin_listen", "listen"},
    {"admin_threads", "threads"},
    {"admin_max_connections", "max_connections"},
}};
// Keys both listeners used: copied (rest keeps them).
constexpr std::array<const char*, 10> shared_keys{"tokens_file",      "tokens_env",          "tls_cert",
                                                  "tls_key",          "trusted_proxies",     "allowed_hosts",
                                                  "static_dir",       "auth_failures_burst", "auth_failures_refill_ms",
                                                  "max_request_bytes"};
// The admin listener's header timeout was rest's, at most this.
constexpr long long admin_header_timeout_cap_ms = 5000;

StageSpec admin_stage(const Mark& at, YAML::Node config) {
  StageSpec stage;
  stage.role = Role::api;
  stage.id = admin_plugin;
  stage.plugin = admin_plugin;
  stage.mark = at;
  stage.plugin_mark = at;
  stage.id_mark = at;
  stage.config = std::move(config);
  return stage;
}

// Where `key` is written in the mapping `config` (its key, not its value).
Mark key_mark(const SpecReader& r, const YAML::Node& config, const char* key) {
  for (const auto& kv : config) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return r.mark(kv.first);
  }
  return r.mark(config);
}

// The expanded text of a scalar, or nullopt for anything else (left to the config check).
std::optional<std::string> text_of(const SpecReader& r, const YAML::Node& node) {
  if (!node || !node.IsScalar()) return std::nullopt;
  return r.scalar(node, "value");
}

// The admin stage a `rest` stage of an older pipeline file implies. Moves the old keys out of
// `rest` (its config node is edited in place) and returns the mark of the first one in the
// file, if any.
std::optional<Mark> imply_from_rest(const SpecReader& r, StageSpec& rest, std::vector<StageSpec>& out) {
  YAML::Node admin(YAML::NodeType::Map);
  std::optional<Mark> first_old;
  // The first old key as written in the file, whatever order they are handled in.
  auto note = [&](const char* key) {
    const Mark at = key_mark(r, rest.config, key);
    if (!first_old || std::pair(at.line, at.column) < std::pair(first_old->line, first_old->column)) first_old = at;
  };
  YAML::Node config = rest.config;
  if (config && config.IsMap()) {
    for (const auto& [old_key, new_key] : moved_keys) {
      if (YAML::Node value = config[old_key]) {
        note(old_key);
        admin[new_key] = value;
        config.remove(old_key);
      }
    }
    for (const char* key : shared_keys) {
      if (YAML::Node value = config[key]) admin[key] = value;
    }
    if (auto metrics_on = text_of(r, config["metrics_on"]); metrics_on && *metrics_on == "admin") {
      note("metrics_on");
      admin["metrics"] = true;
      config["metrics_on"] = "none";
    }
    if (auto read_auth = text_of(r, config["read_auth"]); read_auth && *read_auth == "open") {
      admin["metrics_auth"] = "open";
    }
    if (auto timeout = text_of(r, config["header_timeout_ms"])) {
      long long ms = 0;
      auto [end, ec] = std::from_chars(timeout->data(), timeout->data() + timeout->size(), ms);
      if (ec == std::errc() && end == timeout->data() + timeout->size()) {
        admin["header_timeout_ms"] = std::min(ms, admin_header_timeout_cap_ms);
      }
    }
  }
  out.push_back(admin_stage(rest.mark, admin));
  return first_old;
}

}  // namespace

void read_admin_section(const SpecReader& r, const YAML::Node& root, PipelineSpec& spec) {
  const auto given_as_api = std::find_if(spec.stages.begin(), spec.stages.end(), [](const StageSpec& s) {
    return s.role == Role::api && s.plugin == admin_plugin;
  });
  if (YAML::Node admin = root["admin"]) {
    if (given_as_api != spec.stages.end()) {
      throw PipelineError(given_as_api->plugin_mark,
                          "the admin API is given twice: by the top-level 'admin:' and by this 'api' entry; "
                          "keep the top-level 'admin:'");
    }
    if (!admin.IsNull() && !admin.IsMap()) {
      throw PipelineError(r.mark(admin),
                          "'admin' must be a mapping of the admin API's keys (listen, threads, ...; "
                          "see `sluice plugins`), or empty for the defaults");
    }
    spec.stages.push_back(admin_stage(r.mark(admin), admin.IsMap() ? admin : YAML::Node()));
    return;
  }
  if (given_as_api != spec.stages.end()) return;
  std::vector<StageSpec> implied;
  for (auto& stage : spec.stages) {
    if (stage.role != Role::api || stage.plugin != "rest") continue;
    if (auto old = imply_from_rest(r, stage, implied)) {
      spec.notices.push_back(old->str() +
                             ": deprecated: the admin API's keys in the rest API's config (admin_listen, "
                             "admin_threads, admin_max_connections, metrics_on: admin) are read as a top-level "
                             "'admin:' for now; write `admin: {listen: ..., threads: ..., max_connections: ..., "
                             "metrics: true}` instead (README, \"Operating Sluice\")");
    }
  }
  for (auto& stage : implied) spec.stages.push_back(std::move(stage));
}

}  // namespace sluice

#include "plan_diff.hpp"

#include <cstdint>
#include <cstdio>
#include <set>

namespace sluice {
namespace {

// How many stages before `stage` in its plan share its role and id. Transform and sink ids are
// unique, but APIs have no `id:` and are named after their plugin: two `rest` entries are told
// apart by their order, so the second is compared with the second, never with the first.
std::size_t occurrence(const PipelinePlan& plan, const PlannedStage& stage) {
  std::size_t n = 0;
  for (const auto& s : plan.stages) {
    if (&s == &stage) break;
    if (s.spec.role == stage.spec.role && s.spec.id == stage.spec.id) ++n;
  }
  return n;
}

// The stage of `plan` that corresponds to `stage` of another plan: same role, id and occurrence.
const PlannedStage* find_stage(const PipelinePlan& plan, const PipelinePlan& other, const PlannedStage& stage) {
  std::size_t skip = occurrence(other, stage);
  for (const auto& s : plan.stages) {
    if (s.spec.role == stage.spec.role && s.spec.id == stage.spec.id && skip-- == 0) return &s;
  }
  return nullptr;
}

// "sinks +watch(stdout)": the role's key, then the id, with the plugin when it is another name.
std::string stage_label(const PlannedStage& s) {
  std::string label = s.spec.id;
  if (s.spec.plugin != s.spec.id) label += "(" + s.spec.plugin + ")";
  return label;
}

// Whether `plugin` declares `key` secret (abi.h, sluice_config_key::secret).
bool is_secret(const LoadedPlugin* plugin, const std::string& key) {
  if (!plugin) return false;
  const auto& d = *plugin->descriptor;
  for (std::size_t i = 0; i < d.key_count; ++i) {
    if (key == d.keys[i].name) return d.keys[i].secret != 0;
  }
  return false;
}

// A stage's config with every secret value replaced by a marker: what the hash covers.
nlohmann::json redacted_config(const PlannedStage& s) {
  nlohmann::json out = s.config.values;
  if (!out.is_object()) return out;
  for (auto& [key, value] : out.items()) {
    if (is_secret(s.plugin, key)) value = "(secret)";
  }
  return out;
}

// Every config key whose value differs: "validate.max_bytes 1048576 -> 2097152", and for a
// key either plugin declares secret only "db.dsn changed": a rotated password appears in no
// log line, reload answer or status (README.md, "Secrets in the config").
void config_changes(const PlannedStage& old, const PlannedStage& next, std::vector<std::string>& out) {
  const auto& a = old.config.values;
  const auto& b = next.config.values;
  std::set<std::string> keys;
  if (a.is_object())
    for (const auto& [k, v] : a.items()) keys.insert(k);
  if (b.is_object())
    for (const auto& [k, v] : b.items()) keys.insert(k);
  for (const auto& key : keys) {
    std::string before = a.contains(key) ? a.at(key).dump() : "(unset)";
    std::string after = b.contains(key) ? b.at(key).dump() : "(unset)";
    if (before == after) continue;
    const std::string name = next.spec.id + "." + key;
    if (is_secret(old.plugin, key) || is_secret(next.plugin, key)) {
      out.push_back(name + (a.contains(key) ? (b.contains(key) ? " changed" : " unset") : " set"));
    } else {
      out.push_back(name + " " + before + " -> " + after);
    }
  }
}

std::string plugin_version(const PlannedStage& s) {
  return s.plugin && s.plugin->descriptor->version ? s.plugin->descriptor->version : "?";
}

// "file_sink.so -> stdout_sink.so", or for a library replaced on disk
// "versioned_sink.so rebuilt (version 1 -> 2)".
std::string plugin_change(const PlannedStage& old, const PlannedStage& next) {
  if (!old.plugin || !next.plugin) return old.spec.plugin + " -> " + next.spec.plugin;
  if (old.plugin->path == next.plugin->path) {
    return next.plugin->path.filename().string() + " rebuilt (version " + plugin_version(old) + " -> " +
           plugin_version(next) + ")";
  }
  return old.plugin->path.filename().string() + " -> " + next.plugin->path.filename().string();
}

// Every runtime setting by its key, once: the diff and the hash both walk this list.
std::vector<std::pair<const char*, std::int64_t>> runtime_fields(const RuntimeSettings& r) {
  return {{"batch_max", static_cast<std::int64_t>(r.batch_max)},
          {"batch_wait_ms", r.batch_wait_ms},
          {"max_in_flight", static_cast<std::int64_t>(r.max_in_flight)},
          {"max_in_flight_bytes", static_cast<std::int64_t>(r.max_in_flight_bytes)},
          {"retry_initial_ms", r.retry_initial_ms},
          {"retry_max_ms", r.retry_max_ms}};
}

void runtime_changes(const RuntimeSettings& a, const RuntimeSettings& b, std::vector<std::string>& out) {
  auto before = runtime_fields(a);
  auto after = runtime_fields(b);
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i].second == after[i].second) continue;
    out.push_back(std::string("runtime.") + before[i].first + " " + std::to_string(before[i].second) + " -> " +
                  std::to_string(after[i].second));
  }
}

}  // namespace

PlanDiff diff_plans(const PipelinePlan& running, const PipelinePlan& next) {
  PlanDiff diff;
  for (const auto& s : next.stages) {
    const PlannedStage* old = find_stage(running, next, s);
    if (!old) {
      diff.added.push_back(&s);
      diff.changes.push_back(std::string(role_key(s.spec.role)) + " +" + stage_label(s));
      continue;
    }
    // The same LoadedPlugin is the same file loaded once: a rebuilt library is a new one.
    bool same_plugin = old->plugin == s.plugin;
    if (same_plugin && old->config.values == s.config.values) {
      diff.kept.emplace_back(old, &s);
      continue;
    }
    diff.changed.emplace_back(old, &s);
    if (!same_plugin)
      diff.changes.push_back(std::string(role_key(s.spec.role)) + " " + s.spec.id + ": " + plugin_change(*old, s));
    config_changes(*old, s, diff.changes);
  }
  for (const auto& s : running.stages) {
    if (!find_stage(next, running, s)) {
      diff.removed.push_back(&s);
      diff.changes.push_back(std::string(role_key(s.spec.role)) + " -" + stage_label(s));
    }
  }
  runtime_changes(running.spec.runtime, next.spec.runtime, diff.changes);
  return diff;
}

std::string plan_hash(const PipelinePlan& plan) {
  std::string text;
  for (const auto& s : plan.stages) {
    text += std::string(role_key(s.spec.role)) + "\n" + s.spec.id + "\n" + s.spec.plugin + "\n" +
            (s.plugin ? s.plugin->path.string() : "") + "\n" + redacted_config(s).dump() + "\n";
  }
  for (const auto& [key, value] : runtime_fields(plan.spec.runtime)) {
    text += key;
    text += '=';
    text += std::to_string(value);
    text += '\n';
  }
  // FNV-1a, 64 bits: stable across runs and builds, unlike std::hash.
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace sluice

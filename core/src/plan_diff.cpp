#include "plan_diff.hpp"

#include <cstdint>
#include <cstdio>
#include <set>

namespace sluice {
namespace {

const PlannedStage* find_stage(const PipelinePlan& plan, Role role, const std::string& id) {
  for (const auto& s : plan.stages) {
    if (s.spec.role == role && s.spec.id == id) return &s;
  }
  return nullptr;
}

// "sinks +watch(stdout)": the role's key, then the id, with the plugin when it is another name.
std::string stage_label(const PlannedStage& s) {
  std::string label = s.spec.id;
  if (s.spec.plugin != s.spec.id) label += "(" + s.spec.plugin + ")";
  return label;
}

// Every config key whose value differs: "validate.max_bytes 1048576 -> 2097152".
void config_changes(const PlannedStage& old, const PlannedStage& next, std::vector<std::string>& out) {
  const auto& a = old.config.values;
  const auto& b = next.config.values;
  std::set<std::string> keys;
  if (a.is_object()) for (const auto& [k, v] : a.items()) keys.insert(k);
  if (b.is_object()) for (const auto& [k, v] : b.items()) keys.insert(k);
  for (const auto& key : keys) {
    std::string before = a.contains(key) ? a.at(key).dump() : "(unset)";
    std::string after = b.contains(key) ? b.at(key).dump() : "(unset)";
    if (before != after) out.push_back(next.spec.id + "." + key + " " + before + " -> " + after);
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

void runtime_changes(const RuntimeSettings& a, const RuntimeSettings& b, std::vector<std::string>& out) {
  auto note = [&](const char* key, auto before, auto after) {
    if (before != after) out.push_back(std::string("runtime.") + key + " " + std::to_string(before) + " -> " +
                                       std::to_string(after));
  };
  note("batch_max", a.batch_max, b.batch_max);
  note("batch_wait_ms", a.batch_wait_ms, b.batch_wait_ms);
  note("max_in_flight", a.max_in_flight, b.max_in_flight);
  note("max_in_flight_bytes", a.max_in_flight_bytes, b.max_in_flight_bytes);
  note("retry_initial_ms", a.retry_initial_ms, b.retry_initial_ms);
  note("retry_max_ms", a.retry_max_ms, b.retry_max_ms);
}

}  // namespace

PlanDiff diff_plans(const PipelinePlan& running, const PipelinePlan& next) {
  PlanDiff diff;
  for (const auto& s : next.stages) {
    const PlannedStage* old = find_stage(running, s.spec.role, s.spec.id);
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
    if (!same_plugin) diff.changes.push_back(std::string(role_key(s.spec.role)) + " " + s.spec.id + ": " +
                                             plugin_change(*old, s));
    config_changes(*old, s, diff.changes);
  }
  for (const auto& s : running.stages) {
    if (!find_stage(next, s.spec.role, s.spec.id)) {
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
            (s.plugin ? s.plugin->path.string() : "") + "\n" + s.config.values.dump() + "\n";
  }
  const auto& r = plan.spec.runtime;
  for (auto v : {r.batch_max, static_cast<std::size_t>(r.batch_wait_ms), r.max_in_flight, r.max_in_flight_bytes,
                 static_cast<std::size_t>(r.retry_initial_ms), static_cast<std::size_t>(r.retry_max_ms)}) {
    text += std::to_string(v) + "\n";
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

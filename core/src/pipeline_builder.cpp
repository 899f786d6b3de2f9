#include "pipeline_builder.hpp"

#include "host_impl.hpp"

namespace sluice {

namespace {

const LoadedPlugin* resolve(const PipelineSpec& spec, const StageSpec& stage, int kind, PluginRegistry& registry,
                            std::vector<std::string>& errors, std::vector<std::string>& notices) {
  const LoadedPlugin* plugin = nullptr;
  try {
    plugin = &registry.find(stage.plugin, kind);
  } catch (const std::out_of_range&) {
    std::vector<std::string> names = registry.available_names();
    std::string msg = "unknown plugin '" + stage.plugin + "'";
    std::vector<std::string> bare;
    for (const auto& n : names) bare.push_back(n.substr(0, n.find(' ')));
    if (auto near = nearest(stage.plugin, bare)) msg += " (did you mean '" + *near + "'?)";
    msg += names.empty() ? "; no plugins found in " + registry.search_path().front().string()
                         : "; available plugins: " + join(names);
    errors.push_back(PipelineError(stage.plugin_mark, msg).what());
    return nullptr;
  } catch (const PluginLoadError& e) {
    errors.push_back(
        PipelineError(stage.plugin_mark, "plugin '" + stage.plugin + "' cannot be used: " + e.what()).what());
    return nullptr;
  }
  if (plugin->descriptor->kind != kind) {
    errors.push_back(PipelineError(stage.plugin_mark, "plugin '" + stage.plugin + "' is a " +
                                                          kind_name(plugin->descriptor->kind) + ", but '" +
                                                          role_key(stage.role) + "' needs a " + kind_name(kind))
                         .what());
    return nullptr;
  }
  (void)spec;
  if (plugin->descriptor->name != stage.plugin) {
    notices.push_back(std::string(PipelineError(stage.plugin_mark, "plugin '" + stage.plugin + "' is now called '" +
                                                                       plugin->descriptor->name +
                                                                       "'; the old name still works but will go "
                                                                       "(README.md, \"Plugins\")")
                                      .what()));
  }
  return plugin;
}

// The source resumes from the positions the first positions-keeping sink stored with its data
// (Runtime takes the first). A durable sink after it is written later: a crash between the
// two writes restarts the source past records that sink never got. Volatile sinks (caches,
// taps) keep nothing across a restart, so they lose nothing there.
void check_sink_order(const std::vector<const PlannedStage*>& sinks, std::vector<std::string>& errors) {
  const PlannedStage* keeper = nullptr;
  for (const PlannedStage* stage : sinks) {
    const PlannedStage& s = *stage;
    if (!s.plugin) continue;
    const std::uint32_t flags = s.plugin->descriptor->flags;
    if (keeper && !(flags & sluice_flag_volatile)) {
      const std::string& id = s.spec.id;
      const std::string& db = keeper->spec.id;
      errors.push_back(
          PipelineError(s.spec.mark, "sink '" + id + "' (" + s.spec.plugin + ") is durable but comes after '" + db +
                                         "' (" + keeper->spec.plugin +
                                         "), which keeps the positions the source resumes from: a crash between "
                                         "the two writes would lose records from '" +
                                         id + "'. Put '" + id + "' before '" + db +
                                         "' (it then gets every record at least once) or give "
                                         "it a pipeline of its own; only volatile sinks (caches, taps) may follow '" +
                                         db + "'")
              .what());
    }
    if (!keeper && (flags & sluice_flag_positions)) keeper = &s;
  }
}

}  // namespace

int plugin_kind(Role role) {
  switch (role) {
    case Role::source:
      return sluice_kind_source;
    case Role::transform:
      return sluice_kind_transform;
    case Role::sink:
    case Role::dead_letter:
      return sluice_kind_sink;
    case Role::api:
      return sluice_kind_api;
  }
  return 0;
}

PipelinePlan plan_pipeline(const PipelineSpec& spec, const Environment& env, PluginRegistry& registry) {
  std::vector<std::string> errors;
  SpecReader reader(spec.file, env);
  PipelinePlan plan;
  plan.spec = spec;

  for (const auto& s : spec.stages) {
    plan.stages.push_back(PlannedStage{s, resolve(spec, s, plugin_kind(s.role), registry, errors, plan.notices), {}});
  }

  // Store references may only name sinks that declare themselves stores.
  std::vector<std::string> stores;
  for (const PlannedStage* s : plan.of(Role::sink)) {
    if (s->plugin && (s->plugin->descriptor->flags & sluice_flag_store)) stores.push_back(s->spec.id);
  }
  for (auto& s : plan.stages) {
    if (s.plugin) s.config = check_config(reader, s.spec, *s.plugin->descriptor, stores, errors);
  }
  check_sink_order(plan.of(Role::sink), errors);

  if (!errors.empty()) throw ValidationError(errors);
  return plan;
}

PluginInstance::PluginInstance(const PlannedStage& stage, std::unique_ptr<HostImpl> host)
    : id_(stage.spec.id), plugin_(stage.spec.plugin), role_(stage.spec.role), planned_(&stage), host_(std::move(host)) {
  const sluice_plugin_descriptor& d = *stage.plugin->descriptor;
  sluice_error err{};
  std::string config = stage.config.values.dump();
  object_ = d.create(config.c_str(), host_->for_kind(d.kind), &err);
  if (object_ == nullptr) {
    std::string key = err.key;
    auto it = stage.config.value_marks.find(key);
    Mark at = it != stage.config.value_marks.end() ? it->second : stage.spec.plugin_mark;
    std::string about = key.empty() ? "" : "key '" + key + "': ";
    throw ValidationError({PipelineError(at, "plugin '" + plugin_ + "' (" + stage.plugin->path.string() +
                                                 ") could not be created: " + about + err.message)
                               .what()});
  }
  destroy_ = d.destroy;
}

std::string PluginInstance::origin() const {
  const LoadedPlugin& p = *planned_->plugin;
  std::string out =
      plugin_ + " from " + p.path.string() + ", version " + (p.descriptor->version ? p.descriptor->version : "?");
  if (p.generation > 1) out += ", reloaded file #" + std::to_string(p.generation);
  return out;
}

PluginInstance::~PluginInstance() {
  if (object_) destroy_(object_);
}

}  // namespace sluice

// From a parsed pipeline file to a checked plan (every plugin found, of the right kind, its
// config valid), and from a plan to live plugin objects.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config_check.hpp"
#include "pipeline_file.hpp"
#include "plugin_registry.hpp"

namespace sluice {

// All problems found in a pipeline file, one "file:line:col: message" per line.
class ValidationError : public std::runtime_error {
 public:
  explicit ValidationError(const std::vector<std::string>& errors)
      : std::runtime_error(join(errors, "\n")), errors_(errors) {}
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

struct PlannedStage {
  StageSpec spec;
  const LoadedPlugin* plugin = nullptr;
  CheckedConfig config;
};

// The plugin kind (sluice_kind_*) a stage of `role` needs: the dead-letter route is a sink.
int plugin_kind(Role role);

inline Role role_of(const PlannedStage& stage) { return stage.spec.role; }

struct PipelinePlan {
  PipelineSpec spec;
  std::vector<PlannedStage> stages;  // one per spec.stages, in the same order
  // Warnings about the file that do not stop it (a plugin named by its former name).
  std::vector<std::string> notices;
  std::vector<const PlannedStage*> of(Role role) const { return stages_of(stages, role); }
  // The one source (a valid plan always has it).
  const PlannedStage& source() const { return *first_of(stages, Role::source); }
};

// Throws ValidationError listing every problem.
PipelinePlan plan_pipeline(const PipelineSpec& spec, const Environment& env, PluginRegistry& registry);

class HostImpl;
// One live plugin object; destroyed through its own library's destroy().
class PluginInstance {
 public:
  // Throws ValidationError (at the key's file:line:col when the plugin names one).
  PluginInstance(const PlannedStage& stage, std::unique_ptr<HostImpl> host);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  template <class Interface>
  Interface* as() const {
    return static_cast<Interface*>(object_);
  }
  const std::string& id() const { return id_; }
  const std::string& plugin_name() const { return plugin_; }
  // "postgres from /usr/lib/sluice/plugins/postgres_sink.so, version 0.1.0" (and the load's
  // generation when a reload picked up a replaced file): which build a stage runs.
  std::string origin() const;
  Role role() const { return role_; }
  HostImpl& host() const { return *host_; }
  // The stage it was made from (its plan outlives it).
  const PlannedStage& planned() const { return *planned_; }
  // Kept by a reload: from now on it stands for the same, unchanged stage of the new plan.
  void rebind(const PlannedStage& same) { planned_ = &same; }

 private:
  std::string id_;
  std::string plugin_;
  Role role_;
  const PlannedStage* planned_;
  std::unique_ptr<HostImpl> host_;
  void* object_ = nullptr;
  void (*destroy_)(void*) = nullptr;
};

}  // namespace sluice

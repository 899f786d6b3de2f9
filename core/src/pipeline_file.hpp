// The pipeline file: YAML read into a spec whose every part remembers where it came from,
// so each error can name file:line:col.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "env.hpp"

namespace sluice {

struct Mark {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string str() const;
};

class PipelineError : public std::runtime_error {
 public:
  PipelineError(const Mark& at, const std::string& what) : std::runtime_error(at.str() + ": " + what) {}
};

// Turns YAML nodes into marks and strings with ${VAR} expanded.
class SpecReader {
 public:
  SpecReader(std::string file, const Environment& env) : file_(std::move(file)), env_(env) {}
  Mark mark(const YAML::Node& node) const;
  // The expanded text of a scalar; throws PipelineError if `node` is not a scalar.
  std::string scalar(const YAML::Node& node, const std::string& what) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  const Environment& env_;
};

// What a stage is for. A pipeline is one list of stages, each tagged by its role.
enum class Role { source, transform, sink, dead_letter, api };
// The order stages are listed in (and the pipeline file's keys are read in).
inline constexpr std::array<Role, 5> kRoles = {Role::source, Role::transform, Role::sink, Role::dead_letter, Role::api};
// The pipeline file's key for the role: "source", "transforms", "sinks", "dead_letter", "api".
const char* role_key(Role role);
// Transforms and sinks have ids of their own; the source, the dead-letter sink and APIs are
// called after their plugin.
bool role_has_id(Role role);
// The source and the dead-letter sink are one entry (a mapping); the others a list of them.
bool role_is_single(Role role);

struct StageSpec {
  Role role = Role::source;
  std::string id;  // unique among sinks; defaults to the plugin name
  std::string plugin;
  Mark mark;
  Mark plugin_mark;
  Mark id_mark;
  YAML::Node config;  // a map, or undefined when the stage has no config
};

struct RuntimeSettings {
  std::size_t batch_max = 1000;   // records per batch from the source
  int batch_wait_ms = 20;         // how long a source may wait to fill a batch
  std::size_t max_in_flight = 4;  // batches between source and sinks (backpressure)
  // Bytes of records (keys and values) between source and sinks: bounds memory whatever the
  // message size. A batch holds at most max_in_flight_bytes / max_in_flight of them.
  std::size_t max_in_flight_bytes = std::size_t{128} << 20;
  int retry_initial_ms = 100;  // first backoff after a sink asks to retry
  int retry_max_ms = 10000;    // backoff cap
};

inline Role role_of(const StageSpec& stage) { return stage.role; }

// The stages of `list` with `role`, in list order. Works for every list of stages that has a
// role_of() (StageSpec here, PlannedStage in pipeline_builder.hpp).
template <class Stage>
std::vector<const Stage*> stages_of(const std::vector<Stage>& list, Role role) {
  std::vector<const Stage*> out;
  for (const auto& s : list) {
    if (role_of(s) == role) out.push_back(&s);
  }
  return out;
}
// The first stage with `role`, or null (the source, the dead-letter sink).
template <class Stage>
const Stage* first_of(const std::vector<Stage>& list, Role role) {
  for (const auto& s : list) {
    if (role_of(s) == role) return &s;
  }
  return nullptr;
}

struct PipelineSpec {
  std::string file;
  std::string name;
  // Every stage, in kRoles order: exactly one source, then transforms, at least one sink, at
  // most one dead_letter sink, then APIs, the admin API (top-level `admin:`) last.
  std::vector<StageSpec> stages;
  RuntimeSettings runtime;
  // "file:line:col: deprecated: ..." lines the loader logs as warnings (admin_section.hpp).
  std::vector<std::string> notices;
  std::vector<const StageSpec*> of(Role role) const { return stages_of(stages, role); }
};

// Throws PipelineError (syntax, structure, unknown keys, duplicate ids, bad variables).
PipelineSpec parse_pipeline(const std::string& text, const std::string& file_name, const Environment& env);
PipelineSpec load_pipeline_file(const std::filesystem::path& path, const Environment& env);

// The closest of `candidates` to `word` if it is close enough to be a likely typo.
std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace sluice

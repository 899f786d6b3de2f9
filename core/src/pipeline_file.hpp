// The pipeline file: YAML read into a spec whose every part remembers where it came from,
// so each error can name file:line:col.
#pragma once

#include <yaml-cpp/yaml.h>

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

struct StageSpec {
  std::string slot;    // source, transforms, sinks, dead_letter, api
  std::string id;      // unique among sinks; defaults to the plugin name
  std::string plugin;
  Mark mark;
  Mark plugin_mark;
  Mark id_mark;
  YAML::Node config;   // a map, or undefined when the stage has no config
};

struct RuntimeSettings {
  std::size_t batch_max = 1000;      // records per batch from the source
  int batch_wait_ms = 20;            // how long a source may wait to fill a batch
  std::size_t max_in_flight = 4;     // batches between source and sinks (backpressure)
  // Bytes of records (keys and values) between source and sinks: bounds memory whatever the
  // message size. A batch holds at most max_in_flight_bytes / max_in_flight of them.
  std::size_t max_in_flight_bytes = std::size_t{128} << 20;
  int retry_initial_ms = 100;        // first backoff after a sink asks to retry
  int retry_max_ms = 10000;          // backoff cap
};

struct PipelineSpec {
  std::string file;
  std::string name;
  StageSpec source;
  std::vector<StageSpec> transforms;
  std::vector<StageSpec> sinks;
  std::optional<StageSpec> dead_letter;
  std::vector<StageSpec> apis;
  RuntimeSettings runtime;
};

// Throws PipelineError (syntax, structure, unknown keys, duplicate ids, bad variables).
PipelineSpec parse_pipeline(const std::string& text, const std::string& file_name, const Environment& env);
PipelineSpec load_pipeline_file(const std::filesystem::path& path, const Environment& env);

// The closest of `candidates` to `word` if it is close enough to be a likely typo.
std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates);
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace sluice

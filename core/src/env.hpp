// Variables for `${VAR}` / `${VAR:-default}` in pipeline files: the process environment
// first, then a .env file (KEY=VALUE lines, as godotenv reads them).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

class Environment {
 public:
  // Reads a .env file. Throws std::runtime_error naming file:line for a malformed line.
  void load_file(const std::filesystem::path& path);
  // Environment first, then values from loaded files.
  std::optional<std::string> lookup(const std::string& name) const;
  // Used by tests and embedding code instead of the process environment.
  void set_override(const std::string& name, const std::string& value) { overrides_[name] = value; }

 private:
  std::map<std::string, std::string> overrides_;
  std::map<std::string, std::string> file_values_;
};

// Replaces ${VAR}, ${VAR:-default} (default used when VAR is unset or empty) and
// ${VAR:?message} (unset or empty is an error carrying the message); `$$`
// stands for a literal `$`. Throws std::invalid_argument with the column offset of the
// problem in `error_offset` for an unset variable without default or an unterminated `${`.
std::string expand_variables(std::string_view text, const Environment& env, std::size_t& error_offset);

}  // namespace sluice

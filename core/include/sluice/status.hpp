// Error values that cross the plugin boundary. Plugin interface methods never throw;
// they return a Status that tells the runtime what to do next.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace sluice {

enum class StatusCode {
  ok,
  retry,         // transient (database down, broker away): the runtime backs off and retries
  fatal,         // the pipeline cannot go on: stop, exit non-zero
  end_of_input,  // a finite source has nothing more to give
};

class Status {
 public:
  Status() = default;
  static Status ok() { return {}; }
  static Status retry(std::string message) { return {StatusCode::retry, std::move(message)}; }
  static Status fatal(std::string message) { return {StatusCode::fatal, std::move(message)}; }
  static Status end_of_input() { return {StatusCode::end_of_input, {}}; }

  bool is_ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

// Thrown by a plugin constructor for a config value that passed the schema but makes no
// sense (e.g. a malformed listen address). The plugin macro turns it into an error value,
// and the host reports it at the file:line:col of `key`.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, const std::string& message) : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace sluice

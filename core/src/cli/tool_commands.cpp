#include "tool_commands.hpp"

#include <stdexcept>
#include <string>

namespace sluice::cli {

const ToolCommand& tool_command(std::string_view name) {
  for (const auto& command : tool_commands) {
    if (command.name == name) return command;
  }
  throw std::logic_error("no tool command " + std::string(name));
}

}  // namespace sluice::cli

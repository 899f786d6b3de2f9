// `sluice broker`, `sluice publish`: declared here so `sluice --help` (and sluice(1)) lists
// them, run by the tool that implements them (tool_commands.hpp). The tool replaces this
// process (execv): same process id (tests signal `sluice broker` by it), same argv, stdin,
// stdout, stderr and exit code. Nothing of the command line is parsed here: the tool parses
// all of it, global options included, and answers --help itself.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "paths.hpp"
#include "tool_commands.hpp"

namespace sluice::cli {

namespace {

// Where the tools are: lib/sluice/libexec next to bin/ (the build tree and an installation
// share the layout, as they do for the plugins).
std::optional<std::filesystem::path> tool_path(const ToolCommand& command) {
  return installed_path(std::filesystem::path("lib/sluice/libexec") / command.tool);
}

// Returns only when the tool cannot be started (absent: one line saying what the build lacks;
// present but not runnable: the system's reason), with the exit code to use.
int run_tool(const ToolCommand& command, int argc, char** argv) {
  const auto found = tool_path(command);
  if (!found) {
    std::cerr << "sluice " << command.name
              << ": cannot tell where this sluice is installed (/proc/self/exe is unreadable)\n";
    return exit_failure;
  }
  const std::string path = found->string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::cerr << "sluice " << command.name << ": " << command.missing << "; " << path << " is missing\n";
    return exit_failure;
  }
  std::cout.flush();
  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  args[0] = const_cast<char*>(path.c_str());
  ::execv(path.c_str(), args.data());
  std::cerr << "sluice " << command.name << ": cannot run " << path << ": " << std::strerror(errno) << '\n';
  return exit_failure;
}

}  // namespace

Command add_tool_command(CLI::App& app, const ToolCommand& command, int argc, char** argv) {
  auto* cmd = app.add_subcommand(std::string(command.name), std::string(command.summary));
  // Every word after the name is the tool's, --help and the global options included: kept as
  // extras here (not handed up to `sluice`'s own options), and the tool gets argv unchanged.
  cmd->set_help_flag();
  cmd->allow_extras();
  cmd->prefix_command();
  cmd->fallthrough(false);
  return {cmd, [&command, argc, argv] { return run_tool(command, argc, argv); }};
}

}  // namespace sluice::cli

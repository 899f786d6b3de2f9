// Where the running binary finds its plugins and shipped data. The build tree and the
// installation share one layout (bin/, lib/sluice/plugins/, share/sluice/), so the same
// rule works for both without environment variables.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The folder of the running binary (read from `link`, /proc/self/exe); empty when it cannot
// be read. Nothing is then looked up beside the binary: the working directory is no stand-in,
// a plugin or tool planted there would be loaded or run.
std::filesystem::path executable_dir(const std::filesystem::path& link = "/proc/self/exe");
// <the binary's folder>/../<relative>, normalised; nullopt when the binary's folder is unknown.
std::optional<std::filesystem::path> installed_path(const std::filesystem::path& relative,
                                                    const std::filesystem::path& link = "/proc/self/exe");
// --plugin-dir entries, then SLUICE_PLUGIN_PATH (colon-separated), then ../lib/sluice/plugins.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& explicit_dirs);
// As given if absolute or present relative to the working directory, else ../share/sluice/<rel>.
std::filesystem::path data_path(std::string_view relative);

}  // namespace sluice

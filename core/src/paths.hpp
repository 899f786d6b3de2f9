// Where the running binary finds its plugins and shipped data. The build tree and the
// installation share one layout (bin/, lib/sluice/plugins/, share/sluice/), so the same
// rule works for both without environment variables.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

std::filesystem::path executable_dir();
// --plugin-dir entries, then SLUICE_PLUGIN_PATH (colon-separated), then ../lib/sluice/plugins.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& explicit_dirs);
// As given if absolute or present relative to the working directory, else ../share/sluice/<rel>.
std::filesystem::path data_path(std::string_view relative);

}  // namespace sluice

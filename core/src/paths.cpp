#include "paths.hpp"

#include <cstdlib>
#include <sstream>

namespace sluice {

namespace fs = std::filesystem;

fs::path executable_dir(const fs::path& link) {
  std::error_code ec;
  fs::path self = fs::read_symlink(link, ec);
  return ec ? fs::path() : self.parent_path();
}

std::optional<fs::path> installed_path(const fs::path& relative, const fs::path& link) {
  fs::path dir = executable_dir(link);
  if (dir.empty()) return std::nullopt;
  return (dir / ".." / relative).lexically_normal();
}

std::vector<fs::path> plugin_search_path(const std::vector<std::string>& explicit_dirs) {
  std::vector<fs::path> dirs(explicit_dirs.begin(), explicit_dirs.end());
  if (const char* env = std::getenv("SLUICE_PLUGIN_PATH")) {
    std::stringstream in(env);
    std::string dir;
    while (std::getline(in, dir, ':')) {
      if (!dir.empty()) dirs.emplace_back(dir);
    }
  }
  if (auto shipped = installed_path("lib/sluice/plugins")) dirs.push_back(*shipped);
  return dirs;
}

fs::path data_path(std::string_view relative) {
  fs::path given(relative);
  std::error_code ec;
  if (given.is_absolute() || fs::exists(given, ec)) return given;
  auto shipped = installed_path(fs::path("share/sluice") / given);
  return shipped && fs::exists(*shipped, ec) ? *shipped : given;
}

}  // namespace sluice

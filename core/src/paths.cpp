#include "paths.hpp"

#include <cstdlib>
#include <sstream>

namespace sluice {

namespace fs = std::filesystem;

fs::path executable_dir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
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
  dirs.push_back((executable_dir() / ".." / "lib" / "sluice" / "plugins").lexically_normal());
  return dirs;
}

fs::path data_path(std::string_view relative) {
  fs::path given(relative);
  std::error_code ec;
  if (given.is_absolute() || fs::exists(given, ec)) return given;
  fs::path shipped = (executable_dir() / ".." / "share" / "sluice" / given).lexically_normal();
  return fs::exists(shipped, ec) ? shipped : given;
}

}  // namespace sluice

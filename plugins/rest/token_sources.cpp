#include "token_sources.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sluice/status.hpp"

namespace sluice::rest {

bool load_tokens(const RestSettings& settings, spdlog::logger& log, TokenSet& tokens, std::string& error) {
  try {
    if (!settings.tokens_file.empty()) {
      const std::string& path = settings.tokens_file;
      struct stat info {};
      if (::stat(path.c_str(), &info) != 0) {
        error = "rest: cannot read tokens_file " + path + ": " + std::strerror(errno);
        return false;
      }
      if (info.st_mode & (S_IRWXG | S_IRWXO)) {
        log.warn("tokens_file {} is accessible by group or others (mode {:o}); chmod 600 it", path,
                 info.st_mode & 0777);
      }
      std::ifstream in(path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in) {
        error = "rest: cannot read tokens_file " + path;
        return false;
      }
      tokens.add_file_text(text.str(), path);
    }
    if (!settings.tokens_env.empty()) {
      if (const char* value = std::getenv(settings.tokens_env.c_str())) {
        tokens.add_list(value, "environment variable " + settings.tokens_env);
      }
    }
  } catch (const ConfigError& e) {
    error = std::string("rest: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace sluice::rest

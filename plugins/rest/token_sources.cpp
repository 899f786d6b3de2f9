#include "token_sources.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "private_file.hpp"
#include "sluice/status.hpp"

namespace sluice::rest {

bool load_tokens(const RestSettings& settings, [[maybe_unused]] spdlog::logger& log, TokenSet& tokens,
                 std::string& error) {
  try {
    if (!settings.tokens_file.empty()) {
      const std::string& path = settings.tokens_file;
      if (!check_private_file(path, "tokens_file", error)) return false;
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

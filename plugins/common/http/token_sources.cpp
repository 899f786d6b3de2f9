#include "token_sources.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "private_file.hpp"
#include "sluice/status.hpp"

namespace sluice::http {

bool load_tokens(const TokenSources& sources, [[maybe_unused]] spdlog::logger& log, TokenSet& tokens,
                 std::string& error) {
  const std::string prefix = sources.who + ": ";
  try {
    if (!sources.tokens_file.empty()) {
      const std::string& path = sources.tokens_file;
      if (!check_private_file(path, "tokens_file", error)) {
        error = prefix + error;
        return false;
      }
      std::ifstream in(path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in) {
        error = prefix + "cannot read tokens_file " + path;
        return false;
      }
      tokens.add_file_text(text.str(), path);
    }
    if (!sources.tokens_env.empty()) {
      if (const char* value = std::getenv(sources.tokens_env.c_str())) {
        tokens.add_list(value, "environment variable " + sources.tokens_env);
      }
    }
  } catch (const ConfigError& e) {
    error = prefix + e.what();
    return false;
  }
  return true;
}

}  // namespace sluice::http

// Where the tokens come from at start(): the tokens file and the tokens environment variable
// (the tokens_file and tokens_env keys of the rest and admin plugins). Kept apart from
// TokenSet so parsing is tested on text, and the file system and environment are touched
// only here.
#pragma once

#include <string>

#include "auth_tokens.hpp"

namespace spdlog {
class logger;
}

namespace sluice::http {

struct TokenSources {
  std::string tokens_file;  // "" : none
  std::string tokens_env;   // "" : none
  std::string who;          // the plugin, first word of every error ("rest", "admin")
};

// Fills `tokens`; false with `error` set (naming the file and line, never a token) when the
// file cannot be read, a line is malformed, or the file is open to group or others (tokens
// are passwords: private_file.hpp).
bool load_tokens(const TokenSources& sources, spdlog::logger& log, TokenSet& tokens, std::string& error);

}  // namespace sluice::http

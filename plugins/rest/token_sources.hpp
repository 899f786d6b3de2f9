// Where the tokens come from at start(): the tokens file and the tokens environment variable
// (rest_settings: tokens_file, tokens_env). Kept apart from TokenSet so parsing is tested on
// text, and the file system and environment are touched only here.
#pragma once

#include <string>

#include "auth_tokens.hpp"
#include "rest_settings.hpp"

namespace spdlog {
class logger;
}

namespace sluice::rest {

// Fills `tokens`; false with `error` set (naming the file and line, never a token) when the
// file cannot be read, a line is malformed, or the file is open to group or others (tokens
// are passwords: private_file.hpp).
bool load_tokens(const RestSettings& settings, spdlog::logger& log, TokenSet& tokens, std::string& error);

}  // namespace sluice::rest

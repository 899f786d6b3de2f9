// Files holding secrets (the tokens file, the TLS private key) must be readable by their owner
// only: a file group or others may read hands the API to every local account. Checked at
// start() and whenever the tokens are read again (a reload), before the file is read.
#pragma once

#include <string>

namespace sluice::http {

// False with `error` naming the key, the file and its mode when the file cannot be examined
// or any group or other permission bit is set. The caller prefixes its plugin name.
bool check_private_file(const std::string& path, const char* key, std::string& error);

}  // namespace sluice::http

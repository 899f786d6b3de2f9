#include "private_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sluice::http {

bool check_private_file(const std::string& path, const char* key, std::string& error) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    error = std::string("cannot read ") + key + " " + path + ": " + std::strerror(errno);
    return false;
  }
  if (info.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(info.st_mode & 0777));
    error = std::string(key) + " " + path + " has mode " + mode +
            ": group or others may access it, and it holds secrets; chmod 600 it (owner only)";
    return false;
  }
  return true;
}

}  // namespace sluice::http

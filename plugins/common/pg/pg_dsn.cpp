#include "pg_dsn.hpp"

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <stdexcept>

namespace sluice::pg {
namespace {

using Options = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

Options parse(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (!options) {
    std::string message = error ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw std::invalid_argument("invalid PostgreSQL DSN: " + message);
  }
  return Options(options, &PQconninfoFree);
}

}  // namespace

std::string soci_connect_string(const std::string& dsn, const std::string& application_name) {
  Options options = parse(dsn);
  std::map<std::string, std::string> given;
  for (PQconninfoOption* option = options.get(); option->keyword; ++option) {
    if (!option->val || !*option->val) continue;
    std::string value = option->val;
    if (value.find_first_of(" \t\r\n\"'\\") != std::string::npos) {
      throw std::invalid_argument(std::string("the DSN's \"") + option->keyword +
                                  "\" contains spaces, quotes or backslashes, which SOCI cannot "
                                  "pass on; put the password in PGPASSWORD or ~/.pgpass instead");
    }
    given[option->keyword] = value;
  }
  // Fail over quickly instead of hanging on a dead host; libpq ignores keepalives on sockets.
  given.try_emplace("connect_timeout", "5");
  given.try_emplace("keepalives_idle", "30");
  given.try_emplace("keepalives_interval", "10");
  given.try_emplace("keepalives_count", "3");
  given.try_emplace("application_name", application_name);
  std::string out;
  for (const auto& [key, value] : given) {
    if (!out.empty()) out += ' ';
    out += key + '=' + value;
  }
  return out;
}

std::string redacted(const std::string& dsn) {
  try {
    Options options = parse(dsn);
    std::string out;
    for (PQconninfoOption* option = options.get(); option->keyword; ++option) {
      if (!option->val || !*option->val) continue;
      std::string key = option->keyword;
      if (key == "host" || key == "hostaddr" || key == "port" || key == "dbname" || key == "user") {
        if (!out.empty()) out += ' ';
        out += key + '=' + option->val;
      }
    }
    return out;
  } catch (const std::exception&) {
    return "(unparseable DSN)";
  }
}

}  // namespace sluice::pg

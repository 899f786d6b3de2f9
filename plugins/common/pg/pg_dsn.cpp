#include "pg_dsn.hpp"

#include <libpq-fe.h>

#include <cstring>
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
    throw std::invalid_argument("invalid PostgreSQL DSN: " + without_dsn_fragments(message));
  }
  return Options(options, &PQconninfoFree);
}

std::string value_of(const Options& options, const char* keyword) {
  for (PQconninfoOption* option = options.get(); option->keyword; ++option) {
    if (option->val && std::strcmp(option->keyword, keyword) == 0) return option->val;
  }
  return {};
}

}  // namespace

std::string without_dsn_fragments(const std::string& libpq_message) {
  // libpq quotes what it could not take ("invalid percent-encoded token: \"%s\"", "missing
  // \"=\" after \"%s\" ...", "invalid connection option \"%s\""): a password with a stray
  // '%' or a space would be echoed. Quoted parts cannot be stripped reliably (the fragment may
  // itself hold quotes), so the message is cut before the first quote or colon, and the one
  // message whose meaning lies after it is said in our own words.
  if (libpq_message.rfind("missing \"=\" after", 0) == 0) {
    return "a word without \"=\" (key=value pairs are separated by spaces; quote values with "
           "spaces)";
  }
  std::string out = libpq_message.substr(0, libpq_message.find_first_of("\":"));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out.empty() ? "unparseable" : out;
}

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

std::string location(const std::string& dsn) {
  Options options = parse(dsn);
  std::string host = value_of(options, "host");
  if (host.empty()) host = value_of(options, "hostaddr");
  std::string port = value_of(options, "port");
  return "postgresql://" + host + (port.empty() ? "" : ":" + port) + "/" + value_of(options, "dbname");
}

}  // namespace sluice::pg

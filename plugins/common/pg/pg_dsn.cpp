#include "pg_dsn.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

namespace sluice::pg {
namespace {

using Options = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// A URI that libpq would read otherwise than its author meant: libpq looks for the user
// part's '@' only up to the first '/', so "postgresql://u:pa/ss@db/x" connects to host "u",
// port "pa", and "u:p@ss@db" to host "ss@db" -- and then logs them. So in a URI '@' may
// appear once, as the end of the user part, which may hold no '/', '?', '#' and one ':'
// (user:password); and every '%' starts two hex digits. Says nothing of what it found.
void refuse_ambiguous_uri(const std::string& dsn) {
  std::size_t start = 0;
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    if (dsn.rfind(scheme, 0) == 0) start = std::strlen(scheme);
  }
  if (start == 0) return;  // key=value pairs: quoted values may hold anything
  static const std::string advice =
      "invalid PostgreSQL DSN: the URI is ambiguous; percent-encode / @ : # ? and % in the user name, "
      "password and database name (e.g. @ as %40, / as %2F, : as %3A, # as %23, % as %25), or give "
      "the password in PGPASSWORD or ~/.pgpass";
  for (std::size_t i = start; i < dsn.size(); ++i) {
    if (dsn[i] == '%' && (i + 2 >= dsn.size() || !is_hex(dsn[i + 1]) || !is_hex(dsn[i + 2]))) {
      throw std::invalid_argument(advice);
    }
  }
  const std::size_t at = dsn.find('@', start);
  if (at == std::string::npos) return;
  if (dsn.find('@', at + 1) != std::string::npos) throw std::invalid_argument(advice);
  const std::string user_part = dsn.substr(start, at - start);
  if (user_part.find_first_of("/?#") != std::string::npos || std::count(user_part.begin(), user_part.end(), ':') > 1) {
    throw std::invalid_argument(advice);
  }
}

Options parse(const std::string& dsn) {
  refuse_ambiguous_uri(dsn);
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

// Turns a user's DSN (URI "postgresql://user:pass@host/db" or "key=value" pairs) into the
// connect string SOCI 4.0.3 passes on intact, with sane timeouts added.
#pragma once

#include <string>

namespace sluice::pg {

// SOCI 4.0.3 re-tokenises the connect string as unquoted key=value words, which breaks
// URIs and values with spaces; libpq parses the DSN here and the result is re-emitted as
// plain key=value words. Adds connect_timeout, keepalives and application_name unless given.
// Throws std::invalid_argument with a message fit for the user.
std::string soci_connect_string(const std::string& dsn, const std::string& application_name);

// The DSN without its password, for log lines.
std::string redacted(const std::string& dsn);

}  // namespace sluice::pg

// Turns a user's DSN (URI "postgresql://user:pass@host/db" or "key=value" pairs) into the
// connect string SOCI 4.0.3 passes on intact, with sane timeouts added; and the other views of
// a DSN the plugins need (redacted for logs, the location of its database).
//
// No message or result here ever carries the password, nor any fragment of a DSN libpq could
// not parse (the fragment may be the password). A URI libpq would read otherwise than meant
// (a '/', '@', ':', '#' or '?' in the password, a '%' not followed by two hex digits) is
// refused by every function here, without a word of it: README.md, "Secrets in the config".
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

// "postgresql://host:port/dbname" from the DSN's explicit host (else hostaddr), port and
// dbname; an absent part is "" (and an absent port drops its ':'). Deliberately not libpq's
// defaults (PGHOST, PGPORT, the user name as dbname): those depend on the environment, and
// two plugins of one pipeline must derive the same location from the same DSN, nothing more.
// This is DeadLetterStore::location() and what the postgres sink compares it with.
// Throws std::invalid_argument (without DSN fragments) when libpq cannot parse the DSN.
std::string location(const std::string& dsn);

// libpq's message for a DSN it cannot parse, with everything it quotes from the DSN left out
// ("invalid percent-encoded token: \"p%ZZss\"" -> "invalid percent-encoded token"). Public
// for tests.
std::string without_dsn_fragments(const std::string& libpq_message);

}  // namespace sluice::pg

// pg_dsn: the location both PostgreSQL plugins derive from a DSN (the postgres sink retires
// replayed dead letters only when it equals the dead-letter store's), and DSN errors that
// never echo a password. No database.
#include "pg_dsn.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include "dead_letter_sink.hpp"
#include "postgres_sink.hpp"
#include "support/plugin_test_host.hpp"

namespace sluice::pg {
namespace {

TEST(PgDsnLocation, UriAndKeyValueFormsOfOneDatabaseAgree) {
  EXPECT_EQ(location("postgresql://app:secret@db.example:6432/orders?sslmode=require"),
            "postgresql://db.example:6432/orders");
  EXPECT_EQ(location("host=db.example port=6432 dbname=orders user=app password=secret"),
            "postgresql://db.example:6432/orders");
  EXPECT_EQ(location("postgres://db.example:6432/orders"), "postgresql://db.example:6432/orders");
}

TEST(PgDsnLocation, AbsentPartsAreEmptyNotGuessed) {
  EXPECT_EQ(location("postgresql://db.example/orders"), "postgresql://db.example/orders");
  EXPECT_EQ(location("dbname=orders"), "postgresql:///orders");
  EXPECT_EQ(location("postgresql://"), "postgresql:///");
  EXPECT_EQ(location("hostaddr=10.0.0.7 port=5432 dbname=x"), "postgresql://10.0.0.7:5432/x");
  // Different databases, ports or hosts differ.
  EXPECT_NE(location("postgresql://h:5432/a"), location("postgresql://h:5432/b"));
  EXPECT_NE(location("postgresql://h:5432/a"), location("postgresql://h:5433/a"));
}

TEST(PgDsnLocation, NeverHoldsUserOrPassword) {
  std::string where = location("postgresql://someone:Sw0rdf1sh-Unique@h:5432/db");
  EXPECT_EQ(where.find("someone"), std::string::npos);
  EXPECT_EQ(where.find("Sw0rdf1sh"), std::string::npos);
}

TEST(PgDsnLocation, BothPluginsDeriveTheSameLocation) {
  test::PluginTestHost host;
  const std::string dsn = "postgresql://u@127.0.0.1:1/some_db";
  DeadLetterSettings settings;
  settings.dsn = dsn;
  DeadLetterSink dead_letters(settings, host);
  EXPECT_EQ(dead_letters.dead_letter_store()->location(), location(dsn));
  EXPECT_EQ(dead_letters.dead_letter_store()->location(), "postgresql://127.0.0.1:1/some_db");
}

// The password in these DSNs is distinctive; no message may carry any part of it.
constexpr const char* secret = "Zq7Xsecret";

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_no_fragment(const std::string& message) {
  EXPECT_NE(message, "(no error)");
  for (std::string piece : {"Zq7X", "secret", "%ZZ", "7Xsec"}) {
    EXPECT_EQ(message.find(piece), std::string::npos) << "'" << piece << "' in: " << message;
  }
}

TEST(PgDsnErrors, MalformedPasswordsAreNotEchoed) {
  const std::vector<std::string> dsns = {
      std::string("postgresql://user:") + "Zq7X%ZZsecret" + "@host/db",  // bad percent-encoding
      std::string("host=h user=u password='") + secret + " dbname=x",    // unterminated quote
      std::string("host=h user=u password=Zq7X secret dbname=x"),        // a space: a word without '='
      std::string("host=h password=Zq7X secret=x"),                      // ... or an unknown option
      std::string("postgresql://u:") + secret + "@h/db?Zq7Xsecret=1",    // unknown URI parameter
  };
  for (const std::string& dsn : dsns) {
    SCOPED_TRACE(dsn);
    expect_no_fragment(error_of([&] { soci_connect_string(dsn, "t"); }));
    expect_no_fragment(error_of([&] { location(dsn); }));
    expect_no_fragment(redacted(dsn));
  }
  // Still says what is wrong.
  EXPECT_NE(error_of([&] { location(dsns[0]); }).find("percent-encode"), std::string::npos);
  EXPECT_NE(error_of([&] { location(dsns[1]); }).find("unterminated quoted string"), std::string::npos);
  EXPECT_NE(error_of([&] { location(dsns[2]); }).find("without \"=\""), std::string::npos);
}

// libpq reads "postgresql://u:pa/ss@db/x" as host "u", port "pa", database "ss@db/x" (and
// "u:p@ss@db" as host "ss@db"), then the log line and resolver errors carry the password's
// pieces. Such URIs are refused, saying how to write them, without a piece of them.
TEST(PgDsnErrors, AmbiguousUriPasswordsAreRefusedWithoutEcho) {
  for (std::string special : {"/", "@", ":", "#", "?", "%", "%4", "%G1"}) {
    const std::string dsn = "postgresql://app:Zq7X" + special + "secret@db.example:5432/orders";
    SCOPED_TRACE(special);
    for (auto call :
         std::vector<std::function<void()>>{[&] { soci_connect_string(dsn, "t"); }, [&] { location(dsn); }}) {
      std::string message = error_of(call);
      expect_no_fragment(message);
      EXPECT_NE(message.find("percent-encode / @ : # ? and %"), std::string::npos) << message;
    }
    expect_no_fragment(redacted(dsn));
  }
  // A '@' in the database name or a parameter must be encoded too (no '@' after the user part).
  EXPECT_NE(error_of([&] { location("postgresql://h/db@x"); }), "(no error)");
  EXPECT_NE(error_of([&] { location("postgres://u:Zq7Xsecret@h/db?application_name=a@b"); }), "(no error)");
}

// The same passwords percent-encoded are taken, and libpq gets them decoded, byte for byte.
TEST(PgDsnErrors, PercentEncodedPasswordsReachLibpqDecoded) {
  const std::string password = "p/a@s:s#w?o%rd";
  const std::string dsn = "postgresql://app:p%2Fa%40s%3As%23w%3Fo%25rd@db.example:5432/orders";
  std::string connect = soci_connect_string(dsn, "t");
  EXPECT_NE(connect.find(" password=" + password + " "), std::string::npos) << "(connect string not shown)";
  EXPECT_EQ(location(dsn), "postgresql://db.example:5432/orders");
  EXPECT_EQ(redacted(dsn).find("s:s"), std::string::npos);
  EXPECT_NO_THROW(location("postgresql://app@db.example/orders"));
  EXPECT_NO_THROW(location("host=h password=p/a@s:s#w?o%rd dbname=x"));  // key=value: no URI rules
}

TEST(PgDsnErrors, TheSinksConfigErrorsDoNotEchoThePassword) {
  test::PluginTestHost host;
  const std::string dsn = std::string("postgresql://user:") + "Zq7X%ZZsecret" + "@host/db";
  for (int which = 0; which < 2; ++which) {
    try {
      if (which == 0) {
        DeadLetterSettings settings;
        settings.dsn = dsn;
        DeadLetterSink sink(settings, host);
      } else {
        PostgresSettings settings;
        settings.dsn = dsn;
        PostgresSink sink(settings, host);
      }
      ADD_FAILURE() << "accepted a malformed DSN";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "dsn");
      expect_no_fragment(e.what());
    }
  }
}

}  // namespace
}  // namespace sluice::pg

#include "rfc3339.hpp"

#include <gtest/gtest.h>

#include <string>

using sluice::orders::is_rfc3339_date_time;

TEST(Rfc3339, AcceptsTheForms3339Allows) {
  for (const char* text :
       {"2021-11-26T06:22:19Z", "2021-11-26t06:22:19z", "2021-11-26T06:22:19.123456Z", "2021-11-26T09:22:19+03:00",
        "2021-11-26T01:22:19-05:00", "2020-02-29T00:00:00Z", "2016-12-31T23:59:60Z", "2000-02-29T12:00:00Z"}) {
    EXPECT_TRUE(is_rfc3339_date_time(text)) << text;
  }
}

// PostgreSQL 15 stores each of these (the edges of what it takes).
TEST(Rfc3339, AcceptsTheEdgesPostgresqlStores) {
  const std::string fraction_64 = "2021-11-26T06:22:19." + std::string(64, '1') + "Z";
  for (const std::string& text : {std::string("0001-01-01T00:00:00Z"), std::string("9999-12-31T23:59:59Z"),
                                  std::string("0001-01-01T00:00:00+15:59"), std::string("9999-12-31T23:59:59-15:59"),
                                  std::string("2021-11-26T06:22:19+15:00"), fraction_64}) {
    EXPECT_TRUE(is_rfc3339_date_time(text)) << text;
  }
}

TEST(Rfc3339, RefusesEverythingElse) {
  for (const char* text :
       {"", "2021-11-26", "2021-11-26T06:22Z", "2021-11-26T06:22:19", "2021-11-26 06:22:19Z", "2021-11-26T06:22:19.Z",
        "2021-11-26T24:00:00Z", "2021-11-26T06:60:00Z", "2021-11-26T06:22:61Z", "2021-00-26T06:22:19Z",
        "2021-11-31T06:22:19Z", "1900-02-29T00:00:00Z", "2021-11-26T06:22:19+0300", "2021-11-26T06:22:19+03:00 ",
        "21-11-26T06:22:19Z", "2021-11-26T06:22:19ZZ", "２021-11-26T06:22:19Z"}) {
    EXPECT_FALSE(is_rfc3339_date_time(text)) << text;
  }
}

// Valid RFC 3339, refused by PostgreSQL's timestamptz: no year zero ("date/time field value out
// of range"), offsets beyond +-15:59 ("time zone displacement out of range"), and overlong
// text ("invalid input syntax"). Refusing them here gives them the reason invalid_date.
TEST(Rfc3339, RefusesWhatPostgresqlCannotStore) {
  const std::string fraction_65 = "2021-11-26T06:22:19." + std::string(65, '1') + "Z";
  const std::string fraction_200 = "2021-11-26T06:22:19." + std::string(200, '1') + "+03:00";
  for (const std::string& text : {std::string("0000-01-01T00:00:00Z"), std::string("0000-12-31T23:59:59+01:00"),
                                  std::string("2021-11-26T06:22:19+16:00"), std::string("2021-11-26T06:22:19-16:00"),
                                  std::string("2021-11-26T06:22:19+23:59"), std::string("2021-11-26T06:22:19-15:60"),
                                  fraction_65, fraction_200}) {
    EXPECT_FALSE(is_rfc3339_date_time(text)) << text;
  }
}

// `sluice positions set --timestamp`'s parser (core/src/cli/point_in_time.hpp; README.md,
// "Operating Sluice", Reprocessing): RFC 3339 with fractions and offsets, epoch milliseconds,
// and nothing else (a local time without offset is ambiguous, a date that does not exist is not
// one).
#include "cli/point_in_time.hpp"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

TEST(PointInTime, Rfc3339AndEpochMilliseconds) {
  EXPECT_EQ(parse_point_in_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_point_in_time("2026-12-06T14:00:00Z"), 1796565600000);
  EXPECT_EQ(parse_point_in_time("2026-12-06T14:00:00.25Z"), 1796565600250);
  EXPECT_EQ(parse_point_in_time("2026-12-06t14:00:00.123z"), 1796565600123);
  EXPECT_EQ(parse_point_in_time("2026-12-06T16:30:00+02:30"), 1796565600000);
  EXPECT_EQ(parse_point_in_time("2026-12-06T10:00:00-04:00"), 1796565600000);
  EXPECT_EQ(parse_point_in_time("2026-12-06 14:00:00Z"), 1796565600000);
  EXPECT_EQ(parse_point_in_time("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(parse_point_in_time("1796565600000"), 1796565600000);
  EXPECT_EQ(parse_point_in_time("0"), 0);
}

TEST(PointInTime, AnythingElseIsRefused) {
  for (const char* text :
       {"", "yesterday", "2026-12-06", "2026-12-06T14:00:00", "2026-12-06T14:00Z", "2026-02-30T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-06T24:00:00Z", "2026-12-06T14:00:00.Z",
        "2026-12-06T14:00:00Z ", "2026-12-06T14:00:00+0200", "-5", "12a", "1796565600000000000",
        "2026-12-06T14:00:00+24:00"}) {
    EXPECT_EQ(parse_point_in_time(text), std::nullopt) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace sluice::cli

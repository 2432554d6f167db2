// parse_time and format_time: the accepted ISO 8601 forms, and what is refused.
#include <chrono>

#include "smimekit/time.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

TimePoint at(long long seconds) {
  return TimePoint(std::chrono::seconds(seconds));
}

TEST(ParseTime, DateOnlyIsMidnightUtc) {
  const auto t = parse_time("2019-06-01");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, at(1559347200));
}

TEST(ParseTime, DateTimeWithZ) {
  const auto t = parse_time("2019-06-01T12:00:00Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, at(1559390400));
}

TEST(ParseTime, DateTimeWithoutSecondsOrZoneIsUtc) {
  const auto t = parse_time("2019-06-01T12:00");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, at(1559390400));
  const auto s = parse_time("2019-06-01T12:00:00");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, at(1559390400));
}

TEST(ParseTime, NumericOffsetsAreAppliedToUtc) {
  const auto plus = parse_time("2019-06-01T12:00:00+02:00");
  ASSERT_TRUE(plus.has_value());
  EXPECT_EQ(*plus, at(1559383200));  // 10:00Z
  const auto minus = parse_time("2019-06-01T12:00:00-05:30");
  ASSERT_TRUE(minus.has_value());
  EXPECT_EQ(*minus, at(1559410200));  // 17:30Z
}

TEST(ParseTime, LeapDaysOfLeapYearsAreAccepted) {
  const auto t = parse_time("2020-02-29");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, at(1582934400));
  const auto y2k = parse_time("2000-02-29");
  ASSERT_TRUE(y2k.has_value());
  EXPECT_EQ(*y2k, at(951782400));
}

TEST(ParseTime, DatesThatDoNotExistAreRefused) {
  EXPECT_FALSE(parse_time("2019-02-30").has_value());
  EXPECT_FALSE(parse_time("2019-02-29").has_value());  // 2019 is not a leap year
  EXPECT_FALSE(parse_time("1900-02-29").has_value());  // neither is 1900
  EXPECT_FALSE(parse_time("2019-04-31").has_value());
  EXPECT_FALSE(parse_time("2019-06-31T12:00:00Z").has_value());
  EXPECT_FALSE(parse_time("2019-13-01").has_value());
  EXPECT_FALSE(parse_time("2019-00-10").has_value());
  EXPECT_FALSE(parse_time("2019-06-00").has_value());
  EXPECT_FALSE(parse_time("2019-06-32").has_value());
}

TEST(ParseTime, TimesThatDoNotExistAreRefused) {
  EXPECT_FALSE(parse_time("2019-06-01T24:00").has_value());
  EXPECT_FALSE(parse_time("2019-06-01T12:60").has_value());
  EXPECT_FALSE(parse_time("2019-06-01T12:00:61Z").has_value());
}

TEST(ParseTime, OffsetsThatDoNotExistAreRefused) {
  // "12:75" is refused as a time of day; it is no better as a zone offset.
  EXPECT_FALSE(parse_time("2019-06-01T12:00:00+02:75").has_value());
  EXPECT_FALSE(parse_time("2019-06-01T12:00:00+99:00").has_value());
}

TEST(ParseTime, GarbageIsRefused) {
  for (const char* text : {"", "garbage", "2019", "2019-06", "2019-6-1", "19-06-01", "2019/06/01",
                           "2019-06-01T", "2019-06-01T12", "2019-06-01T12:00Zjunk",
                           "2019-06-01 junk", "2019-06-01T12:00:00+0200", "2019-06-01T12:00:",
                           "2019-06-01T1a:00", "x019-06-01", "2019-06-01Z", "01.06.2019"}) {
    EXPECT_FALSE(parse_time(text).has_value()) << "accepted \"" << text << "\"";
  }
}

TEST(FormatTime, IsIsoUtcWithZ) {
  EXPECT_EQ(format_time(at(1559390400)), "2019-06-01T12:00:00Z");
  EXPECT_EQ(format_time(at(0)), "1970-01-01T00:00:00Z");
}

TEST(FormatTime, RoundTripsThroughParseTime) {
  for (const char* text : {"2019-06-01T12:00:00Z", "2075-01-01T00:00:00Z", "2000-02-29T23:59:59Z"}) {
    const auto t = parse_time(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(format_time(*t), text);
  }
}

}  // namespace
}  // namespace smimekit

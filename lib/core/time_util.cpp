#include "core/time_util.h"

#include <ctime>

#include <fmt/format.h>

namespace smimekit {

namespace {

/// Seconds since the epoch as a TimePoint, clamped to what it can hold: system_clock counts
/// nanoseconds and ends in 2262, while RFC 5280 §4.1.2.5 gives certificates without an end
/// the notAfter 9999-12-31T23:59:59Z. from_time_t would overflow (undefined behaviour) and
/// could turn "never expires" into a date long past.
TimePoint from_seconds(std::time_t t) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  constexpr auto max = duration_cast<seconds>(TimePoint::duration::max()).count();
  constexpr auto min = duration_cast<seconds>(TimePoint::duration::min()).count();
  if (t >= max) return TimePoint::max();
  if (t <= min) return TimePoint::min();
  return TimePoint(duration_cast<TimePoint::duration>(seconds(t)));
}

}  // namespace

std::optional<TimePoint> from_asn1_time(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return from_seconds(timegm(&tm));
}

std::string format_time(TimePoint t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<TimePoint> parse_time(std::string_view s) {
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mon) ||
      s[7] != '-' || !digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  std::size_t pos = 10;
  long offset_seconds = 0;
  if (pos < s.size()) {
    if ((s[pos] != 'T' && s[pos] != ' ') || !digits(s, pos + 1, 2, hour) || s.size() < pos + 6 ||
        s[pos + 3] != ':' || !digits(s, pos + 4, 2, min)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z' && pos + 1 == s.size()) {
        pos += 1;
      } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && s[pos + 3] == ':') {
        int oh = 0, om = 0;
        if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om)) return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;
        offset_seconds = (oh * 3600L + om * 60L) * (s[pos] == '+' ? 1 : -1);
        pos = s.size();
      } else {
        return std::nullopt;
      }
    }
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  struct tm tm {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  // timegm normalizes out-of-range days (Feb 30): reject them instead.
  struct tm back {};
  gmtime_r(&t, &back);
  if (back.tm_mday != day || back.tm_mon != mon - 1) return std::nullopt;
  return from_seconds(t - offset_seconds);
}

}  // namespace smimekit

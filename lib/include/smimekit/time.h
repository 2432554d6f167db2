// smimekit — times as people write them (ISO 8601, UTC).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "smimekit/certificate.h"

namespace smimekit {

/// Parses "2019-06-01" (midnight UTC), "2019-06-01T12:00:00Z", "2019-06-01T12:00" (UTC) or
/// "2019-06-01T12:00:00+02:00". std::nullopt when TEXT is none of these or not a real date.
[[nodiscard]] std::optional<TimePoint> parse_time(std::string_view text);

/// "2024-05-01T12:00:00Z".
[[nodiscard]] std::string format_time(TimePoint t);

}  // namespace smimekit

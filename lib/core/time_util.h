// Time conversions shared by the modules. Internal.
#pragma once

#include <openssl/asn1.h>

#include <optional>
#include <string>
#include <string_view>

#include "smimekit/certificate.h"
#include "smimekit/time.h"

namespace smimekit {

/// Converts an ASN.1 UTCTime/GeneralizedTime; std::nullopt when it is malformed.
[[nodiscard]] std::optional<TimePoint> from_asn1_time(const ASN1_TIME* t);


}  // namespace smimekit

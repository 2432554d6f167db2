// GoogleTest printers for smimekit's enums, so that a failed comparison says "cert_expired"
// instead of "4-byte object <D1-07 00-00>". They live in namespace smimekit for ADL.
#pragma once

#include <ostream>

#include "smimekit/error.h"
#include "smimekit/report.h"
#include "smimekit/status.h"

namespace smimekit {

inline void PrintTo(Status status, std::ostream* os) {
  *os << status_name(status) << " (" << static_cast<int>(status) << ")";
}

inline void PrintTo(Verdict verdict, std::ostream* os) { *os << verdict_name(verdict); }

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << error_code_name(code); }

}  // namespace smimekit

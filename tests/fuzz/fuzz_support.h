// Shared set-up of the fuzz targets: the demo hierarchy, loaded once.
#pragma once

#include <string>

#include "smimekit/certificate.h"
#include "smimekit/trust.h"

namespace smimekit::fuzz {

/// certs/demo/NAME under the source tree.
inline std::string demo_path(const char* name) {
  return std::string(SMIMEKIT_SOURCE_DIR) + "/certs/demo/" + name;
}

/// Anchors: the demo root; intermediates: the demo intermediate; no CRLs.
inline TrustPolicy demo_policy() {
  TrustPolicy policy;
  policy.anchors = load_certificates(demo_path("root.pem"));
  policy.intermediates = load_certificates(demo_path("intermediate.pem"));
  return policy;
}

}  // namespace smimekit::fuzz

// What the audit reads from a certificate beyond the public Certificate accessors: the
// extensions RFC 5280 defines for CAs and for finding revocation data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "smimekit/certificate.h"

namespace smimekit::audit_detail {

struct Extensions {
  bool has_basic_constraints = false;
  bool ca = false;
  std::optional<long> path_length;               ///< pathLenConstraint, when given
  std::vector<std::string> permitted, excluded;  ///< name constraints, as "email:.example.org"
  bool name_constraints_critical = false;
  std::vector<std::string> policies;                   ///< dotted OIDs of certificatePolicies
  std::vector<std::string> ocsp_urls, ca_issuer_urls;  ///< authorityInfoAccess
  std::vector<std::string> crl_urls;                   ///< cRLDistributionPoints (URIs)
  bool has_crl_distribution_points = false;
  std::string ec_curve;  ///< "prime256v1", empty for other keys
};

[[nodiscard]] Extensions read_extensions(const Certificate& cert);

/// True when ISSUER's subject and key identifiers fit CERT's issuer (X509_check_issued).
[[nodiscard]] bool may_have_issued(const Certificate& issuer, const Certificate& cert);

/// True when A and B name the same subject with the same public key: one CA, certified twice.
/// A path that holds it twice runs in a loop (RFC 4158 §2.4.2).
[[nodiscard]] bool same_subject_and_key(const Certificate& a, const Certificate& b);

/// OpenSSL's X509_verify_cert over exactly CHAIN (leaf first, anchor last), with the anchor as
/// the only trusted certificate, at security level 2 (112 bits, no SHA-1), without CRLs.
/// std::nullopt when it accepts, else its words.
[[nodiscard]] std::optional<std::string> openssl_verify(const std::vector<Certificate>& chain,
                                                        TimePoint when);

}  // namespace smimekit::audit_detail

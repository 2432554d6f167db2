// smimekit — the trust decision: does a certificate chain reach one of the user's anchors?
//
// Path validation follows RFC 5280 (done by Botan); on top, RFC 8550's rules for S/MIME:
// key usage and extended key usage fit for mail signing, and email address binding.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/status.h"

namespace smimekit {

/// What the user trusts and how strictly. The defaults are the safe ones.
struct TrustPolicy {
  /// The explicit trust anchors. There is no implicit system bundle: with none, nothing is trusted.
  std::vector<Certificate> anchors;
  /// Untrusted certificates that may help build a chain (in addition to those in a message).
  std::vector<Certificate> intermediates;
  /// CRLs consulted for every certificate of the chain whose issuer published one.
  std::vector<Crl> crls;
  /// Validate as of this time instead of now (RFC 8550 §4.1 says "now").
  std::optional<TimePoint> validation_time;
  /// Accept SHA-1 in message and certificate signatures. MD5 is never accepted.
  bool allow_sha1 = false;
  /// Require a CRL for every certificate of the chain (hard-fail revocation).
  bool require_revocation_data = false;
};

/// One certificate of a built chain and what was found about it.
struct ChainLink {
  Certificate certificate;
  std::vector<Status> statuses;  ///< empty or Ok when nothing is wrong
};

/// The outcome of path validation.
struct ValidationResult {
  /// True only when a chain to an anchor was built and no error status was found.
  bool trusted = false;
  /// The first error found, or Ok.
  Status status = Status::Ok;
  /// The chain, leaf first, anchor last (as far as it could be built).
  std::vector<ChainLink> chain;
  /// The validator's own words for the outcome, for debugging.
  std::string detail;
};

/// Validates chains against a fixed TrustPolicy. Build one and reuse it for many messages:
/// the anchors and CRLs are parsed once.
class PathValidator {
 public:
  explicit PathValidator(TrustPolicy policy);
  ~PathValidator();
  PathValidator(PathValidator&&) noexcept;
  PathValidator& operator=(PathValidator&&) noexcept;

  /// Builds and checks a path from LEAF to an anchor, using EXTRA (e.g. the certificates a
  /// message carries) and the policy's intermediates as candidate issuers.
  [[nodiscard]] ValidationResult validate(const Certificate& leaf,
                                          const std::vector<Certificate>& extra) const;

  [[nodiscard]] const TrustPolicy& policy() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// RFC 8550 §4.4: the statuses that make CERT unfit to sign mail (keyUsage must allow
/// digitalSignature or nonRepudiation; an extendedKeyUsage, when present, must hold
/// emailProtection or anyExtendedKeyUsage). Empty when it is fit.
[[nodiscard]] std::vector<Status> check_signing_usage(const Certificate& cert);

/// RFC 8550 §3: does CERT name ADDRESS? Local parts compare exactly, domains case-insensitively.
[[nodiscard]] bool certificate_matches_address(const Certificate& cert, std::string_view address);

}  // namespace smimekit

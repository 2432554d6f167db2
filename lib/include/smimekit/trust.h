// smimekit — the trust decision: does a certificate chain reach one of the user's anchors?
//
// Path validation follows RFC 5280 (done by Botan); on top, RFC 8550's rules for S/MIME:
// key usage and extended key usage fit for mail signing, and email address binding.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/status.h"

namespace smimekit {

/// Whether and how revocation status is looked up on the network.
enum class RevocationMode {
  /// Only the CRLs of TrustPolicy::crls; nothing is fetched. A certificate without a CRL gets
  /// the warning NoRevocationData.
  Offline,
  /// Also ask OCSP responders (AIA) and fetch CRLs (distribution points). When no answer can
  /// be had, the verdict stays what it would be without revocation data, and the certificate
  /// gets the warning RevocationUnchecked.
  SoftFail,
  /// As SoftFail, but every certificate below the anchor must have a known, good status:
  /// an unreachable responder, an unacceptable answer or no source at all is the error
  /// RevocationUnavailable.
  HardFail,
};

/// Online revocation checking (RFC 5280 CRL distribution points over HTTP, RFC 6960 OCSP).
/// It runs only for a chain that reached a trust anchor, for each certificate below it:
/// stored CRLs first, then OCSP, then the CRL of the distribution point. A revoked
/// certificate is an error in every mode.
struct RevocationPolicy {
  /// The library goes on the network only when asked; the CLI asks for SoftFail.
  RevocationMode mode = RevocationMode::Offline;
  /// Per request, from connecting to the last byte of the answer.
  std::chrono::milliseconds timeout{10'000};
  /// Where fetched CRLs and OCSP responses are kept between runs (created if missing);
  /// empty: only in memory, for the life of the PathValidator. A cached answer is checked
  /// again (signature, freshness) every time it is used.
  std::filesystem::path cache_dir;
};

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
  /// Require a CRL among `crls` for every certificate of the chain (hard-fail, offline).
  bool require_revocation_data = false;
  /// Online revocation checking; off unless asked for.
  RevocationPolicy revocation;
};

/// One certificate of a built chain and what was found about it.
struct ChainLink {
  Certificate certificate;
  std::vector<Status> statuses;  ///< empty or Ok when nothing is wrong
  /// How revocation was checked for this certificate ("OCSP http://...: good"), or why it
  /// could not be; empty when nothing was looked up online.
  std::string revocation;
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

/// The http:// URLs of CERT's CRL distribution points (RFC 5280 §4.2.1.13), in order.
/// Other schemes (ldap, https) are left out.
[[nodiscard]] std::vector<std::string> crl_distribution_points(const Certificate& cert);

/// The http:// URLs of CERT's OCSP responders (authorityInfoAccess, RFC 5280 §4.2.2.1).
[[nodiscard]] std::vector<std::string> ocsp_responders(const Certificate& cert);

/// Fetches the CRL at URL (http:// only; DER or PEM), at most 16 MiB, within TIMEOUT. The
/// CRL is parsed but not checked: its signature and freshness are the caller's to verify
/// (PathValidator does so). Throws Error(Usage) for another scheme, Error(Network) when the
/// server is unreachable or slow, Error(Protocol) for a non-200 answer or a redirect,
/// Error(Limit) for a larger body, Error(Input) when the body is no CRL.
[[nodiscard]] Crl fetch_crl(std::string_view url, std::chrono::milliseconds timeout);

/// RFC 5280 §6.3.3, the parts that concern the CRL alone: is CRL a complete CRL (no delta
/// CRL; issuingDistributionPoint, if any, for all reasons, not indirect, not of attribute
/// certificates; no critical extension that is not understood), issued by ISSUER (its issuer
/// name is ISSUER's subject), signed with ISSUER's key, which may sign CRLs (keyUsage, when
/// present, holds cRLSign), and current at NOW (thisUpdate not ahead, nextUpdate present and
/// not passed, with 300 seconds' leeway for clocks)? Empty when it is acceptable, else the
/// reason in words ("the CRL is out of date (its nextUpdate has passed)"). Whether it covers
/// a given certificate (onlyContainsUserCerts, onlyContainsCACerts) and whether ISSUER is
/// itself trusted are the caller's to judge.
[[nodiscard]] std::string check_crl(const Crl& crl, const Certificate& issuer, TimePoint now);

/// RFC 8550 §4.4: the statuses that make CERT unfit to sign mail (keyUsage must allow
/// digitalSignature or nonRepudiation; an extendedKeyUsage, when present, must hold
/// emailProtection or anyExtendedKeyUsage). Empty when it is fit.
[[nodiscard]] std::vector<Status> check_signing_usage(const Certificate& cert);

/// RFC 8550 §3: does CERT name ADDRESS? Local parts compare exactly, domains case-insensitively.
[[nodiscard]] bool certificate_matches_address(const Certificate& cert, std::string_view address);

}  // namespace smimekit

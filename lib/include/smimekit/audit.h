// smimekit — the certificate-chain audit: every chain from each end-entity certificate to a
// trust anchor, and for each certificate of each chain what an administrator should know.
//
// The audit takes plain lists (end entities, candidate intermediates, anchors, CRLs), so a
// certificate file, a directory, a message or a certificate store can all feed it. Botan
// decides whether a chain is trusted (through PathValidator); OpenSSL's X509_verify_cert runs
// beside it on the same chain, and where the two disagree that is a finding of its own.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/trust.h"

namespace smimekit {

/// How much a finding matters. Only Error makes `smimekit audit` exit 1.
enum class Severity { Info, Warning, Error };

/// "info", "warning", "error".
[[nodiscard]] std::string_view severity_name(Severity severity) noexcept;

/// One thing found about a certificate or a chain.
struct Finding {
  Severity severity = Severity::Info;
  /// A stable identifier for machines ("cert_expired", "rsa_key_too_short", ...). Where the
  /// finding repeats a path-validation Status, this is that status's status_name().
  std::string code;
  /// A sentence for people, naming what is wrong and, where it helps, what to do.
  std::string text;
};

/// Whether revocation was checked for one certificate, by one means.
enum class RevocationState {
  NotChecked,  ///< nothing was consulted (an anchor, or no such source was asked)
  Good,        ///< a CRL or OCSP response was consulted and does not list the certificate
  Revoked,     ///< the certificate is listed as revoked
  NoData,      ///< the source was asked for but none was available
  Failed,      ///< a CRL or response was found but unusable (expired, bad signature, ...)
};

/// "not_checked", "good", "revoked", "no_data", "failed".
[[nodiscard]] std::string_view revocation_state_name(RevocationState state) noexcept;

/// Revocation of one certificate, by CRL and by OCSP, as PathValidator reported it for that
/// certificate of the chain: stored CRLs, then (when AuditInput::revocation asks) OCSP and
/// CRLs fetched from the distribution points.
struct Revocation {
  RevocationState crl = RevocationState::NotChecked;
  RevocationState ocsp = RevocationState::NotChecked;
};

/// Where a certificate stands in a chain.
enum class Role { EndEntity, Intermediate, Anchor };

/// "end_entity", "intermediate", "anchor".
[[nodiscard]] std::string_view role_name(Role role) noexcept;

/// The same for people: "end entity", "intermediate CA", "trust anchor".
[[nodiscard]] std::string_view role_words(Role role) noexcept;

/// One certificate of one chain.
struct CertificateAudit {
  Certificate certificate;
  Role role = Role::EndEntity;
  Revocation revocation;
  std::vector<Finding> findings;
  /// The worst severity among the findings.
  [[nodiscard]] Severity verdict() const noexcept;
};

/// One chain from an end entity towards an anchor.
struct ChainAudit {
  /// Leaf first, anchor last. When no chain reaches an anchor, the path as far as it could
  /// be built.
  std::vector<CertificateAudit> links;
  /// PathValidator's verdict (Botan, with OpenSSL's veto and the leaf-key check of lib/trust).
  bool trusted = false;
  /// True when the chain ends at one of the anchors.
  bool reaches_anchor = false;
  /// OpenSSL's X509_verify_cert on the same certificates, without CRLs (revocation is
  /// Botan's): did it accept the chain, and its words when not.
  bool openssl_trusted = false;
  std::string openssl_detail;
  /// The validator's own words for the outcome.
  std::string detail;
  /// About the chain as a whole: trusted or why not, and any disagreement between Botan and
  /// OpenSSL ("validators_disagree").
  std::vector<Finding> findings;
  /// The worst severity of the chain's findings and of its certificates' findings.
  [[nodiscard]] Severity verdict() const noexcept;
};

/// Everything found for one end-entity certificate.
struct EndEntityAudit {
  Certificate certificate;
  /// Every chain to an anchor (several with cross-signed intermediates); when none exists,
  /// one untrusted chain showing how far it got.
  std::vector<ChainAudit> chains;
  /// About the certificate as a whole ("no_chain_to_anchor", "chain_limit_reached").
  std::vector<Finding> findings;
  /// Error when no chain is trusted or a finding is an error; else the worst severity.
  [[nodiscard]] Severity verdict() const noexcept;
};

/// What to audit. A certificate store hands over its lists as they are.
struct AuditInput {
  /// The certificates to audit.
  std::vector<Certificate> end_entities;
  /// Untrusted candidate issuers (intermediates, cross-certificates).
  std::vector<Certificate> pool;
  /// Trust anchors. With none, no chain can be trusted.
  std::vector<Certificate> anchors;
  /// CRLs consulted for every certificate whose issuer published one.
  std::vector<Crl> crls;
  /// Online revocation (OCSP, CRL distribution points) as PathValidator does it; offline
  /// unless asked. `smimekit audit` asks for hard-fail: an audit that could not check
  /// revocation must say so as an error.
  RevocationPolicy revocation;
  /// Audit as of this time instead of now.
  std::optional<TimePoint> time;
  /// A certificate expiring within this many days is a warning.
  int warn_days = 30;
  /// At most this many certificates in a chain, anchor included.
  std::size_t max_depth = 8;
  /// At most this many chains per end entity; a hostile pool cannot make the audit explode.
  std::size_t max_chains = 16;
};

/// The outcome of an audit.
struct AuditReport {
  TimePoint time;  ///< the time the audit was made as of
  int warn_days = 30;
  std::vector<EndEntityAudit> entities;
  /// True when some finding anywhere is of error severity.
  [[nodiscard]] bool has_errors() const noexcept;
};

/// Splits CERTS into end entities (no CA) and CAs, for a directory or a bundle: the end
/// entities are audited, the CAs serve as the pool. When there is no end entity at all, the
/// CAs that are not in ANCHORS are audited themselves (and also stay in the pool).
struct AuditSubjects {
  std::vector<Certificate> end_entities;
  std::vector<Certificate> pool;
};
[[nodiscard]] AuditSubjects sort_audit_subjects(const std::vector<Certificate>& certs,
                                                const std::vector<Certificate>& anchors);

/// Runs the audit. Never throws for odd certificates: they become findings.
[[nodiscard]] AuditReport audit_certificates(const AuditInput& input);

/// The chains as indented trees, one verdict per line, findings below each certificate.
[[nodiscard]] std::string render_audit_text(const AuditReport& report);
/// The report as one JSON document (schema in smimekit-audit(1)).
[[nodiscard]] std::string render_audit_json(const AuditReport& report);
/// A Graphviz digraph of the hierarchy: each certificate once, an edge from issuer to
/// subject, colours for the verdicts and a legend.
[[nodiscard]] std::string render_audit_dot(const AuditReport& report);
/// The DOT graph drawn as SVG by Graphviz's `dot -Tsvg` (a subprocess, no shell). Throws
/// Error(Unsupported) when `dot` is not installed, Error(Internal) when it fails.
[[nodiscard]] std::string render_audit_svg(const AuditReport& report);

}  // namespace smimekit

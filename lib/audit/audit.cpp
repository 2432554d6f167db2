// The chain audit: build every chain to an anchor, let PathValidator (Botan) judge each one,
// ask OpenSSL beside it, and describe every certificate in words.
#include "smimekit/audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "audit/inspect.h"
#include "smimekit/status.h"
#include "smimekit/time.h"
#include "smimekit/trust.h"

namespace smimekit {

namespace {

using audit_detail::Extensions;

constexpr std::string_view kEmailProtection = "1.3.6.1.5.5.7.3.4";
constexpr std::string_view kAnyExtendedKeyUsage = "2.5.29.37.0";
// Chain search steps per end entity: with many certificates of the same name in the pool,
// the number of paths grows exponentially long before max_chains is reached.
constexpr std::size_t kSearchBudget = 10000;

Severity worst(Severity a, Severity b) {
  return std::max(a, b);
}

Severity worst_of(const std::vector<Finding>& findings) {
  Severity s = Severity::Info;
  for (const auto& f : findings) s = worst(s, f.severity);
  return s;
}

bool contains(const std::vector<Certificate>& list, const Certificate& cert) {
  return std::find(list.begin(), list.end(), cert) != list.end();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string day(TimePoint t) {
  return format_time(t).substr(0, 10);
}

// --- chain building ------------------------------------------------------------------------

struct ChainSearch {
  const std::vector<Certificate>& candidates;  // pool and anchors together
  const std::vector<Certificate>& anchors;
  std::size_t max_depth, max_chains;
  std::size_t steps = 0;
  bool limited = false;
  std::vector<std::vector<Certificate>> found;

  void extend(std::vector<Certificate>& path) {
    if (found.size() >= max_chains || ++steps > kSearchBudget) {
      limited = true;
      return;
    }
    // A copy: the push_back below may move the path.
    const Certificate tip = path.back();
    if (contains(anchors, tip)) {
      found.push_back(path);
      return;
    }
    if (path.size() >= max_depth) {
      limited = true;
      return;
    }
    // Anchors first, so the shortest chains come first.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& issuer : candidates) {
        if (contains(anchors, issuer) != (pass == 0)) continue;
        if (!audit_detail::may_have_issued(issuer, tip)) continue;
        // RFC 4158 §2.4.2: the same CA (name and key) twice in a path is a loop, even when
        // the two certificates differ (cross-certificates pointing back at each other).
        if (std::any_of(path.begin(), path.end(), [&](const Certificate& c) {
              return audit_detail::same_subject_and_key(c, issuer);
            })) {
          continue;
        }
        path.push_back(issuer);
        extend(path);
        path.pop_back();
        if (limited && found.size() >= max_chains) return;
      }
    }
  }
};

// --- findings about one certificate --------------------------------------------------------

void add(std::vector<Finding>& out, Severity s, std::string code, std::string text) {
  out.push_back({s, std::move(code), std::move(text)});
}

void validity_findings(const Certificate& cert, TimePoint when, int warn_days,
                       std::vector<Finding>& out) {
  if (when > cert.not_after()) {
    add(out, Severity::Error, "cert_expired",
        fmt::format("expired on {}: renew it or remove it from use", day(cert.not_after())));
  } else if (when < cert.not_before()) {
    add(out, Severity::Error, "cert_not_yet_valid",
        fmt::format("not valid before {}: check the issuer's clock or wait",
                    day(cert.not_before())));
  } else if (cert.not_after() - when < std::chrono::hours(24) * warn_days) {
    const auto days =
        std::chrono::duration_cast<std::chrono::hours>(cert.not_after() - when).count() / 24;
    add(out, Severity::Warning, "cert_expiring",
        fmt::format("expires on {}, in {} days: renew it soon", day(cert.not_after()), days));
  } else {
    add(out, Severity::Info, "validity",
        fmt::format("valid from {} until {}", day(cert.not_before()), day(cert.not_after())));
  }
}

void key_findings(const Certificate& cert, const Extensions& ext, std::vector<Finding>& out) {
  const std::string& key = cert.key_description();
  const int bits = cert.key_security_bits();
  if (cert.has_rsa_key() && bits < 112) {
    add(out, Severity::Error, "rsa_key_too_short",
        fmt::format("{} key is too short (at least RSA-2048 is needed): replace the key", key));
  } else if (!ext.ec_curve.empty() && bits < 128) {
    add(out, Severity::Error, "curve_too_small",
        fmt::format("{} key is on a curve smaller than P-256: replace the key", key));
  } else if (bits < 112) {
    add(out, Severity::Error, "weak_key", fmt::format("{} key is too weak: replace the key", key));
  } else {
    add(out, Severity::Info, "key", fmt::format("{} key", key));
  }
}

void signature_findings(const Certificate& cert, Role role, std::vector<Finding>& out) {
  const std::string alg = lower(cert.signature_algorithm());
  const bool md5 = alg.find("md5") != std::string::npos || alg.find("md2") != std::string::npos ||
                   alg.find("md4") != std::string::npos;
  const bool sha1 = alg.find("sha1") != std::string::npos ||
                    alg.find("sha-1") != std::string::npos ||
                    alg.find("sha1with") != std::string::npos;
  if ((md5 || sha1) && role == Role::Anchor) {
    // RFC 5280 §6.1.1: an anchor is trusted as given; its self-signature is not relied on.
    add(out, Severity::Info, "anchor_weak_self_signature",
        fmt::format("self-signed with {}, which does not matter for a trust anchor",
                    cert.signature_algorithm()));
  } else if (md5) {
    add(out, Severity::Error, "md5_signature",
        fmt::format("signed with {}: MD5 signatures can be forged; have it reissued",
                    cert.signature_algorithm()));
  } else if (sha1) {
    add(out, Severity::Error, "sha1_signature",
        fmt::format("signed with {}: SHA-1 signatures can be forged; have it reissued with SHA-256",
                    cert.signature_algorithm()));
  } else {
    add(out, Severity::Info, "signature_algorithm",
        fmt::format("signed with {}", cert.signature_algorithm()));
  }
}

bool eku_allows_email(const Certificate& cert) {
  const auto& eku = cert.extended_key_usage();
  return eku.empty() || std::find(eku.begin(), eku.end(), kEmailProtection) != eku.end() ||
         std::find(eku.begin(), eku.end(), kAnyExtendedKeyUsage) != eku.end();
}

// RFC 8550 §4.4: signing needs digitalSignature or nonRepudiation; encryption needs
// keyEncipherment (RSA) or keyAgreement (EC, X25519); an EKU must allow emailProtection.
void usage_findings_end_entity(const Certificate& cert, std::vector<Finding>& out) {
  const KeyUsage& ku = cert.key_usage();
  const bool eku_ok = eku_allows_email(cert);
  const bool can_sign = !ku.present || ku.digital_signature || ku.non_repudiation;
  const bool can_encrypt =
      !ku.present || (cert.has_rsa_key() ? ku.key_encipherment : ku.key_agreement);
  if (!eku_ok) {
    add(out, Severity::Error, "eku_forbids_email",
        "extended key usage does not include emailProtection: it may not be used for mail; "
        "have it reissued with emailProtection");
    return;
  }
  if (!can_sign && !can_encrypt) {
    add(out, Severity::Error, "usage_unfit_for_mail",
        "key usage allows neither signing (digitalSignature, nonRepudiation) nor encryption "
        "(keyEncipherment for RSA, keyAgreement for EC): have it reissued");
  } else if (!can_sign) {
    add(out, Severity::Info, "usage_encryption_only",
        "fit for encryption only (no digitalSignature or nonRepudiation)");
  } else if (!can_encrypt) {
    add(out, Severity::Info, "usage_signing_only",
        fmt::format("fit for signing only (no {})",
                    cert.has_rsa_key() ? "keyEncipherment" : "keyAgreement"));
  } else {
    add(out, Severity::Info, "usage", "fit for signing and for encryption");
  }
  if (!ku.present) {
    add(out, Severity::Warning, "key_usage_missing",
        "has no key usage extension, so nothing limits what the key is used for");
  }
}

void ca_findings(const Certificate& cert, const Extensions& ext, std::vector<Finding>& out) {
  if (!ext.has_basic_constraints || !ext.ca) {
    add(out, Severity::Error, "not_a_ca",
        "issues certificates but its basic constraints do not say it is a CA (RFC 5280 §4.2.1.9)");
  } else if (ext.path_length) {
    add(out, Severity::Info, "basic_constraints",
        fmt::format("CA, at most {} CA certificate(s) below it", *ext.path_length));
  } else {
    add(out, Severity::Info, "basic_constraints", "CA, no path length limit");
  }
  const KeyUsage& ku = cert.key_usage();
  if (ku.present && !ku.key_cert_sign) {
    add(out, Severity::Error, "key_usage_forbids_cert_sign",
        "key usage lacks keyCertSign, so it may not issue certificates");
  } else if (!ku.present) {
    add(out, Severity::Warning, "key_usage_missing",
        "a CA without key usage extension (RFC 5280 §4.2.1.3 requires one)");
  }
  if (ku.present && !ku.crl_sign) {
    add(out, Severity::Info, "no_crl_sign", "key usage lacks cRLSign: it cannot sign its own CRLs");
  }
}

void extension_findings(const Certificate& cert, const Extensions& ext, Role role,
                        std::vector<Finding>& out) {
  if (role == Role::EndEntity) {
    if (cert.email_addresses().empty()) {
      add(out, Severity::Warning, "no_email_address",
          "names no email address, so mail signed with it cannot be bound to a sender");
    } else {
      std::string list;
      for (const auto& e : cert.email_addresses()) list += (list.empty() ? "" : ", ") + e;
      add(out, Severity::Info, "email_addresses", fmt::format("email: {}", list));
    }
    if (ext.has_basic_constraints && ext.ca) {
      add(out, Severity::Warning, "end_entity_is_ca",
          "an end-entity certificate that is also a CA: a user key should not issue certificates");
    }
  }
  if (!ext.permitted.empty() || !ext.excluded.empty()) {
    std::string text = "name constraints:";
    for (const auto& p : ext.permitted) text += " permitted " + p + ";";
    for (const auto& e : ext.excluded) text += " excluded " + e + ";";
    text.pop_back();
    add(out, Severity::Info, "name_constraints", text);
    if (!ext.name_constraints_critical) {
      add(out, Severity::Warning, "name_constraints_not_critical",
          "name constraints are not marked critical (RFC 5280 §4.2.1.10 requires it)");
    }
  }
  if (!ext.policies.empty()) {
    std::string list;
    for (const auto& p : ext.policies) list += (list.empty() ? "" : ", ") + p;
    add(out, Severity::Info, "policies", fmt::format("certificate policies: {}", list));
  }
  if (role == Role::Anchor) return;  // an anchor's AIA and CDP are never consulted
  if (!ext.ocsp_urls.empty() || !ext.ca_issuer_urls.empty()) {
    std::string list;
    for (const auto& u : ext.ocsp_urls) list += (list.empty() ? "OCSP " : ", OCSP ") + u;
    for (const auto& u : ext.ca_issuer_urls)
      list += (list.empty() ? "caIssuers " : ", caIssuers ") + u;
    add(out, Severity::Info, "aia", fmt::format("authority information access: {}", list));
  } else {
    add(out, Severity::Info, "no_aia", "no authority information access (no OCSP responder named)");
  }
  if (ext.has_crl_distribution_points) {
    std::string list;
    for (const auto& u : ext.crl_urls) list += (list.empty() ? "" : ", ") + u;
    add(out, Severity::Info, "cdp",
        fmt::format("CRL distribution point: {}", list.empty() ? "(no URI)" : list));
  } else {
    add(out, Severity::Info, "no_cdp",
        "no CRL distribution point: its issuer's CRL must be supplied by hand");
  }
}

RevocationState crl_state(const std::vector<Status>& statuses) {
  RevocationState s = RevocationState::NotChecked;
  for (Status st : statuses) {
    switch (st) {
      case Status::Revoked:
        return RevocationState::Revoked;
      case Status::CrlExpired:
      case Status::CrlNotYetValid:
      case Status::CrlSignatureInvalid:
      case Status::CaNotAllowedToSignCrl:
        s = RevocationState::Failed;
        break;
      case Status::RevocationChecked:
        if (s == RevocationState::NotChecked) s = RevocationState::Good;
        break;
      case Status::NoRevocationData:
        if (s == RevocationState::NotChecked) s = RevocationState::NoData;
        break;
      default:
        break;
    }
  }
  return s;
}

void revocation_findings(const CertificateAudit& link, std::vector<Finding>& out) {
  if (link.role == Role::Anchor) return;
  switch (link.revocation.crl) {
    case RevocationState::Revoked:
      add(out, Severity::Error, "revoked",
          "revoked: its issuer's CRL lists it; stop using it and get a new one");
      break;
    case RevocationState::Good:
      add(out, Severity::Info, "crl_good", "not revoked (CRL checked)");
      break;
    case RevocationState::Failed:
      add(out, Severity::Warning, "crl_failed",
          "its issuer's CRL could not be used (expired, not yet valid or badly signed): fetch a "
          "current one");
      break;
    case RevocationState::NoData:
    case RevocationState::NotChecked:
      if (link.revocation.ocsp == RevocationState::Good) break;
      add(out, Severity::Warning, "no_revocation_data",
          "revocation not checked: no CRL from its issuer was given (--crl) or could be fetched, "
          "and no OCSP responder answered");
      break;
  }
  if (link.revocation.ocsp == RevocationState::Good) {
    add(out, Severity::Info, "ocsp_good", "not revoked (its issuer's OCSP responder says good)");
  }
  // OCSP: reported only when PathValidator asked a responder (lib/trust, online revocation).
  if (link.revocation.ocsp == RevocationState::Revoked) {
    add(out, Severity::Error, "ocsp_revoked", "revoked according to its issuer's OCSP responder");
  }
}

// Statuses the audit has described in its own words already.
bool described_already(Status s) {
  switch (s) {
    case Status::Ok:
    case Status::RevocationChecked:
    case Status::NoRevocationData:
    case Status::CertExpired:
    case Status::CertNotYetValid:
    case Status::Revoked:
    case Status::WeakKey:
    case Status::UntrustedHash:
    case Status::CrlExpired:
    case Status::CrlNotYetValid:
    case Status::CrlSignatureInvalid:
      return true;
    default:
      return false;
  }
}

bool revocation_status(Status s) {
  return s == Status::Revoked || s == Status::CrlExpired || s == Status::CrlNotYetValid ||
         s == Status::CrlSignatureInvalid || s == Status::CaNotAllowedToSignCrl ||
         s == Status::NoRevocationData || s == Status::RevocationChecked;
}

// What the online lookup of lib/trust decided, from its own account (ChainLink::revocation):
// the attempts joined by "; ", the one that decided last, each "OCSP URL: ..." or "CRL URL: ...".
void apply_online_revocation(const std::string& how, const std::vector<Status>& statuses,
                             CertificateAudit& a) {
  if (how.empty()) return;
  const auto cut = how.rfind("; ");
  const std::string_view last =
      cut == std::string::npos ? std::string_view(how) : std::string_view(how).substr(cut + 2);
  RevocationState& state = last.starts_with("OCSP ") ? a.revocation.ocsp : a.revocation.crl;
  const auto has = [&](Status s) {
    return std::find(statuses.begin(), statuses.end(), s) != statuses.end();
  };
  if (has(Status::Revoked)) {
    state = RevocationState::Revoked;
  } else if (has(Status::RevocationChecked)) {
    state = RevocationState::Good;
  } else if (state == RevocationState::NotChecked) {
    state = RevocationState::NoData;
  }
  add(a.findings, Severity::Info, "revocation_online", fmt::format("looked up online: {}", how));
}

CertificateAudit describe(const Certificate& cert, Role role, const std::vector<Status>& statuses,
                          TimePoint when, int warn_days, const std::string& online = {}) {
  CertificateAudit a{cert, role, {}, {}};
  const Extensions ext = audit_detail::read_extensions(cert);
  validity_findings(cert, when, warn_days, a.findings);
  key_findings(cert, ext, a.findings);
  signature_findings(cert, role, a.findings);
  if (role == Role::EndEntity) {
    usage_findings_end_entity(cert, a.findings);
  } else {
    ca_findings(cert, ext, a.findings);
  }
  extension_findings(cert, ext, role, a.findings);
  a.revocation.crl = crl_state(statuses);
  apply_online_revocation(online, statuses, a);
  revocation_findings(a, a.findings);
  std::set<Status> seen;
  for (Status s : statuses) {
    if (described_already(s) || !is_error(s) || !seen.insert(s).second) continue;
    add(a.findings, Severity::Error, std::string(status_name(s)),
        fmt::format("path validation: {}", status_text(s)));
  }
  return a;
}

// --- one chain -----------------------------------------------------------------------------

bool botan_accepts_ignoring_revocation(const ValidationResult& r) {
  if (r.trusted || r.detail.rfind("OpenSSL: ", 0) == 0) return true;
  bool any_error = false;
  for (const auto& link : r.chain) {
    for (Status s : link.statuses) {
      if (is_error(s) && !revocation_status(s)) any_error = true;
    }
  }
  if (!is_error(r.status)) return !any_error;
  return !any_error && revocation_status(r.status);
}

ChainAudit judge_chain(const std::vector<Certificate>& path, const AuditInput& input,
                       TimePoint when) {
  TrustPolicy policy;
  policy.anchors = {path.back()};
  policy.crls = input.crls;
  policy.validation_time = when;
  policy.revocation = input.revocation;
  const PathValidator validator(std::move(policy));
  const std::vector<Certificate> middle(path.begin() + 1, path.end());
  const ValidationResult result = validator.validate(path.front(), middle);

  ChainAudit chain;
  chain.trusted = result.trusted;
  chain.reaches_anchor = true;
  chain.detail = result.detail;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const Role role =
        i == 0 ? Role::EndEntity : (i + 1 == path.size() ? Role::Anchor : Role::Intermediate);
    // Botan's chain is the one given (the anchor is the only one it may use); statuses are
    // matched by certificate in case it stopped early.
    std::vector<Status> statuses;
    std::string online;
    for (const auto& link : result.chain) {
      if (link.certificate == path[i]) {
        statuses = link.statuses;
        online = link.revocation;
      }
    }
    chain.links.push_back(describe(path[i], role, statuses, when, input.warn_days, online));
  }

  const auto openssl = audit_detail::openssl_verify(path, when);
  chain.openssl_trusted = !openssl.has_value();
  chain.openssl_detail = openssl.value_or("ok");
  if (chain.trusted) {
    add(chain.findings, Severity::Info, "chain_trusted",
        fmt::format("trusted: reaches the anchor {}", path.back().display_name()));
  } else {
    add(chain.findings, Severity::Error, "chain_not_trusted",
        fmt::format(
            "not trusted: {}",
            status_text(is_error(result.status) ? result.status : Status::InvalidCertificate)));
  }
  const bool botan_ok = botan_accepts_ignoring_revocation(result);
  if (botan_ok != chain.openssl_trusted) {
    add(chain.findings, Severity::Warning, "validators_disagree",
        fmt::format("Botan and OpenSSL disagree: Botan {} ({}), OpenSSL {} ({}); Botan decides",
                    botan_ok ? "accepts" : "rejects", result.detail,
                    chain.openssl_trusted ? "accepts" : "rejects", chain.openssl_detail));
  }
  return chain;
}

// When no chain reaches an anchor: what PathValidator makes of everything at hand.
ChainAudit untrusted_chain(const Certificate& leaf, const AuditInput& input, TimePoint when) {
  TrustPolicy policy;
  policy.anchors = input.anchors;
  policy.crls = input.crls;
  policy.validation_time = when;
  policy.revocation = input.revocation;
  const PathValidator validator(std::move(policy));
  const ValidationResult result = validator.validate(leaf, input.pool);
  ChainAudit chain;
  chain.detail = result.detail;
  chain.trusted = false;
  for (std::size_t i = 0; i < result.chain.size(); ++i) {
    const Certificate& cert = result.chain[i].certificate;
    const Role role = i == 0 ? Role::EndEntity
                             : (contains(input.anchors, cert) ? Role::Anchor : Role::Intermediate);
    chain.links.push_back(describe(cert, role, result.chain[i].statuses, when, input.warn_days,
                                   result.chain[i].revocation));
  }
  chain.reaches_anchor = !chain.links.empty() && chain.links.back().role == Role::Anchor;
  add(chain.findings, Severity::Error, "chain_not_trusted",
      fmt::format("not trusted: {}",
                  status_text(is_error(result.status) ? result.status : Status::NoTrustAnchor)));
  chain.openssl_trusted = false;
  chain.openssl_detail = "not asked: there is no chain to an anchor";
  return chain;
}

}  // namespace

std::string_view severity_name(Severity severity) noexcept {
  switch (severity) {
    case Severity::Info:
      return "info";
    case Severity::Warning:
      return "warning";
    case Severity::Error:
      return "error";
  }
  return "error";
}

std::string_view revocation_state_name(RevocationState state) noexcept {
  switch (state) {
    case RevocationState::NotChecked:
      return "not_checked";
    case RevocationState::Good:
      return "good";
    case RevocationState::Revoked:
      return "revoked";
    case RevocationState::NoData:
      return "no_data";
    case RevocationState::Failed:
      return "failed";
  }
  return "failed";
}

std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::EndEntity:
      return "end_entity";
    case Role::Intermediate:
      return "intermediate";
    case Role::Anchor:
      return "anchor";
  }
  return "end_entity";
}

std::string_view role_words(Role role) noexcept {
  switch (role) {
    case Role::EndEntity:
      return "end entity";
    case Role::Intermediate:
      return "intermediate CA";
    case Role::Anchor:
      return "trust anchor";
  }
  return "end entity";
}

Severity CertificateAudit::verdict() const noexcept {
  return worst_of(findings);
}

Severity ChainAudit::verdict() const noexcept {
  Severity s = worst_of(findings);
  for (const auto& l : links) s = worst(s, l.verdict());
  return s;
}

Severity EndEntityAudit::verdict() const noexcept {
  Severity s = worst_of(findings);
  bool any_trusted = false;
  for (const auto& c : chains) {
    any_trusted = any_trusted || c.trusted;
    s = worst(s, c.verdict());
  }
  return any_trusted ? s : Severity::Error;
}

bool AuditReport::has_errors() const noexcept {
  return std::any_of(entities.begin(), entities.end(),
                     [](const EndEntityAudit& e) { return e.verdict() == Severity::Error; });
}

AuditSubjects sort_audit_subjects(const std::vector<Certificate>& certs,
                                  const std::vector<Certificate>& anchors) {
  AuditSubjects out;
  std::vector<Certificate> cas;
  for (const auto& c : certs) {
    if (contains(out.end_entities, c) || contains(cas, c)) continue;
    (c.is_ca() ? cas : out.end_entities).push_back(c);
  }
  out.pool = cas;
  if (out.end_entities.empty()) {
    for (const auto& c : cas) {
      if (!contains(anchors, c)) out.end_entities.push_back(c);
    }
  }
  return out;
}

AuditReport audit_certificates(const AuditInput& input) {
  AuditReport report;
  report.time = input.time.value_or(std::chrono::system_clock::now());
  report.warn_days = input.warn_days;

  std::vector<Certificate> candidates = input.anchors;
  for (const auto& c : input.pool) {
    if (!contains(candidates, c)) candidates.push_back(c);
  }
  for (const auto& leaf : input.end_entities) {
    EndEntityAudit entity{leaf, {}, {}};
    ChainSearch search{candidates,
                       input.anchors,
                       std::max<std::size_t>(input.max_depth, 1),
                       std::max<std::size_t>(input.max_chains, 1),
                       0,
                       false,
                       {}};
    std::vector<Certificate> path{leaf};
    search.extend(path);
    for (const auto& found : search.found) {
      entity.chains.push_back(judge_chain(found, input, report.time));
    }
    if (entity.chains.empty()) {
      entity.chains.push_back(untrusted_chain(leaf, input, report.time));
      add(entity.findings, Severity::Error, "no_chain_to_anchor",
          input.anchors.empty()
              ? "no chain can be trusted: no trust anchor was given (--anchor)"
              : "no chain leads to a trust anchor: the issuer is missing or not trusted");
    } else {
      add(entity.findings, Severity::Info, "chains",
          fmt::format("{} chain(s) to an anchor", entity.chains.size()));
    }
    if (search.limited) {
      add(entity.findings, Severity::Warning, "chain_limit_reached",
          fmt::format("the search for chains stopped at its limits ({} chains, {} certificates "
                      "deep): more chains may exist",
                      search.max_chains, search.max_depth));
    }
    report.entities.push_back(std::move(entity));
  }
  return report;
}

}  // namespace smimekit

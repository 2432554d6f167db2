// RFC 5280 path validation through Botan, translated into smimekit's statuses.
#include <botan/certstor.h>
#include <botan/x509_crl.h>
#include <botan/x509cert.h>
#include <botan/x509path.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/x509_impl.h"
#include "smimekit/trust.h"
#include "trust/revocation.h"

namespace smimekit {

namespace {

using Code = Botan::Certificate_Status_Code;

Status translate(Code code) {
  switch (code) {
    case Code::OK: return Status::Ok;
    case Code::VALID_CRL_CHECKED: return Status::RevocationChecked;
    case Code::OCSP_RESPONSE_GOOD:
    case Code::OCSP_SIGNATURE_OK:
    case Code::OCSP_NO_HTTP:
    case Code::CERT_SERIAL_NEGATIVE:
    case Code::DN_TOO_LONG:
    case Code::OCSP_NO_REVOCATION_URL:
    case Code::OCSP_SERVER_NOT_AVAILABLE: return Status::Ok;
    case Code::SIGNATURE_METHOD_TOO_WEAK: return Status::WeakKey;
    case Code::UNTRUSTED_HASH: return Status::UntrustedHash;
    case Code::NO_REVOCATION_DATA:
    case Code::NO_MATCHING_CRLDP: return Status::NoRevocationData;
    case Code::CERT_NOT_YET_VALID: return Status::CertNotYetValid;
    case Code::CERT_HAS_EXPIRED: return Status::CertExpired;
    case Code::CRL_NOT_YET_VALID:
    case Code::OCSP_NOT_YET_VALID: return Status::CrlNotYetValid;
    case Code::CRL_HAS_EXPIRED:
    case Code::OCSP_HAS_EXPIRED:
    case Code::OCSP_IS_TOO_OLD: return Status::CrlExpired;
    case Code::CERT_ISSUER_NOT_FOUND: return Status::IssuerNotFound;
    case Code::CANNOT_ESTABLISH_TRUST:
    case Code::CHAIN_LACKS_TRUST_ROOT: return Status::NoTrustAnchor;
    case Code::CERT_CHAIN_LOOP: return Status::ChainLoop;
    case Code::CHAIN_NAME_MISMATCH: return Status::ChainNameMismatch;
    case Code::POLICY_ERROR:
    case Code::DUPLICATE_CERT_POLICY: return Status::PolicyError;
    case Code::INVALID_USAGE:
    case Code::CA_CERT_NOT_FOR_CERT_ISSUER: return Status::CaUsageInvalid;
    case Code::CERT_CHAIN_TOO_LONG: return Status::ChainTooLong;
    case Code::NAME_CONSTRAINT_ERROR: return Status::NameConstraintViolated;
    case Code::CA_CERT_NOT_FOR_CRL_ISSUER: return Status::CaNotAllowedToSignCrl;
    case Code::UNKNOWN_CRITICAL_EXTENSION: return Status::UnknownCriticalExtension;
    case Code::DUPLICATE_CERT_EXTENSION: return Status::DuplicateExtension;
    case Code::CERT_IS_REVOKED: return Status::Revoked;
    case Code::CRL_BAD_SIGNATURE: return Status::CrlSignatureInvalid;
    case Code::SIGNATURE_ERROR: return Status::CertSignatureInvalid;
    case Code::SIGNATURE_ALGO_UNKNOWN:
    case Code::SIGNATURE_ALGO_BAD_PARAMS: return Status::CertSignatureAlgorithmUnknown;
    default: return Status::InvalidCertificate;
  }
}

std::optional<Botan::X509_Certificate> to_botan(const Certificate& cert) {
  try {
    return Botan::X509_Certificate(cert.der());
  } catch (const std::exception&) {
    return std::nullopt;  // Botan is stricter than OpenSSL about some encodings
  }
}

std::string cache_key(const Certificate& leaf, const std::vector<Certificate>& extra) {
  std::vector<std::string> prints;
  prints.reserve(extra.size());
  for (const auto& c : extra) prints.push_back(c.fingerprint_sha256());
  std::sort(prints.begin(), prints.end());
  std::string key = leaf.fingerprint_sha256();
  for (const auto& p : prints) key += ":" + p;
  return key;
}

// OpenSSL's verdict on a chain Botan accepted, as the status of the certificate at fault.
struct SecondOpinion {
  Status status;
  std::size_t depth;
  std::string text;
};

Status translate_openssl(int error) {
  switch (error) {
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX: return Status::NameConstraintViolated;
    case X509_V_ERR_NO_EXPLICIT_POLICY:
    case X509_V_ERR_INVALID_POLICY_EXTENSION: return Status::PolicyError;
    case X509_V_ERR_CERT_HAS_EXPIRED: return Status::CertExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return Status::CertNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: return Status::IssuerNotFound;
    case X509_V_ERR_INVALID_CA: return Status::CaUsageInvalid;
    case X509_V_ERR_PATH_LENGTH_EXCEEDED: return Status::ChainTooLong;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE: return Status::CertSignatureInvalid;
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: return Status::UnknownCriticalExtension;
    default: return Status::InvalidCertificate;
  }
}

// Name-constraint cases Botan 2 and OpenSSL 3.0 both get wrong, in the unsafe direction:
// - RFC 5280 4.2.1.10: an excluded subtree whose rfc822Name, dNSName or URI base is empty
//   covers every name of that form (adding labels to the empty domain gives any domain); both
//   match nothing against an empty base, so a CA barred from every mail address could still
//   issue one;
// - RFC 9598 section 6: rfc822Name constraints apply to SmtpUTF8Mailbox names; Botan 2 does not
//   check them and OpenSSL 3.0 misses the ".domain" and mailbox forms. Like Botan 3, such a
//   name under any rfc822Name constraint is refused.
// The index of the first certificate below the CA that carries the name, and why.
struct NameConstraintGap {
  std::size_t at;
  std::string why;
};

std::optional<NameConstraintGap> name_constraint_gap(const std::vector<ChainLink>& chain) {
  using NamesPtr = std::unique_ptr<GENERAL_NAMES, ossl::Deleter<GENERAL_NAMES_free>>;
  auto has_name = [](const Certificate& cert, int type, int other_nid) {
    if (type == GEN_EMAIL && !cert.impl().emails.empty()) return true;
    NamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert.impl().x509.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int n = 0; names && n < sk_GENERAL_NAME_num(names.get()); ++n) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), n);
      if (gn->type != type) continue;
      if (type != GEN_OTHERNAME || OBJ_obj2nid(gn->d.otherName->type_id) == other_nid) return true;
    }
    return false;
  };
  std::optional<NameConstraintGap> gap;
  for (std::size_t ca = 1; ca < chain.size() && !gap; ++ca) {
    std::unique_ptr<NAME_CONSTRAINTS, ossl::Deleter<NAME_CONSTRAINTS_free>> nc(
        static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(chain[ca].certificate.impl().x509.get(),
                                                        NID_name_constraints, nullptr, nullptr)));
    if (!nc) continue;
    bool rfc822_constrained = false;
    for (auto* subtrees : {nc->permittedSubtrees, nc->excludedSubtrees}) {
      for (int i = 0; subtrees && i < sk_GENERAL_SUBTREE_num(subtrees); ++i) {
        const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(subtrees, i)->base;
        rfc822_constrained = rfc822_constrained || base->type == GEN_EMAIL;
        const bool empty_exclusion = subtrees == nc->excludedSubtrees &&
                                     (base->type == GEN_EMAIL || base->type == GEN_DNS ||
                                      base->type == GEN_URI) &&
                                     ASN1_STRING_length(base->d.ia5) == 0;
        for (std::size_t below = 0; empty_exclusion && !gap && below < ca; ++below) {
          if (has_name(chain[below].certificate, base->type, NID_undef)) {
            const char* form = base->type == GEN_EMAIL ? "rfc822Name"
                               : base->type == GEN_DNS ? "dNSName"
                                                       : "URI";
            gap = NameConstraintGap{
                below, fmt::format("a CA of the chain excludes every {0} (an empty excluded "
                                   "subtree) and a certificate below it carries a {0}",
                                   form)};
          }
        }
      }
    }
    for (std::size_t below = 0; rfc822_constrained && !gap && below < ca; ++below) {
      if (has_name(chain[below].certificate, GEN_OTHERNAME, NID_id_on_SmtpUTF8Mailbox)) {
        gap = NameConstraintGap{below,
                                "an SmtpUTF8Mailbox name under rfc822Name constraints, which "
                                "the validators do not fully check (RFC 9598 section 6)"};
      }
    }
  }
  ossl::clear_errors();
  return gap;
}

// Botan rebuilds each public key (with its Montgomery parameters) on every validation, which
// costs far more than the message's own signature check. A mailbox holds many messages from
// the same few signers, so results are kept for a short while: the policy is immutable, and
// an entry is reused only while its time is still inside every certificate's validity.
struct CachedResult {
  ValidationResult result;
  TimePoint computed_at;
  TimePoint valid_from;
  TimePoint valid_until;
};
constexpr auto kCacheLifetime = std::chrono::seconds(60);
// Bits of security every key must reach: RSA-2048 (112) and P-256 (128) do, RSA-1024 does not.
constexpr std::size_t kMinimumKeyStrength = 110;
constexpr std::size_t kCacheCapacity = 4096;

bool has_status(const ChainLink& link, Status s) {
  return std::find(link.statuses.begin(), link.statuses.end(), s) != link.statuses.end();
}

}  // namespace

struct PathValidator::Impl {
  TrustPolicy policy;
  Botan::Certificate_Store_In_Memory anchors;
  std::vector<Botan::X509_Certificate> intermediates;
  Botan::Path_Validation_Restrictions restrictions;
  ossl::X509StorePtr openssl_anchors;
  mutable std::mutex cache_mutex;
  mutable std::unordered_map<std::string, CachedResult> cache;
  std::optional<detail::RevocationChecker> revocation;

  ValidationResult validate_uncached(const Certificate& leaf, const std::vector<Certificate>& extra,
                                     TimePoint when) const;

  explicit Impl(TrustPolicy p)
      : policy(std::move(p)),
        // ocsp_all_intermediates is also Botan 2's "require revocation data for the CAs"
        // switch (merge_revocation_status): without it only the end entity needs a CRL, and
        // require_revocation_data promises one for every certificate of the chain.
        restrictions(policy.require_revocation_data, kMinimumKeyStrength,
                     policy.require_revocation_data,
                     policy.allow_sha1
                         ? std::set<std::string>{"SHA-160", "SHA-224", "SHA-256", "SHA-384",
                                                 "SHA-512"}
                         : std::set<std::string>{"SHA-224", "SHA-256", "SHA-384", "SHA-512"}) {
    for (const auto& a : policy.anchors) {
      if (auto b = to_botan(a)) anchors.add_certificate(*b);
    }
    for (const auto& c : policy.crls) {
      try {
        anchors.add_crl(Botan::X509_CRL(c.der()));
      } catch (const std::exception&) {
        // An unparsable CRL cannot revoke anything; it is as if it were absent.
      }
    }
    for (const auto& i : policy.intermediates) {
      if (auto b = to_botan(i)) intermediates.push_back(std::move(*b));
    }
    if (policy.revocation.mode != RevocationMode::Offline) revocation.emplace(policy.revocation);
    openssl_anchors.reset(X509_STORE_new());
    for (const auto& a : policy.anchors) X509_STORE_add_cert(openssl_anchors.get(), a.impl().x509.get());
    ossl::clear_errors();  // a duplicate anchor is not an error
  }

  std::optional<SecondOpinion> second_opinion(const Certificate& leaf,
                                              const std::vector<Certificate>& extra,
                                              TimePoint when) const;
  void check_revocation(ValidationResult& result) const;
};

PathValidator::PathValidator(TrustPolicy policy)
    : m_impl(std::make_unique<Impl>(std::move(policy))) {}
PathValidator::~PathValidator() = default;
PathValidator::PathValidator(PathValidator&&) noexcept = default;
PathValidator& PathValidator::operator=(PathValidator&&) noexcept = default;

const TrustPolicy& PathValidator::policy() const noexcept { return m_impl->policy; }

ValidationResult PathValidator::validate(const Certificate& leaf,
                                         const std::vector<Certificate>& extra) const {
  const TimePoint now = std::chrono::system_clock::now();
  const TimePoint when = m_impl->policy.validation_time.value_or(now);
  const std::string key = cache_key(leaf, extra);
  {
    std::lock_guard lock(m_impl->cache_mutex);
    const auto it = m_impl->cache.find(key);
    if (it != m_impl->cache.end()) {
      const CachedResult& c = it->second;
      const bool fixed_time = m_impl->policy.validation_time.has_value();
      if (when >= c.valid_from && when < c.valid_until &&
          (fixed_time || now - c.computed_at < kCacheLifetime)) {
        return c.result;
      }
    }
  }
  ValidationResult result = m_impl->validate_uncached(leaf, extra, when);
  CachedResult entry{result, now, TimePoint::min(), TimePoint::max()};
  if (m_impl->policy.validation_time) {
    entry.valid_from = entry.valid_until = when;
    entry.valid_until += std::chrono::seconds(1);
  } else {
    for (const auto& link : result.chain) {
      entry.valid_from = std::max(entry.valid_from, link.certificate.not_before());
      entry.valid_until = std::min(entry.valid_until, link.certificate.not_after());
    }
  }
  std::lock_guard lock(m_impl->cache_mutex);
  if (m_impl->cache.size() >= kCacheCapacity) m_impl->cache.clear();
  m_impl->cache.insert_or_assign(key, std::move(entry));
  return result;
}

// RFC 5280 processing that Botan 2 lacks — several name-constraint forms, among them the
// rfc822Name constraints that matter for mail — is checked by OpenSSL's verifier too: a chain
// is trusted only when both accept it. Revocation stays Botan's: OpenSSL is given no CRL.
std::optional<SecondOpinion> PathValidator::Impl::second_opinion(
    const Certificate& leaf, const std::vector<Certificate>& extra, TimePoint when) const {
  std::vector<Certificate> untrusted = extra;
  untrusted.insert(untrusted.end(), policy.intermediates.begin(), policy.intermediates.end());
  ossl::X509StackPtr chain = to_stack(untrusted);
  std::unique_ptr<X509_STORE_CTX, ossl::Deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), openssl_anchors.get(), leaf.impl().x509.get(),
                                  chain.get()) != 1) {
    ossl::clear_errors();
    return SecondOpinion{Status::InvalidCertificate, 0, "OpenSSL could not start verifying"};
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(when));
  // An anchor may be an intermediate, as in Botan. Policy processing is not asked for: with
  // it, OpenSSL 3.0 refused plain PKITS policy paths ("no explicit policy", 4.8.10).
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ossl::clear_errors();
  if (ok == 1) return std::nullopt;
  return SecondOpinion{translate_openssl(error), static_cast<std::size_t>(std::max(depth, 0)),
                       X509_verify_cert_error_string(error)};
}

ValidationResult PathValidator::Impl::validate_uncached(const Certificate& leaf,
                                                        const std::vector<Certificate>& extra,
                                                        TimePoint when) const {
  ValidationResult result;
  auto botan_leaf = to_botan(leaf);
  if (!botan_leaf) {
    result.status = Status::InvalidCertificate;
    result.detail = "the certificate could not be parsed for path validation";
    result.chain.push_back({leaf, {Status::InvalidCertificate}, {}});
    return result;
  }
  std::vector<Botan::X509_Certificate> end_certs{std::move(*botan_leaf)};
  for (const auto& c : extra) {
    if (c == leaf) continue;
    if (auto b = to_botan(c)) end_certs.push_back(std::move(*b));
  }
  end_certs.insert(end_certs.end(), intermediates.begin(), intermediates.end());

  std::vector<Botan::Certificate_Store*> stores{const_cast<Botan::Certificate_Store_In_Memory*>(&anchors)};
  Botan::Path_Validation_Result botan = [&] {
    try {
      return Botan::x509_path_validate(end_certs, restrictions, stores, "",
                                       Botan::Usage_Type::UNSPECIFIED, when);
    } catch (const std::exception& e) {
      return Botan::Path_Validation_Result(Code::SIGNATURE_ALGO_BAD_PARAMS);
    }
  }();

  result.detail = botan.result_string();
  const auto& path = botan.cert_path();
  const auto& statuses = botan.all_statuses();
  if (path.empty()) {
    ChainLink link{leaf, {}, {}};
    if (!statuses.empty()) {
      for (Code c : statuses.front()) link.statuses.push_back(translate(c));
    }
    if (link.statuses.empty()) link.statuses.push_back(translate(botan.result()));
    result.chain.push_back(std::move(link));
  } else {
    for (std::size_t i = 0; i < path.size(); ++i) {
      ChainLink link{i == 0 ? leaf : Certificate::from_der(path[i]->BER_encode()), {}, {}};
      if (i < statuses.size()) {
        for (Code c : statuses[i]) link.statuses.push_back(translate(c));
      }
      result.chain.push_back(std::move(link));
    }
  }
  result.trusted = botan.successful_validation();
  result.status = result.trusted ? Status::Ok : translate(botan.result());
  // Botan 2 reads the entries of a CRL even when its signature does not verify (check_crl in
  // x509path.cpp). Such a CRL says nothing: its bad signature is the finding, not "revoked".
  bool revoked = false;
  for (auto& link : result.chain) {
    if (has_status(link, Status::CrlSignatureInvalid)) std::erase(link.statuses, Status::Revoked);
    revoked = revoked || has_status(link, Status::Revoked);
  }
  if (result.status == Status::Revoked && !revoked) result.status = Status::CrlSignatureInvalid;
  if (result.trusted) {
    if (auto second = second_opinion(leaf, extra, when)) {
      result.trusted = false;
      result.status = second->status;
      const std::size_t at = std::min(second->depth, result.chain.size() - 1);
      result.chain[at].statuses.push_back(second->status);
      result.detail = fmt::format("OpenSSL: {}", second->text);
    }
  }
  if (result.trusted) {
    if (auto gap = name_constraint_gap(result.chain)) {
      result.trusted = false;
      result.status = Status::NameConstraintViolated;
      result.chain[gap->at].statuses.push_back(Status::NameConstraintViolated);
      result.detail = std::move(gap->why);
    }
  }
  // Botan weighs only the keys that sign certificates; the leaf's own key signs the mail.
  if (leaf.key_security_bits() < static_cast<int>(kMinimumKeyStrength)) {
    result.chain.front().statuses.push_back(Status::WeakKey);
    if (result.trusted) result.status = Status::WeakKey;
    result.trusted = false;
  }
  check_revocation(result);
  if (!result.trusted && !is_error(result.status)) result.status = Status::InvalidCertificate;
  return result;
}

// Online revocation runs only for a chain built to one of the user's anchors: before that,
// the certificates may be anyone's, and asking about them would tell their responders which
// mail is being read for nothing. The anchor itself is trusted as given.
void PathValidator::Impl::check_revocation(ValidationResult& result) const {
  if (!revocation || result.chain.size() < 2) return;
  const Certificate& top = result.chain.back().certificate;
  if (std::find(policy.anchors.begin(), policy.anchors.end(), top) == policy.anchors.end()) return;
  constexpr Status kBroken[] = {Status::IssuerNotFound,      Status::NoTrustAnchor,
                                Status::ChainLoop,           Status::ChainNameMismatch,
                                Status::CertSignatureInvalid, Status::CertSignatureAlgorithmUnknown};
  for (const auto& link : result.chain) {
    for (Status s : kBroken) {
      if (has_status(link, s)) return;
    }
  }
  bool revoked = false, unavailable = false;
  for (std::size_t i = 0; i + 1 < result.chain.size(); ++i) {
    ChainLink& link = result.chain[i];
    // A stored CRL (TrustPolicy::crls, checked by Botan) has already decided.
    if (has_status(link, Status::RevocationChecked) || has_status(link, Status::Revoked)) continue;
    std::erase(link.statuses, Status::NoRevocationData);
    const auto outcome = revocation->check(link.certificate, result.chain[i + 1].certificate);
    link.revocation = outcome.how;
    switch (outcome.kind) {
      case detail::RevocationOutcome::Kind::Good: link.statuses.push_back(Status::RevocationChecked); break;
      case detail::RevocationOutcome::Kind::Revoked:
        link.statuses.push_back(Status::Revoked);
        revoked = true;
        break;
      case detail::RevocationOutcome::Kind::Unknown:
        if (policy.revocation.mode == RevocationMode::HardFail) {
          link.statuses.push_back(Status::RevocationUnavailable);
          unavailable = true;
        } else {
          link.statuses.push_back(outcome.no_source ? Status::NoRevocationData
                                                    : Status::RevocationUnchecked);
        }
        break;
    }
  }
  if (revoked) {
    // Whatever else is wrong, that the key was revoked matters most.
    result.trusted = false;
    result.status = Status::Revoked;
  } else if (unavailable && result.trusted) {
    result.trusted = false;
    result.status = Status::RevocationUnavailable;
  }
}

}  // namespace smimekit

#include "smimekit/status.h"

namespace smimekit {

namespace {

struct StatusInfo {
  Status status;
  std::string_view name;
  std::string_view text;
};

constexpr StatusInfo kStatuses[] = {
    {Status::Ok, "ok", "no problem found"},
    {Status::RevocationChecked, "revocation_checked",
     "checked against its issuer's CRL or OCSP responder"},
    {Status::NoRevocationData, "no_revocation_data", "no CRL was available to check revocation"},
    {Status::NoSigningTime, "no_signing_time", "the signature carries no signing time"},
    {Status::RevocationUnchecked, "revocation_unchecked",
     "revocation could not be checked: no OCSP responder or CRL server gave a usable answer"},
    {Status::WeakDigest, "weak_digest",
     "the message is signed with a weak digest (SHA-1 or older); use --allow-sha1 to accept SHA-1"},
    {Status::WeakKey, "weak_key", "a key in the chain is too short"},
    {Status::UntrustedHash, "untrusted_hash",
     "a certificate in the chain is signed with a weak hash (SHA-1 or older)"},
    {Status::KeyUsageForbidsSigning, "key_usage_forbids_signing",
     "the signer certificate's key usage does not allow signatures"},
    {Status::ExtKeyUsageForbidsEmail, "eku_forbids_email",
     "the signer certificate's extended key usage does not include email protection"},
    {Status::NoEmailInCertificate, "no_email_in_certificate",
     "the signer certificate names no email address"},
    {Status::AddressMismatch, "address_mismatch", "signer address does not match From"},
    {Status::NoFromAddress, "no_from_address",
     "the message has no From address to compare with the signer"},
    {Status::KeyUsageForbidsEncryption, "key_usage_forbids_encryption",
     "the certificate's key usage does not allow encryption (keyEncipherment for RSA, "
     "keyAgreement for EC)"},
    {Status::KeyCannotEncrypt, "key_cannot_encrypt",
     "the certificate's key can only sign (Ed25519, Ed448, DSA): nothing can be encrypted to it"},
    {Status::CertNotYetValid, "cert_not_yet_valid", "a certificate in the chain is not yet valid"},
    {Status::CertExpired, "cert_expired", "a certificate in the chain has expired"},
    {Status::CrlNotYetValid, "crl_not_yet_valid", "a CRL is not yet valid"},
    {Status::CrlExpired, "crl_expired", "a CRL has expired (its nextUpdate has passed)"},
    {Status::IssuerNotFound, "issuer_not_found",
     "the issuer of a certificate in the chain was not found, so the chain does not reach a "
     "trust anchor"},
    {Status::NoTrustAnchor, "no_trust_anchor", "the chain does not end at a trust anchor"},
    {Status::ChainLoop, "chain_loop", "the certificate chain loops"},
    {Status::ChainNameMismatch, "chain_name_mismatch",
     "a certificate's issuer name does not match the subject of the next one"},
    {Status::PolicyError, "policy_error", "the certificate policies of the chain are not acceptable"},
    {Status::CaUsageInvalid, "ca_usage_invalid",
     "a certificate in the chain is not allowed to issue certificates"},
    {Status::ChainTooLong, "chain_too_long", "the chain is longer than a path length constraint allows"},
    {Status::NameConstraintViolated, "name_constraint_violated",
     "a certificate violates a name constraint of its issuer"},
    {Status::CaNotAllowedToSignCrl, "ca_not_allowed_to_sign_crl",
     "a CRL was signed by a key not allowed to sign CRLs"},
    {Status::UnknownCriticalExtension, "unknown_critical_extension",
     "a certificate has a critical extension that is not understood"},
    {Status::DuplicateExtension, "duplicate_extension", "a certificate repeats an extension"},
    {Status::InvalidCertificate, "invalid_certificate", "a certificate in the chain is malformed"},
    {Status::Revoked, "revoked", "a certificate in the chain has been revoked"},
    {Status::RevocationUnavailable, "revocation_unavailable",
     "the revocation status of a certificate in the chain could not be established, and "
     "--revocation hard requires it"},
    {Status::CrlSignatureInvalid, "crl_signature_invalid", "a CRL's signature does not verify"},
    {Status::CertSignatureInvalid, "cert_signature_invalid",
     "a certificate's signature does not verify"},
    {Status::CertSignatureAlgorithmUnknown, "cert_signature_algorithm_unknown",
     "a certificate is signed with an unknown or malformed algorithm"},
    {Status::SignatureInvalid, "signature_invalid",
     "the signature does not match the content: the message was changed after signing"},
    {Status::SignerCertificateMissing, "signer_certificate_missing",
     "the signer's certificate is not in the message and was not given"},
    {Status::SignedAttributesInvalid, "signed_attributes_invalid",
     "the signed attributes are missing, repeated or malformed"},
    {Status::DigestAlgorithmUnsupported, "digest_algorithm_unsupported",
     "the digest algorithm is unknown or not supported"},
    {Status::ContentMismatch, "content_mismatch",
     "the signature carries content of its own beside the signed MIME part"},
    {Status::SignatureUnreadable, "signature_unreadable",
     "the signature part is not valid CMS SignedData (damaged or truncated)"},
};

const StatusInfo* find(Status s) noexcept {
  for (const auto& info : kStatuses) {
    if (info.status == s) return &info;
  }
  return nullptr;
}

}  // namespace

std::string_view status_text(Status status) noexcept {
  const auto* info = find(status);
  return info != nullptr ? info->text : "unknown status";
}

std::string_view status_name(Status status) noexcept {
  const auto* info = find(status);
  return info != nullptr ? info->name : "unknown";
}

}  // namespace smimekit

// smimekit — verification statuses.
//
// Like Botan's Certificate_Status_Code, statuses come in numbered bands; anything at or above
// 1000 is an error that makes a verdict invalid. Below 1000 are notes and warnings.
#pragma once

#include <string_view>

namespace smimekit {

enum class Status : int {
  Ok = 0,
  RevocationChecked = 1,  ///< a CRL or an OCSP response for this certificate was consulted

  // 500: warnings — reported, but they do not make a verdict invalid.
  NoRevocationData = 500,  ///< no CRL was available for this certificate
  NoSigningTime = 501,     ///< the signer gave no signingTime attribute
  RevocationUnchecked = 502,  ///< soft-fail: no responder or CRL server gave a usable answer

  // 1000: algorithms and S/MIME policy (RFC 8550, RFC 8551)
  WeakDigest = 1000,              ///< the message was signed with SHA-1 (or worse)
  WeakKey = 1001,                 ///< a key in the chain is too short
  UntrustedHash = 1002,           ///< a certificate in the chain is signed with a weak hash
  KeyUsageForbidsSigning = 1010,  ///< keyUsage lacks digitalSignature and nonRepudiation
  ExtKeyUsageForbidsEmail = 1011, ///< extendedKeyUsage lacks emailProtection and anyExtendedKeyUsage
  NoEmailInCertificate = 1012,    ///< the signer certificate names no email address
  AddressMismatch = 1013,         ///< the From (or Sender) address is not in the signer certificate
  NoFromAddress = 1014,           ///< the message has no usable From address to bind to
  KeyUsageForbidsEncryption = 1015, ///< keyUsage lacks keyEncipherment (RSA) or keyAgreement (EC)
  KeyCannotEncrypt = 1016,        ///< a signature-only key type (Ed25519, DSA): nothing can be encrypted to it

  // 2000: time
  CertNotYetValid = 2000,
  CertExpired = 2001,
  CrlNotYetValid = 2002,
  CrlExpired = 2003,

  // 3000: chain building
  IssuerNotFound = 3000,     ///< no issuer certificate for some certificate of the chain
  NoTrustAnchor = 3001,      ///< the chain does not end at one of the trust anchors
  ChainLoop = 3002,
  ChainNameMismatch = 3003,

  // 4000: certificate content and constraints (RFC 5280)
  PolicyError = 4000,
  CaUsageInvalid = 4001,         ///< a CA may not issue certificates (basicConstraints/keyUsage)
  ChainTooLong = 4002,           ///< pathLenConstraint exceeded
  NameConstraintViolated = 4003,
  CaNotAllowedToSignCrl = 4004,
  UnknownCriticalExtension = 4005,
  DuplicateExtension = 4006,
  InvalidCertificate = 4007,     ///< some other RFC 5280 rule is broken (see the detail text)

  // 5000: cryptographic failure and revocation
  Revoked = 5000,
  RevocationUnavailable = 5004,  ///< hard-fail: the revocation status could not be established
  CrlSignatureInvalid = 5001,
  CertSignatureInvalid = 5002,      ///< a certificate's signature does not verify
  CertSignatureAlgorithmUnknown = 5003,
  SignatureInvalid = 5100,          ///< the message signature does not verify
  SignerCertificateMissing = 5101,  ///< the signer's certificate is neither in the message nor given
  SignedAttributesInvalid = 5102,   ///< contentType/messageDigest attributes missing or wrong
  DigestAlgorithmUnsupported = 5103,
  ContentMismatch = 5104,           ///< a detached signature also carries content of its own
  SignatureUnreadable = 5105,       ///< the signature part is not valid CMS SignedData
};

/// A sentence for people ("the certificate has expired").
[[nodiscard]] std::string_view status_text(Status status) noexcept;
/// A stable identifier for machines ("cert_expired").
[[nodiscard]] std::string_view status_name(Status status) noexcept;
/// True for statuses in the error bands (1000 and up).
[[nodiscard]] constexpr bool is_error(Status status) noexcept {
  return static_cast<int>(status) >= 1000;
}

}  // namespace smimekit

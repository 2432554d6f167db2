// The OpenSSL objects behind Certificate, Crl and PrivateKey. Internal to the library:
// other modules include this to reach the raw handles.
#pragma once

#include "core/openssl.h"
#include "smimekit/certificate.h"

namespace smimekit {

struct Certificate::Impl {
  ossl::X509Ptr x509;
  std::vector<std::uint8_t> der;
  std::string subject, issuer, display_name, serial_hex, fingerprint, key_description,
      signature_algorithm;
  std::vector<std::string> emails, eku;
  TimePoint not_before{}, not_after{};
  bool self_issued = false, ca = false, rsa = false;
  int security_bits = 0;
  KeyUsage key_usage;
};

struct Crl::Impl {
  ossl::X509CrlPtr crl;
  std::vector<std::uint8_t> der;
  std::string issuer;
};

struct PrivateKey::Impl {
  ossl::PkeyPtr pkey;
};

/// Parses DER through a process-wide cache keyed by the SHA-256 of the bytes: the same
/// certificates arrive with every message of a correspondent, and OpenSSL 3.0 pays dearly
/// for each public key it decodes. Throws Error(Input) like Certificate::from_der.
[[nodiscard]] Certificate cached_certificate(std::span<const std::uint8_t> der);

/// Wraps an X509 the caller owns a reference to (takes that reference).
[[nodiscard]] Certificate certificate_from_x509(ossl::X509Ptr x509);

/// One-line distinguished name, most significant RDN last ("CN=Alice, O=Example").
[[nodiscard]] std::string name_to_string(const X509_NAME* name);

/// "RSA-2048", "EC P-256", ...
[[nodiscard]] std::string describe_key(const EVP_PKEY* key);

/// The reference RFC 5652's IssuerAndSerialNumber makes, from its parsed parts.
[[nodiscard]] CertificateRef certificate_ref(const X509_NAME* issuer, const ASN1_INTEGER* serial);

/// A new STACK_OF(X509) holding references to CERTS.
[[nodiscard]] ossl::X509StackPtr to_stack(const std::vector<Certificate>& certs);

}  // namespace smimekit

// What the attack-class tests (attack_*_test.cpp) share beyond security_support.h: questions
// about a Report, messages put together by hand, and certificates made on the spot with
// OpenSSL's C API (a hostile signer's self-signed root, a chain a thousand certificates long).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "security_support.h"
#include "smimekit/certificate.h"

namespace smimekit::security {

// ---------------------------------------------------------------------------------------
// The Report

/// True when one of REPORT's reasons contains TEXT.
[[nodiscard]] bool has_reason(const Report& report, std::string_view text);
/// True when some signer of some layer has STATUS among its problems.
[[nodiscard]] bool has_problem(const Report& report, Status status);
/// The report as JSON, for failure messages.
[[nodiscard]] std::string dump(const Report& report);

// ---------------------------------------------------------------------------------------
// Messages

/// A plain-text message: HEADER_LINES (each ending in \n: From, Sender, ...) then To, Subject,
/// Date, Message-ID and a text/plain body. LF line ends.
[[nodiscard]] std::string plain_message(
    const std::string& header_lines, const std::string& body = "Please pay the invoice today.\n");
/// Top-level header fields (From FROM, To bob, Subject, Date, MIME-Version) and
/// Content-Type CONTENT_TYPE, followed by the blank line. LF line ends.
[[nodiscard]] std::string outer(const std::string& from, const std::string& content_type);
/// Alice's genuine signature over a short text, in the FORMAT asked for (a whole message).
[[nodiscard]] std::string alice_signed(SignFormat format = SignFormat::Detached);
/// The DER in the application/pkcs7-signature part of a multipart/signed MESSAGE (LF).
[[nodiscard]] std::string signature_der(const std::string& message);
/// MESSAGE with the body of its application/pkcs7-signature part replaced by DER in base64.
[[nodiscard]] std::string with_signature_der(const std::string& message, const std::string& der);
/// The MIME entity of a whole MESSAGE (its Content-* fields and body, LF), to put inside
/// another message as a part.
[[nodiscard]] std::string as_part(const std::string& message);

// ---------------------------------------------------------------------------------------
// Certificates made in the test

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CertPtr = std::unique_ptr<X509, X509Free>;

/// A fresh EC P-256 key (fast to make and to use).
[[nodiscard]] KeyPtr new_ec_key();
/// The private key in PEM file PATH (certs/demo/root.key, say).
[[nodiscard]] KeyPtr read_key(const std::filesystem::path& path);
/// The first certificate in PEM file PATH.
[[nodiscard]] CertPtr read_cert(const std::filesystem::path& path);

struct CertSpec {
  std::string common_name;
  bool ca = false;
  std::vector<std::string> emails;  ///< rfc822Name subjectAltNames (end entities)
  long serial = 1;
  /// When set, the subject is a copy of this name instead of O=..., CN=COMMON_NAME.
  const X509_NAME* subject = nullptr;
};

/// Issues a certificate for SUBJECT_KEY, signed by ISSUER_KEY as ISSUER (self-signed when
/// ISSUER is null), SHA-256, valid from yesterday for ten years. A CA gets
/// basicConstraints CA:TRUE and keyCertSign; an end entity digitalSignature and
/// emailProtection.
[[nodiscard]] CertPtr issue(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                            EVP_PKEY* issuer_key);

/// The library's views of the same objects.
[[nodiscard]] Certificate to_certificate(X509* cert);
[[nodiscard]] Identity to_identity(EVP_PKEY* key, X509* cert,
                                   const std::vector<Certificate>& chain);

}  // namespace smimekit::security

// smimekit — X.509 certificates, CRLs, private keys and signing identities.
//
// These are value types: copying one shares the immutable parsed object underneath.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/secret.h"

namespace smimekit {

using TimePoint = std::chrono::system_clock::time_point;

/// The keyUsage bits of RFC 5280 §4.2.1.3 that S/MIME cares about.
struct KeyUsage {
  bool present = false;  ///< false: the extension is absent, so every use is allowed
  bool digital_signature = false;
  bool non_repudiation = false;
  bool key_encipherment = false;
  bool key_agreement = false;
  bool key_cert_sign = false;
  bool crl_sign = false;
};

/// An X.509 certificate.
class Certificate {
 public:
  /// Parses one DER certificate. Throws Error(Input) when it is not one.
  [[nodiscard]] static Certificate from_der(std::span<const std::uint8_t> der);

  [[nodiscard]] const std::vector<std::uint8_t>& der() const noexcept;
  /// Subject and issuer as one line, most significant RDN last ("CN=Alice Demo, O=smimekit demo").
  [[nodiscard]] const std::string& subject() const noexcept;
  [[nodiscard]] const std::string& issuer() const noexcept;
  /// The subject's commonName, or the whole subject when there is none.
  [[nodiscard]] const std::string& display_name() const noexcept;
  [[nodiscard]] const std::string& serial_hex() const noexcept;
  /// SHA-256 over the DER, lowercase hex without separators.
  [[nodiscard]] const std::string& fingerprint_sha256() const noexcept;
  /// rfc822Name entries of subjectAltName; when there are none, the emailAddress attributes
  /// of the subject DN (RFC 8550 §3). Returned as written in the certificate.
  [[nodiscard]] const std::vector<std::string>& email_addresses() const noexcept;
  [[nodiscard]] TimePoint not_before() const noexcept;
  [[nodiscard]] TimePoint not_after() const noexcept;
  [[nodiscard]] bool is_self_issued() const noexcept;
  [[nodiscard]] bool is_ca() const noexcept;
  /// "RSA-2048", "EC P-256", "Ed25519", ...
  [[nodiscard]] const std::string& key_description() const noexcept;
  [[nodiscard]] bool has_rsa_key() const noexcept;
  /// The key's strength in bits of security (NIST SP 800-57): RSA-2048 112, P-256 128.
  [[nodiscard]] int key_security_bits() const noexcept;
  [[nodiscard]] const KeyUsage& key_usage() const noexcept;
  /// Dotted OIDs of extendedKeyUsage; empty when the extension is absent.
  [[nodiscard]] const std::vector<std::string>& extended_key_usage() const noexcept;
  /// Name of the algorithm that signed this certificate ("sha256WithRSAEncryption").
  [[nodiscard]] const std::string& signature_algorithm() const noexcept;
  /// The octets of the subjectKeyIdentifier extension (RFC 5280 §4.2.1.2); empty without one.
  [[nodiscard]] std::vector<std::uint8_t> subject_key_id() const;

  friend bool operator==(const Certificate& a, const Certificate& b) noexcept;

  struct Impl;
  explicit Certificate(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
  [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

 private:
  std::shared_ptr<const Impl> m_impl;
};

/// Parses every certificate in BYTES: PEM with one or more CERTIFICATE blocks, or one DER
/// certificate. ORIGIN names the source in error messages. Throws Error(Input) on garbage.
[[nodiscard]] std::vector<Certificate> parse_certificates(std::string_view bytes,
                                                          std::string_view origin);

/// Loads the certificates of a file (as parse_certificates) or of every regular file in a
/// directory (not recursive; files that hold no certificate are an error).
[[nodiscard]] std::vector<Certificate> load_certificates(const std::filesystem::path& path);

/// How CMS names a certificate (RFC 5652 §10.2.4 and §6.2.2): by its issuer and serial
/// number, or by its subject key identifier. sMIMEEncryptionKeyPreference (RFC 8551 §2.5.3)
/// names the certificate a correspondent wants mail encrypted to this way.
struct CertificateRef {
  /// The issuer Name in DER and the serial number as Certificate::serial_hex() writes it;
  /// both empty for a reference by key identifier.
  std::vector<std::uint8_t> issuer_der;
  std::string serial_hex;
  /// The subjectKeyIdentifier octets; empty for a reference by issuer and serial number.
  std::vector<std::uint8_t> subject_key_id;

  /// The reference to CERT by issuer and serial number.
  [[nodiscard]] static CertificateRef issuer_and_serial_of(const Certificate& cert);
  /// True when this names CERT: same issuer (compared as X.509 names are, RFC 5280 §7.1) and
  /// serial number, or the same octets in CERT's subjectKeyIdentifier extension.
  [[nodiscard]] bool names(const Certificate& cert) const;
  /// In words: "issuer CN=Demo CA, serial 1A2B" or "subject key identifier 3f:0a:...".
  [[nodiscard]] std::string describe() const;
};

/// A certificate revocation list.
class Crl {
 public:
  [[nodiscard]] static Crl from_der(std::span<const std::uint8_t> der);
  [[nodiscard]] const std::vector<std::uint8_t>& der() const noexcept;
  [[nodiscard]] const std::string& issuer() const noexcept;
  [[nodiscard]] TimePoint this_update() const;
  /// Absent when the CRL names no nextUpdate.
  [[nodiscard]] std::optional<TimePoint> next_update() const;
  /// How many certificates it lists as revoked.
  [[nodiscard]] std::size_t revoked_count() const noexcept;

  struct Impl;
  explicit Crl(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
  [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

 private:
  std::shared_ptr<const Impl> m_impl;
};

/// Parses every CRL in BYTES (PEM X509 CRL blocks, or one DER CRL).
[[nodiscard]] std::vector<Crl> parse_crls(std::string_view bytes, std::string_view origin);
/// Loads the CRLs of a file or of every regular file in a directory.
[[nodiscard]] std::vector<Crl> load_crls(const std::filesystem::path& path);

/// A private key.
class PrivateKey {
 public:
  /// "RSA-2048", "EC P-256", ...
  [[nodiscard]] std::string description() const;

  struct Impl;
  explicit PrivateKey(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
  [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

 private:
  std::shared_ptr<const Impl> m_impl;
};

/// Loads a private key from PEM or DER, PKCS#8 (encrypted or not) or the traditional
/// formats. PASSWORD is needed only for an encrypted key: without one, an encrypted key
/// gives Error(Password) saying so; a wrong one gives Error(Password) too.
[[nodiscard]] PrivateKey load_private_key(const std::filesystem::path& path,
                                          const Secret* password);
/// The same for key bytes already in memory; ORIGIN names them in error messages.
[[nodiscard]] PrivateKey parse_private_key(std::string_view bytes, std::string_view origin,
                                           const Secret* password);

/// Whoever signs (or, later, decrypts): a key, its certificate and the chain to send along.
struct Identity {
  PrivateKey key;
  Certificate certificate;
  std::vector<Certificate> chain;  ///< intermediates (and optionally the root), not the leaf
};

/// Puts an identity together, checking that KEY belongs to CERTIFICATE (Error(Usage) if not).
[[nodiscard]] Identity make_identity(PrivateKey key, Certificate certificate,
                                     std::vector<Certificate> chain);

/// Loads an identity from a PKCS#12 file. Throws Error(Password) for a wrong password.
[[nodiscard]] Identity load_pkcs12(const std::filesystem::path& path, const Secret& password);

}  // namespace smimekit

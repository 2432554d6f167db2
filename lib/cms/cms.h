// CMS (RFC 5652) SignedData through OpenSSL: create and check signatures over bytes.
// Internal to the library; lib/mail puts MIME around it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/mail.h"
#include "smimekit/status.h"

namespace smimekit::cms {

/// The content ciphers smimekit can write, strongest first: the SMIMECapabilities it
/// announces, and the names it gives those a correspondent announces.
inline constexpr ContentCipher kContentCiphers[] = {ContentCipher::Aes256Gcm,
                                                    ContentCipher::Aes128Gcm,
                                                    ContentCipher::Aes256Cbc,
                                                    ContentCipher::Aes128Cbc};

/// OpenSSL's NID of CIPHER's algorithm identifier (NID_aes_256_gcm, ...).
[[nodiscard]] int cipher_nid(ContentCipher cipher);

struct SignParams {
  DigestAlgorithm digest = DigestAlgorithm::Sha256;
  bool rsa_pss = false;
  /// True: the content is left out of the SignedData (for multipart/signed).
  bool detached = true;
};

/// Signs CONTENT (already canonical) and returns the DER of a ContentInfo holding SignedData
/// with the signed attributes of RFC 8551 §2.5 and the signer's chain.
[[nodiscard]] std::string sign(std::string_view content, const Identity& signer,
                               const SignParams& params);

/// What was found about one SignerInfo. Trust is not judged here, only the cryptography.
struct SignerCheck {
  std::optional<Certificate> certificate;
  std::string digest_algorithm;     ///< "sha256"
  std::string signature_algorithm;  ///< "rsaEncryption", "RSASSA-PSS", "ecdsa-with-SHA256"
  std::optional<TimePoint> signing_time;
  /// A signed sMIMEEncryptionKeyPreference attribute (RFC 8551 §2.5.3, any of its forms, or
  /// Microsoft's attribute of the same meaning), when present and well formed.
  std::optional<CertificateRef> encryption_key_preference;
  /// The certificate it names, when the SignedData carries it or it was given.
  std::optional<Certificate> preferred_certificate;
  /// The signed SMIMECapabilities (RFC 8551 §2.5.2), most preferred first.
  std::vector<std::string> capabilities;
  Status signature = Status::Ok;
  /// SHA-1 is weak but may be allowed by policy; MD5 and older never are.
  bool sha1_digest = false;
  bool broken_digest = false;
};

struct SignedDataCheck {
  std::vector<SignerCheck> signers;
  /// Every certificate the SignedData carries.
  std::vector<Certificate> certificates;
  /// The encapsulated content, when the SignedData carries it.
  std::optional<std::string> content;
  /// A detached signature was expected, yet the SignedData also carries content.
  bool unexpected_content = false;
};

/// Checks every signature of the SignedData in DER. DETACHED is the externally supplied
/// content (multipart/signed) or null for encapsulated content. EXTRA are certificates that
/// may identify signers in addition to those carried. Throws Error(Input) when DER is not a
/// CMS SignedData at all; a SignedData whose signatures fail is a value, not an error.
[[nodiscard]] SignedDataCheck check_signed_data(std::string_view der, const std::string* detached,
                                                const std::vector<Certificate>& extra);


}  // namespace smimekit::cms

namespace smimekit::cms {

struct EncryptParams {
  ContentCipher cipher = ContentCipher::Aes256Gcm;
  /// RSA recipients: PKCS#1 v1.5 key transport instead of RSAES-OAEP with SHA-256.
  bool rsa_pkcs1 = false;
};

/// Encrypts CONTENT for every certificate in RECIPIENTS and returns the DER ContentInfo:
/// AuthEnvelopedData (RFC 5083) for GCM, EnvelopedData (RFC 5652 §6) for CBC.
[[nodiscard]] std::string encrypt(std::string_view content,
                                  const std::vector<Certificate>& recipients,
                                  const EncryptParams& params);

enum class EnvelopeKind { Enveloped, AuthEnveloped, Signed, Other };
/// What kind of CMS object DER is (Other also for garbage).
[[nodiscard]] EnvelopeKind envelope_kind(std::string_view der);

struct Decrypted {
  std::string content;
  std::string cipher;       ///< "aes-256-gcm", "aes-256-cbc", ...
  bool authenticated = false;  ///< AuthEnvelopedData whose tag was checked
  bool legacy_cipher = false;  ///< RC2 or single DES: old mail, readable but weak
  std::string recipient;    ///< fingerprint of the certificate whose key opened it
};

/// Decrypts DER with the first identity that is a recipient. The plaintext is returned only
/// after OpenSSL finished the whole decryption, and for AuthEnvelopedData only after the
/// authentication tag matched. Throws Error(Input) for malformed data, Error(NotRecipient)
/// when none of IDENTITIES is a recipient, Error(Decryption) when decryption or
/// authentication fails.
[[nodiscard]] Decrypted decrypt(std::string_view der, const std::vector<Identity>& identities);

}  // namespace smimekit::cms

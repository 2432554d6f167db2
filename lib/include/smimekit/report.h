// smimekit — what was found when a message was opened.
//
// A Report is a tree of layers (signed, and later enveloped) with one verdict on top. The
// verdict is Valid only when a signature covers the whole message, every signer verifies,
// every chain reaches a trust anchor, the From address binds to the signer certificate and no
// policy rule failed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/status.h"
#include "smimekit/trust.h"

namespace smimekit {

enum class Verdict {
  Valid,     ///< see above
  Invalid,   ///< signed, but something is wrong (or only part of the message is signed)
  Unsigned,  ///< no signature covers any of the message
  Error,     ///< the message could not be read at all
};

[[nodiscard]] std::string_view verdict_name(Verdict verdict) noexcept;  // "valid", ...

enum class LayerKind { Signed, Enveloped, AuthEnveloped };

/// One SignerInfo of a signed layer.
struct SignerReport {
  std::optional<Certificate> certificate;  ///< absent when it could not be found
  std::string digest_algorithm;            ///< "sha256"
  std::string signature_algorithm;         ///< "rsaEncryption", "rsassaPss", "ecdsa-with-SHA256"
  std::optional<TimePoint> signing_time;
  /// The certificate the signer wants mail encrypted to, named by a signed
  /// sMIMEEncryptionKeyPreference attribute (RFC 8551 §2.5.3), when the signature has one.
  std::optional<CertificateRef> encryption_key_preference;
  /// The certificate that attribute names, when the message carries it.
  std::optional<Certificate> preferred_certificate;
  /// What the signer's software can decrypt, from the signed SMIMECapabilities attribute
  /// (RFC 8551 §2.5.2), most preferred first: "aes256-gcm", "aes128-cbc", or OpenSSL's name
  /// of an algorithm smimekit does not use ("des-ede3-cbc").
  std::vector<std::string> capabilities;
  /// Ok, or why the signature itself does not verify.
  Status signature = Status::Ok;
  /// Path validation of the signer certificate.
  ValidationResult trust;
  /// Algorithm, usage and address-binding problems (RFC 8550/8551 policy).
  std::vector<Status> policy;

  /// True when nothing at all is wrong with this signer.
  [[nodiscard]] bool ok() const;
  /// Every error status of this signer, the first one first.
  [[nodiscard]] std::vector<Status> problems() const;
};

/// One protective layer of a message.
struct Layer {
  LayerKind kind = LayerKind::Signed;
  /// MIME part number of the protected entity ("" for the whole message, "2.1" for a sub-part).
  std::string part;
  /// True when the layer protects the message as a whole (possibly inside other whole layers).
  bool covers_whole_message = false;
  /// Signed layers: true for application/pkcs7-mime signed-data, false for multipart/signed.
  bool opaque = false;
  /// Encrypted layers: the content cipher ("aes-256-gcm") once decrypted, else empty.
  std::string cipher;
  /// Encrypted layers: true when decrypted and its authentication tag checked (GCM).
  bool authenticated = false;
  /// Encrypted layers: true when it was decrypted.
  bool decrypted = false;
  /// Encrypted layers: true for RC2 or single DES, legacy ciphers that are easy to break.
  bool legacy_cipher = false;
  /// Content-Type of what the layer protects.
  std::string content_type;
  std::vector<SignerReport> signers;
  /// Signed layers: every certificate the SignedData carries (the signers', their chains,
  /// and any other the sender added, such as an encryption certificate), in its order.
  std::vector<Certificate> certificates;
  /// Why the layer could not be checked (a damaged signature part, say); empty when it could.
  std::string error;
  /// Layers found inside what this layer protects.
  std::vector<Layer> children;
};

struct Report {
  Verdict verdict = Verdict::Unsigned;
  /// Why the verdict is what it is, in words, the most important first.
  std::vector<std::string> reasons;
  /// True when a signed part sits inside content that no signature covers.
  bool partially_signed = false;
  /// True when the message as a whole was encrypted and has been decrypted.
  bool encrypted = false;
  /// True when an encrypted part sits beside unencrypted parts; such a part is never
  /// decrypted (EFAIL direct exfiltration, covert content).
  bool partially_encrypted = false;
  /// For an encrypted message: whether its encryption was authenticated (AES-GCM).
  std::optional<bool> authenticated_encryption;
  /// The decoded body of the first text part of what was read, when there is one.
  std::optional<std::string> text;
  /// For an encrypted message that was decrypted: its outer header fields followed by the
  /// decrypted entity, ready to be stored or verified again. Empty otherwise.
  std::string decrypted_message;
  std::vector<Layer> layers;
  /// The From addresses of the message as parsed (normally one).
  std::vector<std::string> from;
  std::string subject;

  /// The layers that protect the message as a whole, outermost first, each inside the one
  /// before it.
  [[nodiscard]] std::vector<const Layer*> whole_message_layers() const;

  /// The signers whose signatures cover the whole message's content: those of the layers that
  /// protect the message as a whole, inside the innermost such encryption. A signature outside
  /// an encryption (encrypt-then-sign) covers only the ciphertext and is not among them.
  [[nodiscard]] std::vector<const SignerReport*> whole_message_signers() const;
};

}  // namespace smimekit

// smimekit — the message-level front door: sign outgoing mail, open received mail.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/report.h"
#include "smimekit/trust.h"

namespace smimekit {

enum class SignFormat {
  Detached,  ///< multipart/signed with application/pkcs7-signature (readable without S/MIME)
  Opaque,    ///< application/pkcs7-mime; smime-type=signed-data
};

enum class DigestAlgorithm { Sha256, Sha384, Sha512 };

/// "sha256" -> Sha256 etc.; std::nullopt for anything else.
[[nodiscard]] std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name);

struct SignOptions {
  SignFormat format = SignFormat::Detached;
  DigestAlgorithm digest = DigestAlgorithm::Sha256;
  /// RSA keys: RSASSA-PSS instead of PKCS#1 v1.5 (which has the widest support).
  bool rsa_pss = false;
  /// Write CRLF line ends (as on the wire) instead of the local LF convention.
  bool crlf = false;
};

/// Signs MESSAGE, a whole RFC 5322 message. Its top-level headers are kept; its content is
/// canonicalized (RFC 8551 §3.1) and signed with SIGNER, whose chain is carried along.
/// Throws Error(Input) when MESSAGE is not a message.
[[nodiscard]] std::string sign(std::string_view message, const Identity& signer,
                               const SignOptions& options = {});

/// The content-encryption algorithm. GCM is authenticated (AuthEnvelopedData, RFC 5083);
/// CBC is not (EnvelopedData) and exists only for recipients whose software lacks GCM.
enum class ContentCipher { Aes256Gcm, Aes128Gcm, Aes256Cbc, Aes128Cbc };

/// "aes256-gcm" -> Aes256Gcm etc.; std::nullopt for anything else.
[[nodiscard]] std::optional<ContentCipher> parse_content_cipher(std::string_view name);
[[nodiscard]] std::string_view content_cipher_name(ContentCipher cipher) noexcept;
[[nodiscard]] constexpr bool is_authenticated(ContentCipher cipher) noexcept {
  return cipher == ContentCipher::Aes256Gcm || cipher == ContentCipher::Aes128Gcm;
}

struct EncryptOptions {
  ContentCipher cipher = ContentCipher::Aes256Gcm;
  /// RSA recipients: PKCS#1 v1.5 key transport (for older software) instead of RSAES-OAEP.
  bool rsa_pkcs1 = false;
  /// Write CRLF line ends instead of LF.
  bool crlf = false;
};

/// Encrypts MESSAGE for RECIPIENTS (RFC 8551 §3.3). The top-level fields other than
/// MIME-Version and Content-* stay outside; the content entity is encrypted.
[[nodiscard]] std::string encrypt(std::string_view message,
                                  const std::vector<Certificate>& recipients,
                                  const EncryptOptions& options = {});

/// Signs MESSAGE as sign() does, then encrypts the whole signed entity for RECIPIENTS.
[[nodiscard]] std::string sign_and_encrypt(std::string_view message, const Identity& signer,
                                           const std::vector<Certificate>& recipients,
                                           const SignOptions& sign_options = {},
                                           const EncryptOptions& encrypt_options = {});

struct OpenOptions {
  TrustPolicy trust;
  /// Keys to decrypt with; the first that is a recipient is used.
  std::vector<Identity> identities;
  /// Refuse to decrypt EnvelopedData (AES-CBC), whose content nobody authenticated.
  bool require_authenticated = false;
  /// How many MIME and S/MIME levels are followed before the message is refused.
  std::size_t max_depth = 32;
};

/// Opens received messages. Build one and reuse it: the trust setup is done once.
class Opener {
 public:
  explicit Opener(OpenOptions options);
  ~Opener();
  Opener(Opener&&) noexcept;
  Opener& operator=(Opener&&) noexcept;

  /// Decrypts what it can and verifies every signature in MESSAGE, and gives the verdict.
  /// Never throws for bad message content: that is a Report with Verdict::Error or
  /// Verdict::Invalid. No decrypted byte reaches the Report unless the whole layer
  /// decrypted, and for AES-GCM, unless its authentication tag matched.
  [[nodiscard]] Report open(std::string_view message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// The one line a person reads: "VALID signature by alice@example.org (chain: ...)".
[[nodiscard]] std::string summarize(const Report& report);
/// The report as one line of JSON, with FILE as its "file" member.
[[nodiscard]] std::string to_json(const Report& report, std::string_view file);

}  // namespace smimekit

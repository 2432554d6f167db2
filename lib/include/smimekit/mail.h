// smimekit — the message-level front door: sign outgoing mail, open received mail.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

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

struct OpenOptions {
  TrustPolicy trust;
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

  /// Verifies every signature in MESSAGE and gives the verdict. Never throws for bad
  /// message content: that is a Report with Verdict::Error or Verdict::Invalid.
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

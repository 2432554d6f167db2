// What the security tests share: a secret message that must never leak, the demo identities,
// a small DER walker to find and change single fields of (Auth)EnvelopedData, MIME helpers
// that do not go through the library under test, and checks for "refused, nothing leaked" at
// the library level (Opener) and at the CLI level (smimekit decrypt -o).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/mail.h"
#include "support/test_support.h"

namespace smimekit::security {

using test::RunResult;
using test::TempDir;

// ---------------------------------------------------------------------------------------
// The message and the people

/// A line of the body that must never appear anywhere once the message is refused.
inline constexpr std::string_view kSecret = "The vault combination is 31-41-59-26.";

/// A plain-text message whose body holds kSecret (LF line ends).
[[nodiscard]] std::string secret_message(const std::string& from = "Alice Demo <alice@example.org>",
                                         const std::string& to = "Bob Demo <bob@example.org>");
/// The body of secret_message(), LF line ends.
[[nodiscard]] std::string secret_body();

/// certs/demo/USER.p12 (password demo).
[[nodiscard]] Identity demo_identity(const std::string& user);
/// certs/demo/USER.pem.
[[nodiscard]] Certificate demo_certificate(const std::string& user);
/// certs/test/NAME.key, NAME.pem and NAME-chain.pem.
[[nodiscard]] Identity test_identity(const std::string& name);
/// Anchor: certs/demo/root.pem.
[[nodiscard]] TrustPolicy demo_trust();

/// Opens MESSAGE with IDENTITIES and the demo anchor.
[[nodiscard]] Report open_message(const std::string& message, const std::vector<Identity>& identities,
                                  bool require_authenticated = false);

/// The CLI arguments for USER's PKCS#12 file.
[[nodiscard]] std::vector<std::string> p12_args(const std::string& user);

// ---------------------------------------------------------------------------------------
// MIME, by hand

using test::base64_decode;
using test::base64_encode;
using test::Split;
using test::split_header;
using test::to_crlf;
using test::to_lf;

/// The DER inside a message (or entity) whose body is a base64 application/pkcs7-mime.
[[nodiscard]] std::string message_der(const std::string& message);
/// MESSAGE with its body replaced by the base64 of DER (same header fields, same line ends).
[[nodiscard]] std::string with_der(const std::string& message, const std::string& der);
/// The Content-* fields and body of a message (its MIME entity, without From/To/...), LF.
[[nodiscard]] std::string content_entity(const std::string& message);

// ---------------------------------------------------------------------------------------
// DER

struct Tlv {
  std::size_t offset = 0;  ///< of the tag byte
  std::size_t header = 0;  ///< tag and length bytes
  std::size_t length = 0;  ///< of the contents
  std::uint8_t tag = 0;
  [[nodiscard]] std::size_t content() const { return offset + header; }
  [[nodiscard]] std::size_t end() const { return offset + header + length; }
};

/// The TLV at OFFSET (definite lengths only); throws std::runtime_error when it is not one.
[[nodiscard]] Tlv read_tlv(std::string_view der, std::size_t offset);
/// The TLVs inside a constructed PARENT.
[[nodiscard]] std::vector<Tlv> children(std::string_view der, const Tlv& parent);
[[nodiscard]] std::string encode_tlv(std::uint8_t tag, std::string_view content);
[[nodiscard]] std::string whole(std::string_view der, const Tlv& t);
[[nodiscard]] std::string contents(std::string_view der, const Tlv& t);

/// The fields of a ContentInfo holding EnvelopedData or AuthEnvelopedData (RFC 5652 §6.1,
/// RFC 5083 §2.1), by offset in the DER.
struct EnvelopeFields {
  bool auth_enveloped = false;
  Tlv content_info, content_type_oid, explicit0, envelope;
  Tlv version, recipient_infos;
  std::vector<Tlv> recipients;  ///< each RecipientInfo (0x30 ktri, 0xA1 kari, ...)
  Tlv encrypted_content_info, content_type, algorithm, algorithm_oid;
  std::optional<Tlv> parameters;  ///< GCMParameters (SEQUENCE) or the CBC IV (OCTET STRING)
  std::optional<Tlv> nonce;       ///< GCM: aes-nonce
  std::optional<Tlv> icv_len;     ///< GCM: aes-ICVlen, when written
  std::optional<Tlv> iv;          ///< CBC: the IV
  Tlv encrypted_content;          ///< [0] IMPLICIT OCTET STRING, primitive
  std::optional<Tlv> auth_attrs;  ///< [1]
  std::optional<Tlv> mac;         ///< AuthEnvelopedData: the tag
};
[[nodiscard]] EnvelopeFields locate_envelope(std::string_view der);

/// The encryptedKey OCTET STRING of a KeyTransRecipientInfo, or of the first
/// RecipientEncryptedKey of a KeyAgreeRecipientInfo.
[[nodiscard]] Tlv encrypted_key(std::string_view der, const Tlv& recipient_info);
/// The ephemeral public key BIT STRING of a KeyAgreeRecipientInfo's originator.
[[nodiscard]] Tlv originator_public_key(std::string_view der, const Tlv& recipient_info);

/// DER with one byte at OFFSET XORed with MASK.
[[nodiscard]] std::string flip(std::string der, std::size_t offset, std::uint8_t mask = 0x01);
/// DER with the contents of T replaced by REPLACEMENT (same length required).
[[nodiscard]] std::string overwrite(std::string der, const Tlv& t, std::string_view replacement);

/// Re-encodes ContentInfo { OID, [0] { SEQUENCE { FIELDS... } } } (after a field changed length).
[[nodiscard]] std::string rebuild_envelope(std::string_view der, const EnvelopeFields& f,
                                           const std::vector<std::string>& fields);

// ---------------------------------------------------------------------------------------
// Checks

/// Nothing of the plaintext anywhere in REPORT (JSON included) and no decrypted output:
/// the verdict is not valid, `encrypted` is false, there is no text and no decrypted message.
void expect_refused(const Report& report, const std::string& what);

/// `smimekit decrypt ID... EXTRA... --json -o OUT IN` in a fresh directory.
struct CliDecrypt {
  RunResult run;
  bool output_written = false;
  std::string output;                  ///< when written
  std::vector<std::string> leftovers;  ///< files in the directory other than IN and OUT
  nlohmann::json report;               ///< the --json report (null when none was printed)
};
[[nodiscard]] CliDecrypt cli_decrypt(const std::string& message,
                                     const std::vector<std::string>& identity,
                                     const std::vector<std::string>& extra = {},
                                     bool json = true);

/// Exit 1, no output file, no temporary file left, verdict not valid, not encrypted, no text
/// (or, with TEXT_ALLOWED, only a text without the secret: an unencrypted part's), nothing of
/// the secret in anything printed.
void expect_cli_refused(const CliDecrypt& d, const std::string& what, bool text_allowed = false);

[[nodiscard]] std::string describe(const RunResult& r);

}  // namespace smimekit::security

// MIME through GMime: parsing, walking, canonical bytes, and building S/MIME entities.
// Internal to the library.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smimekit::mime {

struct GObjectUnref {
  void operator()(void* p) const noexcept {
    if (p != nullptr) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

/// Parses a whole RFC 5322 message. Throws Error(Input) when BYTES is empty or holds no
/// header field at all.
[[nodiscard]] GPtr<GMimeMessage> parse_message(std::string_view bytes);

/// Parses a MIME entity (headers, blank line, body), as found inside signed-data.
[[nodiscard]] GPtr<GMimeObject> parse_entity(std::string_view bytes);

/// "type/subtype" in lowercase ("text/plain" when absent).
[[nodiscard]] std::string mime_type(GMimeObject* object);
/// A Content-Type parameter, or "" when absent.
[[nodiscard]] std::string content_type_parameter(GMimeObject* object, const char* name);

/// The entity as it travels, headers and body, with CRLF line ends (RFC 8551 §3.1.1): the
/// bytes a multipart/signed signature covers.
[[nodiscard]] std::string canonical_bytes(GMimeObject* object);

/// The body of a leaf part with its transfer encoding undone.
[[nodiscard]] std::string decoded_content(GMimePart* part);

/// Converts every bare LF to CRLF (CRLF stays as it is).
[[nodiscard]] std::string to_crlf(std::string_view text);
/// Converts every CRLF to LF.
[[nodiscard]] std::string to_lf(std::string_view text);

/// A mailbox of From or Sender.
struct Mailbox {
  std::string address;       ///< addr-spec, "alice@example.org"
  std::string display_name;  ///< "Alice", possibly empty
};

/// What a verifier needs of the top-level header: who claims to have sent it.
struct Originator {
  std::vector<Mailbox> from;    ///< every mailbox of every From field
  std::vector<Mailbox> sender;  ///< every mailbox of every Sender field
  int from_fields = 0;          ///< how many From header fields there are
  int sender_fields = 0;
};
[[nodiscard]] Originator originator(GMimeMessage* message);
[[nodiscard]] std::string subject(GMimeMessage* message);

/// A message cut into what stays outside a signature and what goes inside it.
struct SignableMessage {
  /// Top-level fields other than MIME-Version and Content-*, as written (CRLF line ends).
  std::string outer_headers;
  /// The content entity (Content-* fields, blank line, body) canonicalized for signing:
  /// CRLF line ends and 7-bit-safe transfer encodings (RFC 8551 §3.1).
  std::string canonical_entity;
};
/// Throws Error(Input) when MESSAGE has no header.
[[nodiscard]] SignableMessage prepare_for_signing(std::string_view message);

/// A multipart/signed entity (RFC 8551 §3.5.3): its Content-Type field, a blank line, the
/// signed ENTITY as the first part and the DER SIGNATURE as the second. CRLF line ends.
[[nodiscard]] std::string multipart_signed_entity(std::string_view entity,
                                                  std::string_view signature,
                                                  std::string_view micalg);
/// An application/pkcs7-mime entity (RFC 8551 §3.5.2, §3.3, §3.4) holding DER, with
/// SMIME_TYPE "signed-data", "enveloped-data" or "authEnveloped-data". CRLF line ends.
[[nodiscard]] std::string pkcs7_mime_entity(std::string_view der, std::string_view smime_type);
/// A whole message: OUTER_HEADERS (CRLF), MIME-Version, then ENTITY. Converted to LF line
/// ends unless CRLF is asked for.
[[nodiscard]] std::string assemble_message(std::string_view outer_headers, std::string_view entity,
                                           bool crlf);
/// The top-level fields of MESSAGE other than MIME-Version and Content-*, byte for byte with
/// CRLF line ends. Throws Error(Input) when MESSAGE does not start with a header.
[[nodiscard]] std::string outer_headers(std::string_view message);

/// An entity as received: its header block (up to, not including, the blank line) and body.
struct RawEntity {
  std::string_view headers;
  std::string_view body;
};
[[nodiscard]] RawEntity split_entity(std::string_view entity);

/// The body parts of a multipart BODY with BOUNDARY, byte for byte as received (RFC 2046
/// §5.1.1): each part without the line break that belongs to the next delimiter. std::nullopt
/// when there is no close delimiter.
[[nodiscard]] std::optional<std::vector<std::string_view>> split_multipart(
    std::string_view body, std::string_view boundary);

/// Base64 with 76-character lines ending in CRLF.
[[nodiscard]] std::string base64_lines(std::string_view data);

}  // namespace smimekit::mime

// Just enough DER to lift the certificates out of a SignedData before OpenSSL parses it.
// Internal to lib/cms.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smimekit::cms {

struct SplitSignedData {
  /// The same ContentInfo with the certificates field left out.
  std::string without_certificates;
  /// Each certificate's DER, in the order of the field.
  std::vector<std::string_view> certificates;
};

/// Splits a DER ContentInfo holding SignedData (RFC 5652 §5.1). std::nullopt for anything it
/// does not plainly understand (BER indefinite lengths, other certificate choices, trailing
/// bytes): the caller then lets OpenSSL parse the whole thing.
[[nodiscard]] std::optional<SplitSignedData> split_certificates(std::string_view der);

}  // namespace smimekit::cms

namespace smimekit::cms {

/// The OBJECT IDENTIFIER (whole TLV) of the content-encryption algorithm of a DER
/// ContentInfo holding EnvelopedData or AuthEnvelopedData (RFC 5652 §6.1, RFC 5083 §2.1);
/// std::nullopt when it cannot be found plainly (BER, other content).
[[nodiscard]] std::optional<std::string_view> content_encryption_oid(std::string_view der);

/// The GCM parameters of a DER AuthEnvelopedData (RFC 5083 §2.1, RFC 5084 §3.2).
struct GcmLengths {
  std::size_t nonce_length = 0;  ///< the length of aes-nonce
  std::size_t icv_length = 12;   ///< aes-ICVlen, DEFAULT 12
  std::size_t mac_length = 0;    ///< the length of the mac field actually present
};
/// std::nullopt when DER is not a plainly encoded AuthEnvelopedData with GCM parameters.
[[nodiscard]] std::optional<GcmLengths> gcm_lengths(std::string_view der);

}  // namespace smimekit::cms

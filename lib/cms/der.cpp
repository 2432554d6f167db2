#include "cms/der.h"

#include <cstdint>

namespace smimekit::cms {

namespace {

struct Tlv {
  unsigned char tag = 0;
  std::string_view whole;    // tag, length and value
  std::string_view content;  // value only
};

// Reads one TLV with a low tag number and a definite length of at most 4 length octets.
std::optional<Tlv> read_tlv(std::string_view& in) {
  if (in.size() < 2) return std::nullopt;
  const auto tag = static_cast<unsigned char>(in[0]);
  if ((tag & 0x1f) == 0x1f) return std::nullopt;
  std::size_t pos = 1;
  const auto first = static_cast<unsigned char>(in[pos++]);
  std::size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else {
    const std::size_t n = first & 0x7f;
    if (n == 0 || n > 4 || in.size() < pos + n) return std::nullopt;  // 0: indefinite (BER)
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(in[pos++]);
  }
  if (in.size() - pos < len) return std::nullopt;
  Tlv tlv{tag, in.substr(0, pos + len), in.substr(pos, len)};
  in.remove_prefix(pos + len);
  return tlv;
}

std::string encode_length(std::size_t len) {
  if (len < 0x80) return std::string(1, static_cast<char>(len));
  std::string octets;
  for (std::size_t v = len; v > 0; v >>= 8) octets.insert(octets.begin(), static_cast<char>(v & 0xff));
  return std::string(1, static_cast<char>(0x80 | octets.size())) + octets;
}

std::string wrap(unsigned char tag, const std::string& content) {
  return std::string(1, static_cast<char>(tag)) + encode_length(content.size()) + content;
}

}  // namespace

std::optional<SplitSignedData> split_certificates(std::string_view der) {
  std::string_view in = der;
  auto content_info = read_tlv(in);
  if (!content_info || content_info->tag != 0x30 || !in.empty()) return std::nullopt;
  std::string_view ci = content_info->content;
  auto oid = read_tlv(ci);
  auto explicit0 = read_tlv(ci);
  if (!oid || oid->tag != 0x06 || !explicit0 || explicit0->tag != 0xA0 || !ci.empty()) {
    return std::nullopt;
  }
  std::string_view e0 = explicit0->content;
  auto signed_data = read_tlv(e0);
  if (!signed_data || signed_data->tag != 0x30 || !e0.empty()) return std::nullopt;

  SplitSignedData out;
  std::string kept;
  std::string_view sd = signed_data->content;
  bool seen_certificates = false;
  while (!sd.empty()) {
    auto field = read_tlv(sd);
    if (!field) return std::nullopt;
    if (field->tag == 0xA0 && !seen_certificates) {
      seen_certificates = true;
      std::string_view certs = field->content;
      while (!certs.empty()) {
        auto cert = read_tlv(certs);
        if (!cert || cert->tag != 0x30) return std::nullopt;  // only plain certificates
        out.certificates.push_back(cert->whole);
      }
      continue;
    }
    kept.append(field->whole);
  }
  if (!seen_certificates) return std::nullopt;  // nothing to gain
  out.without_certificates =
      wrap(0x30, std::string(oid->whole) + wrap(0xA0, wrap(0x30, kept)));
  return out;
}

namespace {

// The parts of an (Auth)EnvelopedData that the checks below read (RFC 5652 §6.1,
// RFC 5083 §2.1).
struct EnvelopeFields {
  Tlv algorithm;                 // contentEncryptionAlgorithm
  std::string_view after_content_info;  // what follows the (auth)EncryptedContentInfo
};

std::optional<EnvelopeFields> envelope_fields(std::string_view der) {
  std::string_view in = der;
  auto content_info = read_tlv(in);
  if (!content_info || content_info->tag != 0x30) return std::nullopt;
  std::string_view ci = content_info->content;
  auto oid = read_tlv(ci);
  auto explicit0 = read_tlv(ci);
  if (!oid || !explicit0 || explicit0->tag != 0xA0) return std::nullopt;
  std::string_view e0 = explicit0->content;
  auto envelope = read_tlv(e0);
  if (!envelope || envelope->tag != 0x30) return std::nullopt;
  std::string_view fields = envelope->content;
  auto version = read_tlv(fields);
  if (!version || version->tag != 0x02) return std::nullopt;
  auto next = read_tlv(fields);
  if (next && next->tag == 0xA0) next = read_tlv(fields);  // originatorInfo
  if (!next || next->tag != 0x31) return std::nullopt;     // recipientInfos
  auto content_info_field = read_tlv(fields);              // (auth)EncryptedContentInfo
  if (!content_info_field || content_info_field->tag != 0x30) return std::nullopt;
  std::string_view eci = content_info_field->content;
  auto content_type = read_tlv(eci);
  auto algorithm = read_tlv(eci);
  if (!content_type || !algorithm || algorithm->tag != 0x30) return std::nullopt;
  return EnvelopeFields{*algorithm, fields};
}

}  // namespace

std::optional<std::string_view> content_encryption_oid(std::string_view der) {
  auto envelope = envelope_fields(der);
  if (!envelope) return std::nullopt;
  std::string_view alg = envelope->algorithm.content;
  auto alg_oid = read_tlv(alg);
  if (!alg_oid || alg_oid->tag != 0x06) return std::nullopt;
  return alg_oid->whole;
}

std::optional<GcmLengths> gcm_lengths(std::string_view der) {
  auto envelope = envelope_fields(der);
  if (!envelope) return std::nullopt;
  std::string_view alg = envelope->algorithm.content;
  auto alg_oid = read_tlv(alg);
  auto params = read_tlv(alg);
  if (!alg_oid || !params || params->tag != 0x30) return std::nullopt;
  GcmLengths out;
  std::string_view p = params->content;
  auto nonce = read_tlv(p);
  if (!nonce || nonce->tag != 0x04) return std::nullopt;
  out.nonce_length = nonce->content.size();
  if (!p.empty()) {
    auto icv = read_tlv(p);
    if (!icv || icv->tag != 0x02 || icv->content.empty() || icv->content.size() > 2) {
      return std::nullopt;
    }
    std::size_t v = 0;
    for (char c : icv->content) v = (v << 8) | static_cast<unsigned char>(c);
    out.icv_length = v;
  }
  std::string_view fields = envelope->after_content_info;
  auto after = read_tlv(fields);
  if (after && after->tag == 0xA1) after = read_tlv(fields);  // authAttrs
  if (!after || after->tag != 0x04) return std::nullopt;       // mac
  out.mac_length = after->content.size();
  return out;
}

}  // namespace smimekit::cms

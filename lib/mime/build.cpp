// Building the S/MIME entities of RFC 8551 §3.5.
#include <openssl/evp.h>

#include <random>

#include <fmt/format.h>

#include "mime/mime.h"

namespace smimekit::mime {

std::string base64_lines(std::string_view data) {
  std::string out;
  constexpr std::size_t kChunk = 57;  // 57 bytes -> 76 characters
  out.reserve((data.size() / kChunk + 1) * 78);
  unsigned char buf[80];
  for (std::size_t pos = 0; pos < data.size(); pos += kChunk) {
    const std::size_t n = std::min(kChunk, data.size() - pos);
    const int len = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(data.data() + pos),
                                    static_cast<int>(n));
    out.append(reinterpret_cast<char*>(buf), static_cast<std::size_t>(len));
    out += "\r\n";
  }
  return out;
}

namespace {

std::string random_boundary(std::string_view must_not_contain) {
  std::random_device rd;
  for (;;) {
    std::string b = fmt::format("----smimekit-{:08x}{:08x}{:08x}", rd(), rd(), rd());
    if (must_not_contain.find(b) == std::string_view::npos) return b;
  }
}

}  // namespace

std::string multipart_signed_entity(std::string_view entity, std::string_view signature,
                                    std::string_view micalg) {
  const std::string boundary = random_boundary(entity);
  std::string out = fmt::format(
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
      "\tmicalg={}; boundary=\"{}\"\r\n\r\n",
      micalg, boundary);
  out += "This is a cryptographically signed message in MIME format (S/MIME).\r\n\r\n";
  out += fmt::format("--{}\r\n", boundary);
  out += entity;
  // The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1), not to the content.
  out += fmt::format("\r\n--{}\r\n", boundary);
  out +=
      "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
      "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
  out += base64_lines(signature);
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

std::string pkcs7_mime_entity(std::string_view der, std::string_view smime_type) {
  std::string out = fmt::format(
      "Content-Type: application/pkcs7-mime; smime-type={}; name=\"smime.p7m\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n",
      smime_type);
  out += base64_lines(der);
  return out;
}

std::string assemble_message(std::string_view outer_headers, std::string_view entity,
                             bool crlf) {
  std::string out(outer_headers);
  out += "MIME-Version: 1.0\r\n";
  out += entity;
  return crlf ? out : to_lf(out);
}

}  // namespace smimekit::mime

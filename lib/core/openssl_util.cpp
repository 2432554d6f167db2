#include "core/openssl.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <fmt/format.h>

namespace smimekit::ossl {

BioPtr memory_bio(std::string_view data) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) fail(ErrorCode::Internal, "cannot allocate a memory buffer");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(len));
}

std::string drain_errors() {
  std::string out;
  unsigned long code = 0;
  const char* data = nullptr;
  int flags = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    // The reason string is the useful part; the rest is OpenSSL's internal location.
    const char* reason = ERR_reason_error_string(code);
    out += reason != nullptr ? reason : buf;
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out;
}

void clear_errors() noexcept { ERR_clear_error(); }

void fail(ErrorCode code, std::string_view what) {
  const std::string detail = drain_errors();
  if (detail.empty()) throw Error(code, std::string(what));
  throw Error(code, fmt::format("{}: {}", what, detail));
}

std::string object_oid(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  if (n <= 0) return "?";
  return std::string(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

std::string object_name(const ASN1_OBJECT* obj) {
  const int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) {
    if (const char* sn = OBJ_nid2sn(nid)) return sn;
  }
  return object_oid(obj);
}

}  // namespace smimekit::ossl

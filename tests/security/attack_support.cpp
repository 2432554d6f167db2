#include "attack_support.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace smimekit::security {

// ---------------------------------------------------------------------------------------
// The Report

bool has_reason(const Report& report, std::string_view text) {
  for (const auto& reason : report.reasons) {
    if (reason.find(text) != std::string::npos) return true;
  }
  return false;
}

namespace {
bool layers_have(const std::vector<Layer>& layers, Status status) {
  for (const auto& layer : layers) {
    for (const auto& signer : layer.signers) {
      for (Status s : signer.problems()) {
        if (s == status) return true;
      }
    }
    if (layers_have(layer.children, status)) return true;
  }
  return false;
}
}  // namespace

bool has_problem(const Report& report, Status status) {
  return layers_have(report.layers, status);
}

std::string dump(const Report& report) {
  return to_json(report, "attack.eml");
}

// ---------------------------------------------------------------------------------------
// Messages

std::string plain_message(const std::string& header_lines, const std::string& body) {
  return header_lines +
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Invoice\n"
         "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
         "Message-ID: <attack-1@example.org>\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n" +
         body;
}

std::string outer(const std::string& from, const std::string& content_type) {
  return "From: " + from +
         "\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Invoice\n"
         "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
         "Message-ID: <attack-2@example.org>\n"
         "MIME-Version: 1.0\n"
         "Content-Type: " +
         content_type + "\n\n";
}

std::string alice_signed(SignFormat format) {
  SignOptions options;
  options.format = format;
  return sign(plain_message("From: Alice Demo <alice@example.org>\n",
                            "Lunch on Friday? The usual place.\n"),
              demo_identity("alice"), options);
}

namespace {
// Where the base64 body of the signature part starts and ends.
std::pair<std::size_t, std::size_t> signature_body(const std::string& message) {
  const std::size_t type = message.find("Content-Type: application/pkcs7-signature");
  if (type == std::string::npos) throw std::runtime_error("no application/pkcs7-signature part");
  const std::size_t blank = message.find("\n\n", type);
  if (blank == std::string::npos) throw std::runtime_error("the signature part has no body");
  const std::size_t end = message.find("\n--", blank + 2);
  if (end == std::string::npos) throw std::runtime_error("the signature part does not end");
  return {blank + 2, end + 1};
}
}  // namespace

std::string signature_der(const std::string& message) {
  const auto [begin, end] = signature_body(message);
  return base64_decode(message.substr(begin, end - begin));
}

std::string with_signature_der(const std::string& message, const std::string& der) {
  const auto [begin, end] = signature_body(message);
  return message.substr(0, begin) + base64_encode(der) + message.substr(end);
}

std::string as_part(const std::string& message) {
  return content_entity(message);
}

// ---------------------------------------------------------------------------------------
// Certificates made in the test

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: cannot ") + what);
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "make an extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

KeyPtr new_ec_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "make an EC key");
  return key;
}

KeyPtr read_key(const std::filesystem::path& path) {
  const std::string pem = test::read(path);
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "read a private key");
  return key;
}

CertPtr read_cert(const std::filesystem::path& path) {
  const std::string pem = test::read(path);
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(cert != nullptr, "read a certificate");
  return cert;
}

CertPtr issue(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new());
  check(cert != nullptr, "allocate a certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  if (spec.subject != nullptr) {
    check(X509_set_subject_name(cert.get(), spec.subject) == 1, "copy a subject name");
  } else {
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("smimekit attack test"), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                               -1, 0);
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "set the issuer");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "set the public key");
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid");
  if (spec.ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
    add_extension(cert.get(), signer, NID_ext_key_usage, "emailProtection");
    std::string san;
    for (const auto& email : spec.emails) san += (san.empty() ? "email:" : ",email:") + email;
    if (!san.empty()) add_extension(cert.get(), signer, NID_subject_alt_name, san);
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "sign a certificate");
  return cert;
}

Certificate to_certificate(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  check(len > 0, "encode a certificate");
  Certificate out =
      Certificate::from_der(std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return out;
}

Identity to_identity(EVP_PKEY* key, X509* cert, const std::vector<Certificate>& chain) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "write a private key");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return make_identity(parse_private_key(std::string_view(data, static_cast<std::size_t>(len)),
                                         "generated key", nullptr),
                       to_certificate(cert), chain);
}

}  // namespace smimekit::security

#include <openssl/pkcs7.h>
#include <openssl/rsa.h>

#include "cms/cms.h"
#include "core/x509_impl.h"

namespace smimekit::cms {

namespace {

const EVP_MD* digest_md(DigestAlgorithm d) {
  switch (d) {
    case DigestAlgorithm::Sha256: return EVP_sha256();
    case DigestAlgorithm::Sha384: return EVP_sha384();
    case DigestAlgorithm::Sha512: return EVP_sha512();
  }
  return EVP_sha256();
}

// RFC 8551 §2.5.2: tell correspondents what we can decrypt, strongest first.
void add_capabilities(CMS_SignerInfo* si) {
  STACK_OF(X509_ALGOR)* caps = sk_X509_ALGOR_new_null();
  if (caps == nullptr) ossl::fail(ErrorCode::Internal, "out of memory");
  for (ContentCipher c : kContentCiphers) PKCS7_simple_smimecap(caps, cipher_nid(c), 0);
  const int ok = CMS_add_smimecap(si, caps);
  sk_X509_ALGOR_pop_free(caps, X509_ALGOR_free);
  if (ok != 1) ossl::fail(ErrorCode::Crypto, "cannot add the SMIMECapabilities attribute");
}

bool usable_for_encryption(const Certificate& cert) {
  const KeyUsage& ku = cert.key_usage();
  if (!ku.present) return true;
  return cert.has_rsa_key() ? ku.key_encipherment : ku.key_agreement;
}

// RFC 8551 §2.5.3: SMIMEEncryptionKeyPreference ::= CHOICE {
//   issuerAndSerialNumber [0] IssuerAndSerialNumber, ... } — here: the signing certificate
// itself, when its key can also receive mail.
void add_encryption_key_preference(CMS_SignerInfo* si, const Certificate& cert) {
  X509* x = cert.impl().x509.get();
  unsigned char* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_issuer_name(x), &name);
  unsigned char* serial = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &serial);
  if (name_len <= 0 || serial_len <= 0) {
    OPENSSL_free(name);
    OPENSSL_free(serial);
    ossl::fail(ErrorCode::Crypto, "cannot encode the issuer and serial number");
  }
  std::string body(reinterpret_cast<char*>(name), static_cast<std::size_t>(name_len));
  body.append(reinterpret_cast<char*>(serial), static_cast<std::size_t>(serial_len));
  OPENSSL_free(name);
  OPENSSL_free(serial);

  std::string der(1, static_cast<char>(0xA0));  // [0] IMPLICIT, constructed
  const std::size_t len = body.size();
  if (len < 0x80) {
    der.push_back(static_cast<char>(len));
  } else {
    std::string octets;
    for (std::size_t v = len; v > 0; v >>= 8) octets.insert(octets.begin(), static_cast<char>(v & 0xff));
    der.push_back(static_cast<char>(0x80 | octets.size()));
    der += octets;
  }
  der += body;
  // The value is an ANY holding a context-tagged choice: OpenSSL keeps such a value as
  // V_ASN1_OTHER with its whole encoding.
  ASN1_STRING* value = ASN1_STRING_type_new(V_ASN1_OTHER);
  if (value == nullptr || ASN1_STRING_set(value, der.data(), static_cast<int>(der.size())) != 1) {
    ASN1_STRING_free(value);
    ossl::fail(ErrorCode::Internal, "out of memory");
  }
  X509_ATTRIBUTE* attr = X509_ATTRIBUTE_create(NID_id_smime_aa_encrypKeyPref, V_ASN1_OTHER, value);
  if (attr == nullptr) {
    ASN1_STRING_free(value);
    ossl::fail(ErrorCode::Crypto, "cannot build the sMIMEEncryptionKeyPreference attribute");
  }
  const int ok = CMS_signed_add1_attr(si, attr);
  X509_ATTRIBUTE_free(attr);
  if (ok != 1) ossl::fail(ErrorCode::Crypto, "cannot add the sMIMEEncryptionKeyPreference attribute");
}

}  // namespace

std::string sign(std::string_view content, const Identity& signer, const SignParams& params) {
  ossl::clear_errors();
  const unsigned base_flags = CMS_PARTIAL | CMS_BINARY | (params.detached ? CMS_DETACHED : 0u);
  ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, base_flags));
  if (!cms) ossl::fail(ErrorCode::Crypto, "cannot start a signature");

  const EVP_MD* md = digest_md(params.digest);
  const bool pss = params.rsa_pss && signer.certificate.has_rsa_key();
  // CMS_CADES adds signingCertificateV2 (RFC 5035); we add SMIMECapabilities ourselves.
  unsigned si_flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES | CMS_PARTIAL;
  if (pss) si_flags |= CMS_KEY_PARAM;
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), signer.certificate.impl().x509.get(),
                                       signer.key.impl().pkey.get(), md, si_flags);
  if (si == nullptr) ossl::fail(ErrorCode::Crypto, "cannot add the signer");
  if (pss) {
    EVP_PKEY_CTX* pctx = CMS_SignerInfo_get0_pkey_ctx(si);
    if (pctx == nullptr || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0) {
      ossl::fail(ErrorCode::Crypto, "cannot set up RSASSA-PSS");
    }
  }
  add_capabilities(si);
  if (usable_for_encryption(signer.certificate)) {
    add_encryption_key_preference(si, signer.certificate);
  }
  for (const auto& c : signer.chain) {
    if (CMS_add1_cert(cms.get(), c.impl().x509.get()) != 1) {
      ossl::fail(ErrorCode::Crypto, "cannot add a chain certificate");
    }
  }
  ossl::BioPtr data = ossl::memory_bio(content);
  if (CMS_final(cms.get(), data.get(), nullptr, base_flags) != 1) {
    ossl::fail(ErrorCode::Crypto, "cannot sign");
  }
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0) ossl::fail(ErrorCode::Crypto, "cannot encode the signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace smimekit::cms

// What a signature tells about its signer's encryption: sMIMEEncryptionKeyPreference in each
// of its forms (RFC 8551 §2.5.3, and Microsoft's attribute of the same meaning) and
// SMIMECapabilities (RFC 8551 §2.5.2). The messages are signed here with OpenSSL's C API, so
// that each form can be written as other software writes it; a malformed attribute must be
// ignored, never make a good signature bad.
#include <gtest/gtest.h>
#include <openssl/cms.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "attack_support.h"

namespace smimekit::security {
namespace {

struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};

constexpr int kContextConstructed = 0xA0;

// USER's subjectKeyIdentifier, as the octets of a DER value.
std::string key_id(const std::string& user) {
  const std::vector<std::uint8_t> id = demo_certificate(user).subject_key_id();
  if (id.empty()) throw std::runtime_error(user + "'s certificate has no subjectKeyIdentifier");
  return {id.begin(), id.end()};
}

// The contents of CERT's IssuerAndSerialNumber (issuer Name, then serialNumber).
std::string issuer_and_serial_contents(X509* cert) {
  unsigned char* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
  unsigned char* serial = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
  std::string out(reinterpret_cast<char*>(name), static_cast<std::size_t>(name_len));
  out.append(reinterpret_cast<char*>(serial), static_cast<std::size_t>(serial_len));
  OPENSSL_free(name);
  OPENSSL_free(serial);
  return out;
}

// An opaque signed message from Alice (with her chain) whose signed attributes also hold
// attribute OID with the DER value VALUE, kept by OpenSSL as TYPE (V_ASN1_OTHER for a
// context-tagged value, V_ASN1_SEQUENCE for a SEQUENCE). No extra attribute when OID is empty.
std::string alice_signed_with(const std::string& oid, int type, const std::string& value) {
  const KeyPtr key = read_key(test::demo("alice.key"));
  const CertPtr cert = read_cert(test::demo("alice.pem"));
  const CertPtr intermediate = read_cert(test::demo("intermediate.pem"));
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, intermediate.get());
  const std::string content =
      "Content-Type: text/plain; charset=us-ascii\r\n\r\nLunch on Friday?\r\n";
  BIO* in = BIO_new_mem_buf(content.data(), static_cast<int>(content.size()));
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(
      CMS_sign(cert.get(), key.get(), chain, nullptr, CMS_PARTIAL | CMS_BINARY));
  sk_X509_free(chain);
  if (!cms) throw std::runtime_error("CMS_sign failed");
  if (!oid.empty()) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
    int nid = OBJ_txt2nid(oid.c_str());
    if (nid == NID_undef) nid = OBJ_create(oid.c_str(), "test-attribute", "test attribute");
    // The value keeps its whole encoding, as OpenSSL keeps a value it does not parse.
    ASN1_STRING* v = ASN1_STRING_type_new(type);
    ASN1_STRING_set(v, value.data(), static_cast<int>(value.size()));
    X509_ATTRIBUTE* attr = X509_ATTRIBUTE_create(nid, type, v);
    if (attr == nullptr || CMS_signed_add1_attr(si, attr) != 1) {
      throw std::runtime_error("cannot add the attribute");
    }
    X509_ATTRIBUTE_free(attr);
  }
  if (CMS_final(cms.get(), in, nullptr, CMS_BINARY) != 1) throw std::runtime_error("CMS_final");
  BIO_free(in);
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  const std::string body(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return "From: Alice Demo <alice@example.org>\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Lunch\n"
         "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
         "MIME-Version: 1.0\n"
         "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\n"
         "Content-Transfer-Encoding: base64\n\n" +
         base64_encode(body);
}

const SignerReport& only_signer(const Report& report) {
  if (report.layers.empty() || report.layers.front().signers.size() != 1) {
    throw std::runtime_error("expected one signed layer with one signer: " + dump(report));
  }
  return report.layers.front().signers.front();
}

constexpr const char* kPreferenceOid = "1.2.840.113549.1.9.16.2.11";
constexpr const char* kMicrosoftPreferenceOid = "1.3.6.1.4.1.311.16.4";

TEST(KeyPreference, OurOwnSignatureNamesTheSignerAndAnnouncesAesGcmFirst) {
  const Report report = open_message(alice_signed(SignFormat::Opaque), {});
  ASSERT_EQ(report.verdict, Verdict::Valid) << dump(report);
  const SignerReport& s = only_signer(report);
  ASSERT_TRUE(s.encryption_key_preference);
  EXPECT_TRUE(s.encryption_key_preference->names(demo_certificate("alice")));
  EXPECT_FALSE(s.encryption_key_preference->names(demo_certificate("bob")));
  EXPECT_EQ(s.preferred_certificate, demo_certificate("alice"));
  EXPECT_EQ(s.capabilities,
            (std::vector<std::string>{"aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"}));
}

TEST(KeyPreference, OpenSslsDefaultCapabilitiesAreReadInOrder) {
  const Report report = open_message(alice_signed_with("", 0, ""), {});
  ASSERT_EQ(report.verdict, Verdict::Valid) << dump(report);
  const SignerReport& s = only_signer(report);
  EXPECT_FALSE(s.encryption_key_preference);
  // OpenSSL 3.0 announces CBC ciphers only, AES-256 first, and the legacy ones after.
  ASSERT_GE(s.capabilities.size(), 3u);
  EXPECT_EQ(s.capabilities[0], "aes256-cbc");
  EXPECT_NE(std::find(s.capabilities.begin(), s.capabilities.end(), "aes128-cbc"),
            s.capabilities.end());
  EXPECT_EQ(std::find(s.capabilities.begin(), s.capabilities.end(), "aes256-gcm"),
            s.capabilities.end());
}

TEST(KeyPreference, SubjectKeyIdentifierFormNamesTheCarriedCertificate) {
  // subjectAltKeyIdentifier [2] IMPLICIT SubjectKeyIdentifier
  const Report report = open_message(
      alice_signed_with(kPreferenceOid, V_ASN1_OTHER, encode_tlv(0x82, key_id("alice"))), {});
  ASSERT_EQ(report.verdict, Verdict::Valid) << dump(report);
  const SignerReport& s = only_signer(report);
  ASSERT_TRUE(s.encryption_key_preference);
  EXPECT_TRUE(s.encryption_key_preference->issuer_der.empty());
  EXPECT_TRUE(s.encryption_key_preference->names(demo_certificate("alice")));
  EXPECT_EQ(s.preferred_certificate, demo_certificate("alice"));
}

TEST(KeyPreference, RecipientKeyIdentifierFormMayNameACertificateNotCarried) {
  // receipentKeyId [1] IMPLICIT RecipientKeyIdentifier { subjectKeyIdentifier, date }
  const std::string rki =
      encode_tlv(kContextConstructed | 1,
          encode_tlv(V_ASN1_OCTET_STRING, key_id("bob")) + encode_tlv(0x18, "20261127090000Z"));
  const Report report = open_message(alice_signed_with(kPreferenceOid, V_ASN1_OTHER, rki), {});
  ASSERT_EQ(report.verdict, Verdict::Valid) << dump(report);
  const SignerReport& s = only_signer(report);
  ASSERT_TRUE(s.encryption_key_preference);
  EXPECT_TRUE(s.encryption_key_preference->names(demo_certificate("bob")));
  EXPECT_FALSE(s.encryption_key_preference->names(demo_certificate("alice")));
  EXPECT_FALSE(s.preferred_certificate);  // the message does not carry Bob's certificate
  EXPECT_EQ(s.encryption_key_preference->describe().rfind("subject key identifier ", 0), 0u);
}

TEST(KeyPreference, MicrosoftsAttributeIsReadAsIssuerAndSerialNumber) {
  const CertPtr alice = read_cert(test::demo("alice.pem"));
  const std::string ias = encode_tlv(0x30, issuer_and_serial_contents(alice.get()));
  const Report report =
      open_message(alice_signed_with(kMicrosoftPreferenceOid, V_ASN1_SEQUENCE, ias), {});
  ASSERT_EQ(report.verdict, Verdict::Valid) << dump(report);
  const SignerReport& s = only_signer(report);
  ASSERT_TRUE(s.encryption_key_preference);
  EXPECT_TRUE(s.encryption_key_preference->names(demo_certificate("alice")));
  EXPECT_EQ(s.preferred_certificate, demo_certificate("alice"));
  EXPECT_EQ(s.encryption_key_preference->describe(),
            "issuer " + demo_certificate("alice").issuer() + ", serial " +
                demo_certificate("alice").serial_hex());
}

TEST(KeyPreference, MalformedPreferenceIsIgnoredAndTheSignatureStaysValid) {
  const CertPtr alice = read_cert(test::demo("alice.pem"));
  const std::string contents = issuer_and_serial_contents(alice.get());
  for (const std::string& value : {
           encode_tlv(kContextConstructed, contents.substr(0, contents.size() - 1)),  // cut short
           encode_tlv(kContextConstructed, contents + std::string("\x05\x00", 2)),  // trailing bytes
           encode_tlv(kContextConstructed | 3, contents),                            // no such choice
           encode_tlv(0x82, ""),                                                      // empty key id
           encode_tlv(kContextConstructed | 1, encode_tlv(0x02, "\x01")),  // key id of the wrong type
       }) {
    const Report report =
        open_message(alice_signed_with(kPreferenceOid, V_ASN1_OTHER, value), {});
    EXPECT_EQ(report.verdict, Verdict::Valid) << dump(report);
    EXPECT_FALSE(only_signer(report).encryption_key_preference);
  }
}

}  // namespace
}  // namespace smimekit::security

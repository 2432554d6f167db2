// Certificate and CRL parsing, and what a Certificate says about itself.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "smimekit/time.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

using test::demo;
using test::test_cert;

constexpr const char* kEmailProtection = "1.3.6.1.5.5.7.3.4";
constexpr const char* kServerAuth = "1.3.6.1.5.5.7.3.1";

Certificate one(const std::filesystem::path& path) {
  auto certs = load_certificates(path);
  EXPECT_EQ(certs.size(), 1u) << path;
  return certs.at(0);
}

template <typename F>
ErrorCode error_code_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no smimekit::Error was thrown";
  return ErrorCode::Internal;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 0xf]);
  }
  return out;
}

TimePoint date(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

TEST(ParseCertificates, PemWithSeveralCertificatesGivesThemAllInOrder) {
  const std::string pem = test::read(demo("alice.pem")) + test::read(demo("intermediate.pem")) +
                          test::read(demo("root.pem"));
  const auto certs = parse_certificates(pem, "bundle");
  ASSERT_EQ(certs.size(), 3u);
  EXPECT_EQ(certs[0].display_name(), "Alice Demo");
  EXPECT_EQ(certs[1].display_name(), "Demo Intermediate CA");
  EXPECT_EQ(certs[2].display_name(), "Demo Root CA");
}

TEST(ParseCertificates, PemWithTextAroundTheBlocks) {
  const std::string pem = "Bag Attributes: something\nsubject=whatever\n" +
                          test::read(demo("alice.pem")) + "trailing words\n";
  const auto certs = parse_certificates(pem, "noisy");
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].display_name(), "Alice Demo");
}

TEST(ParseCertificates, PemWithKeyAndCertificateTogether) {
  // A combined key+certificate file is common; the key block is skipped, not an error.
  for (const std::string& pem :
       {test::read(demo("alice.key")) + test::read(demo("alice.pem")),
        test::read(demo("alice.pem")) + test::read(demo("alice.key"))}) {
    const auto certs = parse_certificates(pem, "combined");
    ASSERT_EQ(certs.size(), 1u);
    EXPECT_EQ(certs[0].display_name(), "Alice Demo");
  }
}

TEST(ParseCertificates, DerGivesTheSameCertificateAsPem) {
  const auto from_der = parse_certificates(test::read(demo("alice.der")), "alice.der");
  const auto from_pem = parse_certificates(test::read(demo("alice.pem")), "alice.pem");
  ASSERT_EQ(from_der.size(), 1u);
  ASSERT_EQ(from_pem.size(), 1u);
  EXPECT_TRUE(from_der[0] == from_pem[0]);
  const std::string der = test::read(demo("alice.der"));
  EXPECT_EQ(from_pem[0].der(), std::vector<std::uint8_t>(der.begin(), der.end()));
}

TEST(ParseCertificates, FromDerParsesOneCertificate) {
  const std::string der = test::read(demo("bob.der"));
  const auto cert = Certificate::from_der(
      std::span(reinterpret_cast<const std::uint8_t*>(der.data()), der.size()));
  EXPECT_EQ(cert.display_name(), "Bob Demo");
}

TEST(ParseCertificates, GarbageIsInputError) {
  EXPECT_EQ(error_code_of([] { (void)parse_certificates("garbage, not a certificate", "g"); }),
            ErrorCode::Input);
  EXPECT_EQ(error_code_of([] { (void)parse_certificates("", "empty"); }), ErrorCode::Input);
  EXPECT_EQ(error_code_of([] {
              (void)parse_certificates(
                  "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "p");
            }),
            ErrorCode::Input);
  // A private key is PEM too, but not a certificate.
  EXPECT_EQ(error_code_of([] { (void)parse_certificates(test::read(demo("alice.key")), "key"); }),
            ErrorCode::Input);
  const std::string truncated = test::read(demo("alice.der")).substr(0, 200);
  EXPECT_EQ(error_code_of([&] { (void)parse_certificates(truncated, "cut"); }), ErrorCode::Input);
  const std::uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_EQ(error_code_of([&] { (void)Certificate::from_der(junk); }), ErrorCode::Input);
}

TEST(ParseCertificates, ErrorNamesTheOrigin) {
  try {
    (void)parse_certificates("garbage", "my-origin.pem");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("my-origin.pem"), std::string::npos) << e.what();
  }
}

TEST(LoadCertificates, FileDirectoryEmptyAndMissing) {
  EXPECT_EQ(load_certificates(demo("alice-chain.pem")).size(), 1u);
  // unrelated-chain.pem is empty: an empty file holds no certificate.
  EXPECT_EQ(error_code_of([] { (void)load_certificates(test_cert("unrelated-chain.pem")); }),
            ErrorCode::Input);
  EXPECT_EQ(error_code_of([] { (void)load_certificates(test_cert("no-such-file.pem")); }),
            ErrorCode::NoInput);

  test::TempDir dir;
  test::write(dir / "a.pem", test::read(demo("alice.pem")));
  test::write(dir / "b.der", test::read(demo("bob.der")));
  const auto certs = load_certificates(dir.path());
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0].display_name(), "Alice Demo");  // sorted by file name
  EXPECT_EQ(certs[1].display_name(), "Bob Demo");

  test::write(dir / "c.txt", "not a certificate\n");
  EXPECT_EQ(error_code_of([&] { (void)load_certificates(dir.path()); }), ErrorCode::Input);
}

TEST(CertificateFields, AliceNamesAndDates) {
  const Certificate alice = one(demo("alice.pem"));
  EXPECT_EQ(alice.subject(), "CN=Alice Demo, O=smimekit demo");
  EXPECT_EQ(alice.issuer(), "CN=Demo Intermediate CA, O=smimekit demo");
  EXPECT_EQ(alice.display_name(), "Alice Demo");
  EXPECT_EQ(alice.serial_hex(), "3cbac20c40a20a4b807d69a9e0d54f3f1fbee029");
  EXPECT_EQ(alice.not_before(), date("2025-01-01"));
  EXPECT_EQ(alice.not_after(), date("2075-01-01"));
  EXPECT_FALSE(alice.is_self_issued());
  EXPECT_FALSE(alice.is_ca());
  EXPECT_EQ(alice.signature_algorithm(), "sha256WithRSAEncryption");
}

TEST(CertificateFields, FingerprintIsSha256OfTheDerInLowercaseHex) {
  for (const char* name : {"alice", "bob", "carol"}) {
    const Certificate c = one(demo(std::string(name) + ".pem"));
    const std::string expected = sha256_hex(test::read(demo(std::string(name) + ".der")));
    EXPECT_EQ(c.fingerprint_sha256(), expected) << name;
    EXPECT_TRUE(std::regex_match(c.fingerprint_sha256(), std::regex("[0-9a-f]{64}"))) << name;
  }
  EXPECT_NE(one(demo("alice.pem")).fingerprint_sha256(), one(demo("bob.pem")).fingerprint_sha256());
}

TEST(CertificateFields, EmailAddresses) {
  EXPECT_EQ(one(demo("alice.pem")).email_addresses(), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(one(demo("bob.pem")).email_addresses(), std::vector<std::string>{"bob@example.org"});
  EXPECT_EQ(one(demo("carol.pem")).email_addresses(), std::vector<std::string>{"carol@example.org"});
  // No subjectAltName: the emailAddress of the subject DN counts (RFC 8550 §3).
  EXPECT_EQ(one(test_cert("dnemail.pem")).email_addresses(),
            std::vector<std::string>{"dnemail@example.org"});
  EXPECT_TRUE(one(test_cert("noemail.pem")).email_addresses().empty());
  EXPECT_TRUE(one(demo("root.pem")).email_addresses().empty());
}

TEST(CertificateFields, KeyDescriptions) {
  EXPECT_EQ(one(demo("alice.pem")).key_description(), "RSA-2048");
  EXPECT_EQ(one(demo("bob.pem")).key_description(), "RSA-3072");
  EXPECT_EQ(one(demo("carol.pem")).key_description(), "EC P-256");
  EXPECT_EQ(one(test_cert("rsa1024.pem")).key_description(), "RSA-1024");
  EXPECT_EQ(one(test_cert("dnemail.pem")).key_description(), "RSA-2048");
  EXPECT_EQ(one(test_cert("noemail.pem")).key_description(), "RSA-2048");
  EXPECT_EQ(one(demo("root.pem")).key_description(), "RSA-3072");
  EXPECT_TRUE(one(demo("alice.pem")).has_rsa_key());
  EXPECT_FALSE(one(demo("carol.pem")).has_rsa_key());
}

TEST(CertificateFields, KeyUsageOfTheUsers) {
  const KeyUsage alice = one(demo("alice.pem")).key_usage();
  EXPECT_TRUE(alice.present);
  EXPECT_TRUE(alice.digital_signature);
  EXPECT_TRUE(alice.non_repudiation);
  EXPECT_TRUE(alice.key_encipherment);
  EXPECT_FALSE(alice.key_agreement);
  EXPECT_FALSE(alice.key_cert_sign);
  EXPECT_FALSE(alice.crl_sign);

  const KeyUsage carol = one(demo("carol.pem")).key_usage();
  EXPECT_TRUE(carol.present);
  EXPECT_TRUE(carol.digital_signature);
  EXPECT_TRUE(carol.non_repudiation);
  EXPECT_TRUE(carol.key_agreement);
  EXPECT_FALSE(carol.key_encipherment);

  const KeyUsage keyenc = one(test_cert("keyenc.pem")).key_usage();
  EXPECT_TRUE(keyenc.present);
  EXPECT_TRUE(keyenc.key_encipherment);
  EXPECT_FALSE(keyenc.digital_signature);
  EXPECT_FALSE(keyenc.non_repudiation);

  for (const char* name : {"dnemail", "noemail"}) {
    const KeyUsage ku = one(test_cert(std::string(name) + ".pem")).key_usage();
    EXPECT_TRUE(ku.present) << name;
    EXPECT_TRUE(ku.digital_signature) << name;
    EXPECT_TRUE(ku.non_repudiation) << name;
  }
}

TEST(CertificateFields, CaCertificates) {
  const Certificate root = one(demo("root.pem"));
  EXPECT_TRUE(root.is_ca());
  EXPECT_TRUE(root.is_self_issued());
  EXPECT_EQ(root.subject(), root.issuer());
  EXPECT_TRUE(root.key_usage().present);
  EXPECT_TRUE(root.key_usage().key_cert_sign);
  EXPECT_TRUE(root.key_usage().crl_sign);
  EXPECT_FALSE(root.key_usage().digital_signature);
  EXPECT_TRUE(root.extended_key_usage().empty());

  const Certificate intermediate = one(demo("intermediate.pem"));
  EXPECT_TRUE(intermediate.is_ca());
  EXPECT_FALSE(intermediate.is_self_issued());
  EXPECT_EQ(intermediate.issuer(), root.subject());
}

TEST(CertificateFields, ExtendedKeyUsage) {
  EXPECT_EQ(one(demo("alice.pem")).extended_key_usage(), std::vector<std::string>{kEmailProtection});
  EXPECT_EQ(one(test_cert("serverauth.pem")).extended_key_usage(),
            std::vector<std::string>{kServerAuth});
}

TEST(CertificateFields, OddTestCertificates) {
  const Certificate expired = one(test_cert("expired.pem"));
  EXPECT_EQ(expired.not_before(), date("2020-01-01"));
  EXPECT_EQ(expired.not_after(), date("2021-01-01"));
  const Certificate notyet = one(test_cert("notyet.pem"));
  EXPECT_EQ(notyet.not_before(), date("2090-01-01"));
  EXPECT_EQ(notyet.not_after(), date("2095-01-01"));
  EXPECT_EQ(one(test_cert("sha1.pem")).signature_algorithm(), "sha1WithRSAEncryption");
  EXPECT_EQ(one(test_cert("dnemail.pem")).display_name(), "DN Email Test");
  EXPECT_EQ(one(test_cert("unrelated.pem")).issuer(), "CN=Unrelated Root CA, O=smimekit demo");
}

TEST(CertificateFields, CopiesCompareEqualAndDifferentCertificatesDoNot) {
  const Certificate a = one(demo("alice.pem"));
  const Certificate copy = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(a == copy);
  EXPECT_TRUE(a == one(demo("alice.pem")));
  EXPECT_FALSE(a == one(demo("bob.pem")));
}

TEST(Crls, ParseAndLoad) {
  const auto crls = load_crls(test_cert("revoked.crl.pem"));
  ASSERT_EQ(crls.size(), 1u);
  EXPECT_EQ(crls[0].issuer(), "CN=Demo Intermediate CA, O=smimekit demo");
  EXPECT_FALSE(crls[0].der().empty());
  // The DER of a CRL parses back into the same CRL.
  const auto again = Crl::from_der(crls[0].der());
  EXPECT_EQ(again.der(), crls[0].der());

  const std::string both =
      test::read(demo("root.crl.pem")) + test::read(demo("intermediate.crl.pem"));
  const auto two = parse_crls(both, "both");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].issuer(), "CN=Demo Root CA, O=smimekit demo");
  EXPECT_EQ(two[1].issuer(), "CN=Demo Intermediate CA, O=smimekit demo");

  const std::string der(two[1].der().begin(), two[1].der().end());
  EXPECT_EQ(parse_crls(der, "der").size(), 1u);
}

TEST(Crls, GarbageAndCertificatesAreNotCrls) {
  EXPECT_EQ(error_code_of([] { (void)parse_crls("garbage", "g"); }), ErrorCode::Input);
  EXPECT_EQ(error_code_of([] { (void)parse_crls(test::read(demo("alice.pem")), "cert"); }),
            ErrorCode::Input);
  EXPECT_EQ(error_code_of([] { (void)load_crls(test_cert("missing.crl.pem")); }),
            ErrorCode::NoInput);
}

// RFC 5280 §4.1.2.5: a certificate with no well-defined end says 9999-12-31T23:59:59Z. That is
// past what a nanosecond system_clock holds (2262); it must read as "the far future", not
// overflow into the past. (Found by the x509 fuzz target on a corpus certificate.)
TEST(Certificate, NotAfter9999IsTheFarFutureNotAnOverflow) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Forever"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  ASSERT_EQ(ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z"), 1);
  ASSERT_EQ(ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z"), 1);
  X509_set_pubkey(x, key);
  ASSERT_GT(X509_sign(x, key, EVP_sha256()), 0);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  X509_free(x);
  EVP_PKEY_free(key);

  const Certificate c = parse_certificates(pem, "test").front();
  EXPECT_EQ(c.not_after(), TimePoint::max());
  EXPECT_GT(c.not_after(), std::chrono::system_clock::now());
  EXPECT_LT(c.not_before(), std::chrono::system_clock::now());
  EXPECT_EQ(format_time(c.not_before()), "2020-01-01T00:00:00Z");
}

}  // namespace
}  // namespace smimekit

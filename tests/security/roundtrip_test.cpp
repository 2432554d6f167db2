// Library round trips: every content cipher x recipient kind x signed or not. encrypt() or
// sign_and_encrypt(), then an Opener with the recipient's identity: the content comes back,
// the verdict is valid when signed (anchor root.pem, From alice) and unsigned otherwise,
// authenticated_encryption follows the cipher, and the DER uses the algorithms the spec
// names (RSA-OAEP/SHA-256, PKCS#1 v1.5 on request, ECDH with the SHA-256 KDF and an AES key
// wrap of the content key's size, a 12-byte nonce and a 16-byte tag).
#include <gtest/gtest.h>

#include <string>

#include "security_support.h"

namespace smimekit::security {
namespace {

enum class Kind { RsaOaep, RsaPkcs1, Ec };

struct RoundTrip {
  ContentCipher cipher;
  Kind kind;
  bool sign;
};

std::string kind_name(Kind k) {
  switch (k) {
    case Kind::RsaOaep: return "RsaOaep";
    case Kind::RsaPkcs1: return "RsaPkcs1";
    case Kind::Ec: return "Ec";
  }
  return "?";
}

std::string case_name(const RoundTrip& c) {
  std::string cipher(content_cipher_name(c.cipher));
  std::erase(cipher, '-');
  return cipher + "_" + kind_name(c.kind) + (c.sign ? "_Signed" : "_Unsigned");
}

void PrintTo(const RoundTrip& c, std::ostream* os) { *os << case_name(c); }

std::vector<RoundTrip> cases() {
  std::vector<RoundTrip> out;
  for (ContentCipher c : {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm,
                          ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
    for (Kind k : {Kind::RsaOaep, Kind::RsaPkcs1, Kind::Ec}) {
      for (bool s : {false, true}) out.push_back({c, k, s});
    }
  }
  return out;
}

bool contains_oid(const std::string& der, std::string_view oid_body) {
  return der.find(encode_tlv(0x06, oid_body)) != std::string::npos;
}

constexpr std::string_view kRsaEncryption = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01";
constexpr std::string_view kRsaOaep = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x07";
constexpr std::string_view kSha256 = "\x60\x86\x48\x01\x65\x03\x04\x02\x01";
constexpr std::string_view kSha1 = "\x2b\x0e\x03\x02\x1a";
constexpr std::string_view kEcdhSha256Kdf = "\x2b\x81\x04\x01\x0b\x01";  // 1.3.132.1.11.1
constexpr std::string_view kAes128Wrap = "\x60\x86\x48\x01\x65\x03\x04\x01\x05";
constexpr std::string_view kAes256Wrap = "\x60\x86\x48\x01\x65\x03\x04\x01\x2d";

std::string_view content_oid(ContentCipher c) {
  switch (c) {
    case ContentCipher::Aes256Gcm: return "\x60\x86\x48\x01\x65\x03\x04\x01\x2e";
    case ContentCipher::Aes128Gcm: return "\x60\x86\x48\x01\x65\x03\x04\x01\x06";
    case ContentCipher::Aes256Cbc: return "\x60\x86\x48\x01\x65\x03\x04\x01\x2a";
    case ContentCipher::Aes128Cbc: return "\x60\x86\x48\x01\x65\x03\x04\x01\x02";
  }
  return "";
}

std::string_view openssl_cipher_name(ContentCipher c) {
  switch (c) {
    case ContentCipher::Aes256Gcm: return "aes-256-gcm";
    case ContentCipher::Aes128Gcm: return "aes-128-gcm";
    case ContentCipher::Aes256Cbc: return "aes-256-cbc";
    case ContentCipher::Aes128Cbc: return "aes-128-cbc";
  }
  return "";
}

class SecurityRoundTrip : public testing::TestWithParam<RoundTrip> {};

TEST_P(SecurityRoundTrip, DecryptsToTheSameContent) {
  const RoundTrip& c = GetParam();
  const std::string recipient = c.kind == Kind::Ec ? "carol" : "bob";
  EncryptOptions options;
  options.cipher = c.cipher;
  options.rsa_pkcs1 = c.kind == Kind::RsaPkcs1;
  const std::vector<Certificate> recipients{demo_certificate(recipient)};
  const std::string message =
      c.sign ? sign_and_encrypt(secret_message(), demo_identity("alice"), recipients, {}, options)
             : encrypt(secret_message(), recipients, options);
  // Nothing of the plaintext on the outside.
  ASSERT_EQ(message.find(kSecret), std::string::npos);
  EXPECT_NE(message.find(is_authenticated(c.cipher) ? "smime-type=authEnveloped-data"
                                                    : "smime-type=enveloped-data"),
            std::string::npos)
      << split_header(message).header;

  // The DER: the structure and the algorithms.
  const std::string der = message_der(message);
  const auto f = locate_envelope(der);
  EXPECT_EQ(f.auth_enveloped, is_authenticated(c.cipher));
  EXPECT_EQ(contents(der, f.algorithm_oid), content_oid(c.cipher));
  ASSERT_EQ(f.recipients.size(), 1u);
  const std::string ri = whole(der, f.recipients[0]);
  if (is_authenticated(c.cipher)) {
    ASSERT_TRUE(f.nonce && f.mac);
    EXPECT_EQ(f.nonce->length, 12u);
    EXPECT_EQ(f.mac->length, 16u);
    ASSERT_TRUE(f.icv_len.has_value()) << "aes-ICVlen left out means 12, not 16";
    EXPECT_EQ(contents(der, *f.icv_len), std::string(1, '\x10'));
  } else {
    ASSERT_TRUE(f.iv.has_value());
    EXPECT_EQ(f.iv->length, 16u);
  }
  switch (c.kind) {
    case Kind::RsaOaep:
      EXPECT_TRUE(contains_oid(ri, kRsaOaep));
      EXPECT_TRUE(contains_oid(ri, kSha256)) << "RSA-OAEP must name SHA-256";
      EXPECT_FALSE(contains_oid(ri, kSha1));
      break;
    case Kind::RsaPkcs1:
      EXPECT_TRUE(contains_oid(ri, kRsaEncryption));
      EXPECT_FALSE(contains_oid(ri, kRsaOaep));
      break;
    case Kind::Ec: {
      EXPECT_EQ(f.recipients[0].tag, 0xA1) << "KeyAgreeRecipientInfo expected";
      EXPECT_TRUE(contains_oid(ri, kEcdhSha256Kdf)) << "dhSinglePass-stdDH-sha256kdf-scheme";
      const bool aes256 =
          c.cipher == ContentCipher::Aes256Gcm || c.cipher == ContentCipher::Aes256Cbc;
      EXPECT_TRUE(contains_oid(ri, aes256 ? kAes256Wrap : kAes128Wrap))
          << "the key wrap follows the content key's size";
      break;
    }
  }

  // Open with the recipient's key.
  const Report r = open_message(message, {demo_identity(recipient)});
  const std::string json = to_json(r, case_name(c));
  EXPECT_EQ(r.verdict, c.sign ? Verdict::Valid : Verdict::Unsigned) << json;
  EXPECT_TRUE(r.encrypted) << json;
  EXPECT_FALSE(r.partially_encrypted);
  EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(is_authenticated(c.cipher))) << json;
  ASSERT_TRUE(r.text.has_value()) << json;
  EXPECT_EQ(to_lf(*r.text), secret_body());
  ASSERT_FALSE(r.layers.empty());
  const Layer& layer = r.layers[0];
  EXPECT_EQ(layer.kind, is_authenticated(c.cipher) ? LayerKind::AuthEnveloped : LayerKind::Enveloped);
  EXPECT_TRUE(layer.decrypted);
  EXPECT_EQ(layer.authenticated, is_authenticated(c.cipher));
  // Named (the exact spelling is checked in LayerCipherNameAsDocumented below).
  EXPECT_FALSE(layer.cipher.empty());
  EXPECT_NE(layer.cipher, "unknown");
  EXPECT_EQ(r.from, std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(r.subject, "For your eyes only");
  if (c.sign) {
    ASSERT_EQ(layer.children.size(), 1u) << json;
    EXPECT_EQ(layer.children[0].kind, LayerKind::Signed);
    EXPECT_TRUE(layer.children[0].covers_whole_message);
    const auto signers = r.whole_message_signers();
    ASSERT_EQ(signers.size(), 1u);
    ASSERT_TRUE(signers[0]->certificate.has_value());
    EXPECT_EQ(signers[0]->certificate->email_addresses().front(), "alice@example.org");
  }
  // The decrypted message: the outer header fields, then the decrypted entity.
  EXPECT_EQ(r.decrypted_message.rfind("From: Alice Demo <alice@example.org>", 0), 0u)
      << r.decrypted_message;
  EXPECT_NE(r.decrypted_message.find(kSecret), std::string::npos);
  // ...which opens again, without a key, with the same verdict.
  const Report again = open_message(r.decrypted_message, {});
  EXPECT_EQ(again.verdict, r.verdict) << to_json(again, "again");
  EXPECT_FALSE(again.encrypted);
  ASSERT_TRUE(again.text.has_value());
  EXPECT_EQ(to_lf(*again.text), secret_body());

  // A key that is not a recipient gets nothing.
  const std::string other = recipient == "bob" ? "carol" : "bob";
  expect_refused(open_message(message, {demo_identity(other)}), "not a recipient");

  // --require-authenticated: GCM opens, CBC is refused.
  const Report strict = open_message(message, {demo_identity(recipient)}, true);
  if (is_authenticated(c.cipher)) {
    EXPECT_TRUE(strict.encrypted) << to_json(strict, "strict");
    EXPECT_EQ(strict.verdict, r.verdict);
  } else {
    expect_refused(strict, "CBC under require_authenticated");
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, SecurityRoundTrip, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<RoundTrip>& info) {
                           return case_name(info.param);
                         });

TEST(SecurityRoundTripNames, LayerCipherNameAsDocumented) {
  // report.h: "Encrypted layers: the content cipher ("aes-256-gcm") once decrypted".
  for (ContentCipher cipher : {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm,
                               ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
    EncryptOptions options;
    options.cipher = cipher;
    const Report r = open_message(encrypt(secret_message(), {demo_certificate("bob")}, options),
                                  {demo_identity("bob")});
    ASSERT_EQ(r.layers.size(), 1u) << to_json(r, "names");
    EXPECT_EQ(r.layers[0].cipher, openssl_cipher_name(cipher));
  }
}

}  // namespace
}  // namespace smimekit::security

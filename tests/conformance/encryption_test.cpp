// Encrypted items of the shared corpora, decrypted through smimekit.
//
// RFC 4134 §5 (EnvelopedData to Bob), RFC 9216 (encryptedForBobRSAOaep and the algorithms
// OpenSSL 3.0 lacks), OpenSSL's ciphertext made by 1.1.1, and notmuch's sign+encrypt
// samples (draft-dkg-lamps-samples). Each expectation comes from the corpus's SOURCE.txt;
// where smimekit refuses by policy or for lack of an algorithm, the test asserts that refusal
// and says why.
#include <gtest/gtest.h>

#include "cms/cms.h"
#include "smimekit/error.h"
#include "smimekit/mail.h"
#include "support/test_support.h"

namespace smimekit {
namespace {

using test::read;

Identity identity(const std::filesystem::path& key, const std::filesystem::path& cert) {
  return make_identity(load_private_key(key, nullptr), load_certificates(cert).front(), {});
}

// RFC 4134 §5.1: EnvelopedData, 3DES-CBC, RSA key transport to Bob.
TEST(conformance_rfc4134_enveloped, Item5_1TripleDesDecryptsToExContent) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "rfc4134-smime-examples");
  const auto d = dir / "rfc4134";
  const Identity bob = identity(d / "BobPrivRSAEncrypt.pri", d / "BobRSASignByCarl.cer");
  const cms::Decrypted out = cms::decrypt(read(d / "5.1.bin"), {bob});
  EXPECT_EQ(out.content, read(d / "ExContent.bin"));
  EXPECT_EQ(out.cipher, "des-ede3-cbc");
  EXPECT_FALSE(out.authenticated);
}

// RFC 4134 §5.2 uses RC2/128, which OpenSSL 3 keeps in its legacy provider: smimekit loads it
// for that one decryption only and marks the cipher as legacy.
TEST(conformance_rfc4134_enveloped, Item5_2Rc2DecryptsAsLegacy) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "rfc4134-smime-examples");
  const auto d = dir / "rfc4134";
  const Identity bob = identity(d / "BobPrivRSAEncrypt.pri", d / "BobRSASignByCarl.cer");
  const cms::Decrypted out = cms::decrypt(read(d / "5.2.bin"), {bob});
  EXPECT_EQ(out.content, read(d / "ExContent.bin"));
  EXPECT_EQ(out.cipher, "rc2-cbc");
  EXPECT_TRUE(out.legacy_cipher);
  EXPECT_FALSE(out.authenticated);
}

// RFC 4134 §5.3: the same EnvelopedData as an S/MIME message.
TEST(conformance_rfc4134_enveloped, Item5_3MessageOpens) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "rfc4134-smime-examples");
  const auto d = dir / "rfc4134";
  OpenOptions options;
  options.identities.push_back(identity(d / "BobPrivRSAEncrypt.pri", d / "BobRSASignByCarl.cer"));
  const Report report = Opener(std::move(options)).open(read(d / "5.3.eml"));
  EXPECT_TRUE(report.encrypted) << to_json(report, "5.3.eml");
  EXPECT_EQ(report.authenticated_encryption, false);
  EXPECT_EQ(report.verdict, Verdict::Unsigned);
  ASSERT_TRUE(report.text.has_value());
  EXPECT_NE(report.text->find("This is some sample content."), std::string::npos);
}

// RFC 9216: EnvelopedData with AES-256-CBC and RSAES-OAEP to Bob.
TEST(conformance_rfc9216_enveloped, EncryptedForBobRsaOaep) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "rfc9216-lamps-samples");
  const auto d = dir / "examples-cms";
  const Identity bob = identity(d / "certs-and-keys/lamps-bob.decrypt.p8.pem",
                                d / "certs-and-keys/lamps-bob.encrypt.crt");
  const cms::Decrypted out = cms::decrypt(read(d / "binary-files/encryptedForBobRSAOaep.p7m"), {bob});
  EXPECT_EQ(out.content, "This is some sample content.");
  EXPECT_FALSE(out.authenticated);
}

// encryptedForBobAndDana holds an RSA recipient (Bob) and an X25519 one (Dana): Bob opens it.
TEST(conformance_rfc9216_enveloped, EncryptedForBobAndDanaOpensForBob) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "rfc9216-lamps-samples");
  const auto d = dir / "examples-cms";
  const Identity bob = identity(d / "certs-and-keys/lamps-bob.decrypt.p8.pem",
                                d / "certs-and-keys/lamps-bob.encrypt.crt");
  const cms::Decrypted out = cms::decrypt(read(d / "binary-files/encryptedForBobAndDana.p7m"), {bob});
  EXPECT_EQ(out.content, "This is some sample content.");
}

// Known gaps, asserted so that a change is noticed: OpenSSL 3.0's CMS has no X25519 key
// agreement with HKDF (RFC 8418) and no ChaCha20-Poly1305 content (RFC 8103); smimekit does
// not implement them itself yet.
TEST(conformance_rfc9216_enveloped, X25519AndChaChaAreNotYetSupported) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "rfc9216-lamps-samples");
  const auto d = dir / "examples-cms";
  const Identity dana = identity(d / "certs-and-keys/lamps-dana.decrypt.p8.pem",
                                 d / "certs-and-keys/lamps-dana.encrypt.crt");
  const Identity bob = identity(d / "certs-and-keys/lamps-bob.decrypt.p8.pem",
                                d / "certs-and-keys/lamps-bob.encrypt.crt");
  EXPECT_THROW((void)cms::decrypt(read(d / "binary-files/authEnvelopedForDanaX25519HKDF.p7m"), {dana}),
               Error);
  EXPECT_THROW(
      (void)cms::decrypt(read(d / "binary-files/authEnvelopedForBobChaCha20Poly1305.p7m"), {bob}),
      Error);
}

// OpenSSL's regression ciphertext: an S/MIME message made by OpenSSL 1.1.1 for smec3 (ECDH).
TEST(conformance_openssl_cms_enveloped, CiphertextFrom111DecryptsForSmec3) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "openssl-cms-smime");
  const auto t = dir / "test";
  const auto smec3 = t / "smime-certs/smec3.pem";  // key and certificate in one file
  OpenOptions options;
  options.identities.push_back(identity(smec3, smec3));
  const Report report = Opener(std::move(options))
                            .open(read(t / "recipes/80-test_cms_data/ciphertext_from_1_1_1.cms"));
  EXPECT_TRUE(report.encrypted) << to_json(report, "ciphertext_from_1_1_1.cms");
  ASSERT_TRUE(report.text.has_value());
  EXPECT_EQ(*report.text, read(t / "smcont.txt"));
}

// notmuch's draft-dkg-lamps-samples messages: signed, then encrypted to Bob.
TEST(conformance_notmuch_enveloped, SignThenEncryptOpensValid) {
  SMIMEKIT_REQUIRE_CORPUS(dir, "notmuch-smime-samples");
  const auto t = dir / "test";
  OpenOptions options;
  options.trust.anchors = load_certificates(t / "smime/ca.crt");
  options.identities.push_back(load_pkcs12(t / "smime/bob.p12", Secret("")));
  const Opener opener(std::move(options));
  for (const char* name : {"smime-sign+enc.eml", "smime-sign+enc+legacy-disp.eml"}) {
    SCOPED_TRACE(name);
    const Report report = opener.open(read(t / "corpora/protected-headers" / name));
    EXPECT_TRUE(report.encrypted) << to_json(report, name);
    EXPECT_EQ(report.verdict, Verdict::Valid) << to_json(report, name);
  }
  const Report unsigned_report =
      opener.open(read(t / "corpora/protected-headers/smime-enc+legacy-disp.eml"));
  EXPECT_TRUE(unsigned_report.encrypted);
  EXPECT_EQ(unsigned_report.verdict, Verdict::Unsigned);
}

}  // namespace
}  // namespace smimekit

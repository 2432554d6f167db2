// Attacks on the CMS structure ("Johnny, You Are Fired!", USENIX Security 2019, §4 "CMS
// attacks"): a SignedData whose own content disagrees with the MIME part it signs, several
// signers of which one fails, no signer at all, a signer nobody vouches for, and SignedData
// that is garbage or cut short. None of them may be valid, and the report must say why.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pem.h>

#include <random>
#include <string>
#include <vector>

#include "attack_support.h"

namespace smimekit::security {
namespace {

constexpr std::string_view kAliceFrom = "From: Alice Demo <alice@example.org>\n";

// The text of the first part of a multipart/signed built here; the victim reads it.
const std::string kEntity =
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Please pay invoice 4711 today.\r\n";

// A multipart/signed message from FROM whose first part is kEntity (the signed bytes, CRLF)
// and whose signature part holds DER.
std::string multipart_signed(std::string_view from, const std::string& der) {
  return to_crlf(std::string(from) +
                 "To: Bob Demo <bob@example.org>\n"
                 "Subject: Invoice\n"
                 "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
                 "MIME-Version: 1.0\n"
                 "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\n"
                 " micalg=sha-256; boundary=\"sig\"\n"
                 "\n"
                 "--sig\n") +
         kEntity +  // its last CRLF is the part's own; the next belongs to the delimiter
         to_crlf(
             "\n--sig\n"
             "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n"
             "Content-Transfer-Encoding: base64\n"
             "\n" +
             base64_encode(der) + "\n--sig--\n");
}

// An application/pkcs7-mime signed-data message from alice holding DER.
std::string opaque(const std::string& der) {
  return outer("Alice Demo <alice@example.org>",
               "application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\n"
               "Content-Transfer-Encoding: base64") +
         base64_encode(der);
}

struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

struct Signer {
  KeyPtr key;
  CertPtr cert;
};

// A second certificate for alice@example.org, on a fresh P-256 key, issued by the demo
// intermediate: a second signer that binds to alice's From as well.
Signer second_alice() {
  Signer s{new_ec_key(), nullptr};
  const KeyPtr ca_key = read_key(test::demo("intermediate.key"));
  const CertPtr ca = read_cert(test::demo("intermediate.pem"));
  s.cert = issue({"Alice Demo (second key)", false, {"alice@example.org"}, 4242}, s.key.get(),
                 ca.get(), ca_key.get());
  return s;
}

Signer demo_signer(const std::string& user) {
  return {read_key(test::demo(user + ".key")), read_cert(test::demo(user + ".pem"))};
}
Signer test_signer(const std::string& name) {
  return {read_key(test::test_cert(name + ".key")), read_cert(test::test_cert(name + ".pem"))};
}

// A detached SignedData over CONTENT by every one of SIGNERS, with SHA-256 and the usual
// signed attributes, carrying their certificates and the demo intermediate.
std::string sign_detached(const std::string& content, const std::vector<const Signer*>& signers) {
  const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(
      CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) throw std::runtime_error("CMS_sign failed");
  for (const Signer* s : signers) {
    if (CMS_add1_signer(cms.get(), s->cert.get(), s->key.get(), EVP_sha256(), 0) == nullptr) {
      throw std::runtime_error("CMS_add1_signer failed");
    }
  }
  const CertPtr intermediate = read_cert(test::demo("intermediate.pem"));
  CMS_add1_cert(cms.get(), intermediate.get());
  std::unique_ptr<BIO, BioFree> data(
      BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (CMS_final(cms.get(), data.get(), nullptr, flags) != 1)
    throw std::runtime_error("CMS_final failed");
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// The fields of ContentInfo { OID, [0] { SignedData } }.
struct SignedDataFields {
  Tlv oid;
  std::vector<Tlv>
      fields;  ///< version, digestAlgorithms, encapContentInfo, [0] certs?, [1]?, signerInfos
};
SignedDataFields locate_signed_data(const std::string& der) {
  const Tlv ci = read_tlv(der, 0);
  const auto top = children(der, ci);
  const auto explicit0 = children(der, top.at(1));
  return {top.at(0), children(der, explicit0.at(0))};
}
std::string rebuild_signed_data(const std::string& der, const SignedDataFields& f,
                                const std::vector<std::string>& fields) {
  std::string body;
  for (const auto& field : fields) body += field;
  return encode_tlv(0x30, whole(der, f.oid) + encode_tlv(0xA0, encode_tlv(0x30, body)));
}

const std::string kIdData = encode_tlv(0x06, "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01");
const std::string kIdSignedData = encode_tlv(0x06, "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02");

// ---------------------------------------------------------------------------------------
// eContent beside the MIME-signed part

TEST(SecurityAttackCms, EContentBesideTheSignedPart) {
  // Alice's genuine detached signature over the first part, with an eContent slipped into
  // its encapContentInfo that says something else. The signature still verifies over the
  // MIME part; which of the two would a reader see?
  const std::string genuine = alice_signed();
  ASSERT_EQ(open_message(genuine, {}).verdict, Verdict::Valid);
  const std::string der = signature_der(genuine);
  const SignedDataFields f = locate_signed_data(der);
  ASSERT_EQ(f.fields.at(2).tag, 0x30);
  std::vector<std::string> fields;
  for (const Tlv& t : f.fields) fields.push_back(whole(der, t));
  fields[2] =
      encode_tlv(0x30, kIdData + encode_tlv(0xA0, encode_tlv(0x04,
                                                             "Content-Type: text/plain\r\n\r\n"
                                                             "Pay 10,000 EUR to eve.\r\n")));
  const Report r =
      open_message(with_signature_der(genuine, rebuild_signed_data(der, f, fields)), {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(has_problem(r, Status::ContentMismatch)) << dump(r);
  EXPECT_TRUE(has_reason(r, "the signature carries content of its own beside the signed MIME part"))
      << dump(r);
}

TEST(SecurityAttackCms, OpaqueSignatureOverOtherContentAsDetachedSignature) {
  // Alice's opaque signature over "pay eve" used as the signature part of a multipart/signed
  // whose first part says something else: the eContent differs from the MIME part, and the
  // signature covers only the eContent.
  SignOptions options;
  options.format = SignFormat::Opaque;
  const std::string opaque_message =
      sign(plain_message(std::string(kAliceFrom), "Pay 10,000 EUR to eve.\n"),
           demo_identity("alice"), options);
  const Report r = open_message(multipart_signed(kAliceFrom, message_der(opaque_message)), {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(has_problem(r, Status::SignatureInvalid) || has_problem(r, Status::ContentMismatch))
      << dump(r);
  EXPECT_TRUE(
      has_reason(r, "signature by alice@example.org: the signature does not match the content"))
      << dump(r);
}

// ---------------------------------------------------------------------------------------
// Several SignerInfos

TEST(SecurityAttackCms, TwoGoodSignersAreValid) {
  // The control for the test below: two SignerInfos by alice (two keys), both intact.
  const Signer alice = demo_signer("alice");
  const Signer alice2 = second_alice();
  const Report r =
      open_message(multipart_signed(kAliceFrom, sign_detached(kEntity, {&alice, &alice2})), {});
  EXPECT_EQ(r.verdict, Verdict::Valid) << dump(r);
  ASSERT_EQ(r.layers.size(), 1u) << dump(r);
  EXPECT_EQ(r.layers[0].signers.size(), 2u) << dump(r);
}

TEST(SecurityAttackCms, OneOfTwoSignersDoesNotVerify) {
  // alice's signature is good; the second SignerInfo (alice's second key, so that the
  // address binding is not what fails) has one byte of its signature value changed.
  const Signer alice = demo_signer("alice");
  const Signer alice2 = second_alice();
  std::string der = sign_detached(kEntity, {&alice, &alice2});
  const SignedDataFields f = locate_signed_data(der);
  const auto signer_infos = children(der, f.fields.back());
  ASSERT_EQ(signer_infos.size(), 2u);
  const auto second = children(der, signer_infos[1]);
  const Tlv& signature = second.back().tag == 0x04 ? second.back() : second.at(second.size() - 2);
  ASSERT_EQ(signature.tag, 0x04);
  der = flip(der, signature.content() + signature.length / 2);
  const Report r = open_message(multipart_signed(kAliceFrom, der), {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  ASSERT_EQ(r.layers.size(), 1u) << dump(r);
  ASSERT_EQ(r.layers[0].signers.size(), 2u) << dump(r);
  EXPECT_TRUE(r.layers[0].signers[0].ok()) << dump(r);
  EXPECT_EQ(r.layers[0].signers[1].signature, Status::SignatureInvalid) << dump(r);
  EXPECT_TRUE(
      has_reason(r, "signature by alice@example.org: the signature does not match the content"))
      << dump(r);
}

TEST(SecurityAttackCms, SecondSignerIsSomebodyElse) {
  // alice and eve both sign correctly; the From is alice's. eve's signature does not bind
  // to it, so the message is not valid: one good signer does not carry the others.
  const Signer alice = demo_signer("alice");
  const Signer eve = test_signer("eve");
  const Report r =
      open_message(multipart_signed(kAliceFrom, sign_detached(kEntity, {&alice, &eve})), {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(has_reason(r, "signature by eve@example.org: signer address does not match From"))
      << dump(r);
}

// ---------------------------------------------------------------------------------------
// No SignerInfo

struct NoSigner {
  std::string name;
  bool opaque = false;
  bool certificates = false;
};
void PrintTo(const NoSigner& n, std::ostream* os) {
  *os << n.name;
}

class SecurityAttackCmsNoSigner : public testing::TestWithParam<NoSigner> {};

TEST_P(SecurityAttackCmsNoSigner, IsUnsigned) {
  // SignedData { version 1, digestAlgorithms {}, encapContentInfo, [certificates], {} }.
  const NoSigner& p = GetParam();
  std::string encap = kIdData;
  if (p.opaque) {
    encap += encode_tlv(0xA0, encode_tlv(0x04,
                                         "Content-Type: text/plain\r\n\r\n"
                                         "Pay 10,000 EUR to eve.\r\n"));
  }
  std::string body =
      std::string("\x02\x01\x01", 3) + encode_tlv(0x31, "") + encode_tlv(0x30, encap);
  if (p.certificates) {
    body += encode_tlv(0xA0, test::read(test::demo("alice.der")));
  }
  body += encode_tlv(0x31, "");
  const std::string der =
      encode_tlv(0x30, kIdSignedData + encode_tlv(0xA0, encode_tlv(0x30, body)));
  const Report r = open_message(p.opaque ? opaque(der) : multipart_signed(kAliceFrom, der), {});
  EXPECT_EQ(r.verdict, Verdict::Unsigned) << dump(r);
  EXPECT_TRUE(has_reason(r, "the signature holds no signer (a certificates-only SignedData)"))
      << dump(r);
  EXPECT_TRUE(has_reason(r, "the message is not signed")) << dump(r);
  EXPECT_EQ(summarize(r).find("VALID"), std::string::npos) << summarize(r);
}

INSTANTIATE_TEST_SUITE_P(Forms, SecurityAttackCmsNoSigner,
                         testing::Values(NoSigner{"DetachedWithCertificates", false, true},
                                         NoSigner{"DetachedWithoutCertificates", false, false},
                                         NoSigner{"OpaqueWithCertificates", true, true},
                                         NoSigner{"OpaqueWithoutCertificates", true, false}),
                         [](const testing::TestParamInfo<NoSigner>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------------------
// Signers nobody vouches for

TEST(SecurityAttackCms, SelfSignedSigner) {
  // A self-signed certificate that names alice, made by the attacker.
  const KeyPtr key = new_ec_key();
  const CertPtr cert =
      issue({"Alice Demo", false, {"alice@example.org"}, 7}, key.get(), nullptr, key.get());
  const std::string message =
      sign(plain_message(std::string(kAliceFrom)), to_identity(key.get(), cert.get(), {}));
  const Report r = open_message(message, {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(
      has_reason(r, "signature by alice@example.org: the chain does not end at a trust anchor"))
      << dump(r);
}

TEST(SecurityAttackCms, SignerUnderAFakeDemoRoot) {
  // The attacker's own root with the very name of the demo root, carried in the message,
  // and a certificate for alice under it. Self-signed certificates in a message are never
  // anchors, and the name alone does not make it the demo root.
  const KeyPtr key = new_ec_key();
  const CertPtr real_root = read_cert(test::demo("root.pem"));
  CertSpec root_spec{"", true, {}, 99};
  root_spec.subject = X509_get_subject_name(real_root.get());
  const CertPtr fake_root = issue(root_spec, key.get(), nullptr, key.get());
  const CertPtr leaf = issue({"Alice Demo", false, {"alice@example.org"}, 100}, key.get(),
                             fake_root.get(), key.get());
  const std::string message =
      sign(plain_message(std::string(kAliceFrom)),
           to_identity(key.get(), leaf.get(), {to_certificate(fake_root.get())}));
  const Report r = open_message(message, {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  ASSERT_EQ(r.whole_message_signers().size(), 1u) << dump(r);
  EXPECT_FALSE(r.whole_message_signers()[0]->trust.trusted) << dump(r);
  EXPECT_TRUE(
      has_reason(r, "signature by alice@example.org: the chain does not end at a trust anchor"))
      << dump(r);
}

TEST(SecurityAttackCms, SignerFromAnUnrelatedRoot) {
  // certs/test/unrelated: a real CA, just not one the reader trusts.
  // (Its chain file is empty: the root is not sent along.)
  const Identity unrelated =
      make_identity(load_private_key(test::test_cert("unrelated.key"), nullptr),
                    load_certificates(test::test_cert("unrelated.pem")).at(0), {});
  const std::string message =
      sign(plain_message("From: Unrelated Test <unrelated@example.org>\n"), unrelated);
  const Report r = open_message(message, {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(has_reason(r,
                         "signature by unrelated@example.org: the issuer of a certificate in the "
                         "chain was not found, so the chain does not reach a trust anchor"))
      << dump(r);
}

// ---------------------------------------------------------------------------------------
// Garbage and truncated SignedData

struct Damaged {
  std::string name;
  bool opaque = false;
  bool truncated = false;  ///< else random bytes
};
void PrintTo(const Damaged& d, std::ostream* os) {
  *os << d.name;
}

class SecurityAttackCmsDamaged : public testing::TestWithParam<Damaged> {};

TEST_P(SecurityAttackCmsDamaged, IsInvalidAndSaysWhy) {
  const Damaged& p = GetParam();
  const std::string genuine = alice_signed(p.opaque ? SignFormat::Opaque : SignFormat::Detached);
  const std::string der = p.opaque ? message_der(genuine) : signature_der(genuine);
  std::string bad;
  if (p.truncated) {
    bad = der.substr(0, der.size() / 2);
  } else {
    std::mt19937 rng(4711);
    bad.resize(der.size());
    for (char& c : bad) c = static_cast<char>(rng());
  }
  const std::string message = p.opaque ? with_der(genuine, bad) : with_signature_der(genuine, bad);
  const Report r = open_message(message, {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(
      has_reason(r, "the signature part is not valid CMS SignedData (damaged or truncated)"))
      << dump(r);
  EXPECT_FALSE(r.text.has_value() && p.opaque) << dump(r);  // nothing of the opaque content
}

INSTANTIATE_TEST_SUITE_P(Forms, SecurityAttackCmsDamaged,
                         testing::Values(Damaged{"DetachedGarbage", false, false},
                                         Damaged{"DetachedTruncated", false, true},
                                         Damaged{"OpaqueGarbage", true, false},
                                         Damaged{"OpaqueTruncated", true, true}),
                         [](const testing::TestParamInfo<Damaged>& info) {
                           return info.param.name;
                         });

TEST(SecurityAttackCms, HandBuiltMultipartSignedIsValid) {
  // The control for the hand-built messages above: one signer, nothing changed.
  const Signer alice = demo_signer("alice");
  const Report r = open_message(multipart_signed(kAliceFrom, sign_detached(kEntity, {&alice})), {});
  EXPECT_EQ(r.verdict, Verdict::Valid) << dump(r);
}

}  // namespace
}  // namespace smimekit::security

// RFC 4134 "Examples of S/MIME Messages": the signed examples.
//
// Corpus: rfc4134-smime-examples/rfc4134 (see its SOURCE.txt). The N.M.bin items are raw CMS
// ContentInfos, checked with the library's internal cms::check_signed_data (every signer's
// signature must verify, the encapsulated content must be ExContent.bin); 4.8.eml and 4.9.eml
// are whole S/MIME messages, opened with smimekit::Opener.
//
// The examples date from 1999-2002: DSA-1024 / RSA-1024 keys, SHA-1 digests, certificates
// valid 1999-08..2039-12 without extendedKeyUsage. SHA-1 is allowed here (allow_sha1) and the
// validation time is 2004-01-01. DSA with SHA-1 verifies with OpenSSL 3's default provider;
// nothing here needs the legacy provider (that is needed only for the RC2/3DES items 5.x/7.x,
// which are not signed data and not checked here).
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cms/cms.h"
#include "conformance_util.h"
#include "smimekit/mail.h"
#include "smimekit/trust.h"

namespace smimekit::conformance {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCorpus = "rfc4134-smime-examples";
constexpr const char* kValidationTime = "2004-01-01";

fs::path dir(const fs::path& root) { return root / "rfc4134"; }

// Every certificate the RFC publishes, given to check_signed_data as candidate signer certs
// (4.7 identifies its signer by subjectKeyIdentifier; 4.11 carries Alice's and Carl's).
std::vector<Certificate> all_certs(const fs::path& d) {
  std::vector<Certificate> out;
  for (const char* name : {"CarlRSASelf.cer", "CarlDSSSelf.cer", "AliceRSASignByCarl.cer",
                           "AliceDSSSignByCarlNoInherit.cer", "BobRSASignByCarl.cer",
                           "DianeRSASignByCarl.cer", "DianeDSSSignByCarlInherit.cer"}) {
    out.push_back(load_cert(d / name));
  }
  return out;
}

TrustPolicy carl_trust(const fs::path& d) {
  TrustPolicy policy;
  policy.anchors = {load_cert(d / "CarlDSSSelf.cer"), load_cert(d / "CarlRSASelf.cer")};
  policy.allow_sha1 = true;
  policy.validation_time = at(kValidationTime);
  return policy;
}

// ---------------------------------------------------------------------------------------------
// The raw CMS items.

struct SignerExpectation {
  const char* subject;     ///< CN of the signer certificate
  Status signature;        ///< what check_signed_data must report
  Status trust;            ///< ValidationResult::status against Carl's roots
  const char* note;        ///< why, when either is not Ok
};

struct BinCase {
  std::string name;                ///< "Rfc4134_4_1"
  std::string file;                ///< "4.1.bin"
  bool detached = false;           ///< eContent absent: ExContent.bin is supplied
  std::vector<SignerExpectation> signers;
  std::size_t min_certificates = 0;  ///< certificates the SignedData carries, at least
};

void PrintTo(const BinCase& c, std::ostream* os) { *os << c.name; }

// RSA-1024 and DSA-1024 keys have 80-bit strength; PathValidator requires 110 bits (Botan's
// minimum_key_strength), so no RFC 4134 chain is trusted by smimekit: a deliberate policy,
// not a defect. The RFC expects the chains to Carl's roots to be acceptable (in 2005).
constexpr const char* kWeak1024 =
    "chain: Carl's root key is 1024-bit (80-bit strength), below PathValidator's fixed 110-bit "
    "minimum, so the chain is untrusted (weak_key) by smimekit policy";
constexpr const char* kDsaInherit =
    "DianeDSS's certificate inherits the DSA domain parameters from CarlDSS (RFC 3279 2.3.2); "
    "OpenSSL cannot decode a DSA public key without parameters (X509_PUBKEY_get0: decode "
    "error), so her signature does not verify (signature_invalid). Her chain is refused for "
    "Carl's 1024-bit key like the others (Botan 2 never needs her own key to check the chain)";

std::vector<BinCase> bin_cases() {
  const SignerExpectation alice_dss{"AliceDSS", Status::Ok, Status::WeakKey, kWeak1024};
  const SignerExpectation alice_rsa{"AliceRSA", Status::Ok, Status::WeakKey, kWeak1024};
  return {
      {"Rfc4134_4_1", "4.1.bin", false, {alice_dss}, 1},
      {"Rfc4134_4_2", "4.2.bin", false, {alice_rsa}, 1},
      {"Rfc4134_4_3", "4.3.bin", true, {alice_dss}, 1},
      // 4.4 also has an unsigned countersignature by Diane, which check_signed_data does not
      // look at (smimekit does not verify countersignatures).
      {"Rfc4134_4_4", "4.4.bin", false, {alice_dss}, 1},
      {"Rfc4134_4_5", "4.5.bin", false, {alice_rsa}, 2},
      {"Rfc4134_4_6",
       "4.6.bin",
       false,
       {alice_dss,
        {"DianeDSS", Status::SignatureInvalid, Status::WeakKey, kDsaInherit}},
       2},
      {"Rfc4134_4_7", "4.7.bin", false, {alice_dss}, 1},
      {"Rfc4134_4_10", "4.10.bin", false, {alice_dss}, 1},
      // certs-only SignedData: no signerInfos, Alice's and Carl's certificates.
      {"Rfc4134_4_11", "4.11.bin", false, {}, 2},
  };
}

std::vector<BinCase> bin_params() {
  if (test::corpus(kCorpus).empty()) return {{kCorpusMissing, "", false, {}, 0}};
  return bin_cases();
}

class Rfc4134Cms : public ::testing::TestWithParam<BinCase> {};

TEST_P(Rfc4134Cms, SignedData) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const BinCase& c = GetParam();
  const fs::path d = dir(root);
  const std::string der = test::read(d / c.file);
  const std::string excontent = test::read(d / "ExContent.bin");
  ASSERT_EQ(excontent, "This is some sample content.");
  ASSERT_EQ(cms::envelope_kind(der), cms::EnvelopeKind::Signed) << c.file;

  cms::SignedDataCheck check;
  ASSERT_NO_THROW(check = cms::check_signed_data(der, c.detached ? &excontent : nullptr,
                                                 all_certs(d)))
      << c.file;

  if (c.detached || c.signers.empty()) {
    EXPECT_FALSE(check.content.has_value()) << c.file << " carries no eContent";
    EXPECT_FALSE(check.unexpected_content);
  } else if (!c.signers.empty()) {
    ASSERT_TRUE(check.content.has_value()) << c.file << ": no encapsulated content";
    EXPECT_EQ(*check.content, excontent) << c.file;
  }
  EXPECT_GE(check.certificates.size(), c.min_certificates);

  ASSERT_EQ(check.signers.size(), c.signers.size()) << c.file;
  PathValidator validator(carl_trust(d));
  for (std::size_t i = 0; i < c.signers.size(); ++i) {
    const SignerExpectation& want = c.signers[i];
    const cms::SignerCheck& got = check.signers[i];
    SCOPED_TRACE(c.file + " signer " + std::to_string(i) + " (" + want.subject + ")");
    ASSERT_TRUE(got.certificate.has_value());
    EXPECT_EQ(got.certificate->display_name(), want.subject);
    EXPECT_TRUE(got.sha1_digest) << got.digest_algorithm;
    EXPECT_EQ(status_name(got.signature), status_name(want.signature)) << want.note;
    const ValidationResult trust = validator.validate(*got.certificate, check.certificates);
    EXPECT_FALSE(trust.trusted);
    EXPECT_EQ(status_name(trust.status), status_name(want.trust))
        << trust.detail << " / " << want.note;
    if (want.signature != Status::Ok || want.trust != Status::Ok) {
      std::cout << "[ KNOWN    ] " << c.name << " " << want.subject << ": " << want.note << "\n";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(conformance, Rfc4134Cms, ::testing::ValuesIn(bin_params()),
                         [](const ::testing::TestParamInfo<BinCase>& info) {
                           return info.param.name;
                         });

// 4.3's signature is detached: without ExContent, or with other content, it must not verify.
TEST(conformance_rfc4134, DetachedSignatureNeedsTheRightContent) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const fs::path d = dir(root);
  const std::string der = test::read(d / "4.3.bin");
  EXPECT_THROW((void)cms::check_signed_data(der, nullptr, all_certs(d)), Error)
      << "no content anywhere: an input error";
  const std::string other = "This is some other content.";
  const auto check = cms::check_signed_data(der, &other, all_certs(d));
  ASSERT_EQ(check.signers.size(), 1u);
  EXPECT_NE(check.signers[0].signature, Status::Ok);
}

// 4.11 as a whole message (application/pkcs7-mime; smime-type=certs-only): nothing is signed,
// so the verdict is Unsigned, saying that the SignedData holds no signer.
TEST(conformance_rfc4134, CertsOnlyMessageIsUnsigned) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const fs::path d = dir(root);
  const std::string message =
      "From: AliceRSA@example.com\r\nTo: BobRSA@example.com\r\nSubject: RFC 4134 4.11\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64_lines(test::read(d / "4.11.bin"));
  OpenOptions options;
  options.trust = carl_trust(d);
  const Report report = Opener(std::move(options)).open(message);
  EXPECT_EQ(report.verdict, Verdict::Unsigned) << (report.reasons.empty() ? "" : report.reasons[0]);
  ASSERT_EQ(report.layers.size(), 1u);
  EXPECT_TRUE(report.layers[0].signers.empty());
  EXPECT_TRUE(report.layers[0].error.empty()) << report.layers[0].error;
  bool says_certs_only = false;
  for (const auto& r : report.reasons) {
    says_certs_only = says_certs_only || r.find("certificates-only") != std::string::npos;
  }
  EXPECT_TRUE(says_certs_only);
}

// Carl's roots (RSA-1024, DSA-1024) are below the 110-bit minimum key strength; this pins down
// that it is the only reason the chains are refused: the chain is built up to Carl's root, and
// every other status on it is a non-error (no expiry, usage or signature problem).
TEST(conformance_rfc4134, ChainsFailOnlyForKeyStrength) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const fs::path d = dir(root);
  PathValidator validator(carl_trust(d));
  for (const char* leaf : {"AliceRSASignByCarl.cer", "AliceDSSSignByCarlNoInherit.cer",
                           "BobRSASignByCarl.cer", "DianeRSASignByCarl.cer"}) {
    SCOPED_TRACE(leaf);
    const ValidationResult r = validator.validate(load_cert(d / leaf), {});
    EXPECT_FALSE(r.trusted);
    EXPECT_EQ(status_name(r.status), status_name(Status::WeakKey)) << r.detail;
    ASSERT_EQ(r.chain.size(), 2u) << "leaf and Carl's root";
    for (const auto& link : r.chain) {
      for (Status s : link.statuses) {
        EXPECT_TRUE(s == Status::WeakKey || !is_error(s))
            << link.certificate.display_name() << ": " << status_name(s);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The whole messages, through Opener.
//
// Both are signed by AliceDSS (DSA, SHA-1). Their From is "aliceDss@examples.com" while the
// certificate names "AliceDSS@example.com": a different domain (examples.com vs example.com)
// and local part, so RFC 8550 3 binding fails (address_mismatch). The certificates have no
// extendedKeyUsage (a 1999 profile), which RFC 8550 4.4.4 allows, and keyUsage
// digitalSignature+nonRepudiation, so usage is fine. The chain is refused for the 1024-bit keys
// (weak_key, see above). So: the signature verifies cryptographically, the verdict is Invalid,
// and the reasons are exactly the chain key strength and the address mismatch.

struct MessageExpectation {
  const char* file;
  bool opaque;
};

void check_message(const fs::path& d, const MessageExpectation& want) {
  OpenOptions options;
  options.trust = carl_trust(d);
  const Opener opener(std::move(options));
  const Report report = opener.open(test::read(d / want.file));

  ASSERT_EQ(report.layers.size(), 1u) << want.file;
  const Layer& layer = report.layers.front();
  EXPECT_EQ(layer.kind, LayerKind::Signed);
  EXPECT_TRUE(layer.covers_whole_message);
  EXPECT_EQ(layer.opaque, want.opaque);
  EXPECT_TRUE(layer.error.empty()) << layer.error;
  ASSERT_EQ(layer.signers.size(), 1u);
  const SignerReport& signer = layer.signers.front();

  ASSERT_TRUE(signer.certificate.has_value());
  EXPECT_EQ(signer.certificate->display_name(), "AliceDSS");
  EXPECT_EQ(signer.digest_algorithm, "sha1");
  EXPECT_EQ(signer.signature, Status::Ok) << status_name(signer.signature);

  EXPECT_FALSE(signer.trust.trusted);
  EXPECT_EQ(status_name(signer.trust.status), status_name(Status::WeakKey))
      << signer.trust.detail;
  EXPECT_EQ(signer.policy, std::vector<Status>{Status::AddressMismatch})
      << statuses_text(signer.policy);
  EXPECT_TRUE(signer.certificate->extended_key_usage().empty());
  EXPECT_EQ(signer.certificate->email_addresses(), std::vector<std::string>{"AliceDSS@example.com"});
  EXPECT_EQ(report.from, std::vector<std::string>{"aliceDss@examples.com"});

  EXPECT_EQ(report.verdict, Verdict::Invalid);
  EXPECT_FALSE(report.partially_signed);
  EXPECT_EQ(report.reasons.size(), 2u);
}

TEST(conformance_rfc4134, Message_4_8_MultipartSigned) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_message(dir(root), {"4.8.eml", false});
}

TEST(conformance_rfc4134, Message_4_9_OpaqueSigned) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const fs::path d = dir(root);
  check_message(d, {"4.9.eml", true});
  // The encapsulated content is a MIME entity without header fields: CRLF, then ExContent.
  const std::string eml = test::read(d / "4.9.eml");
  const auto body = eml.find("\n\n") != std::string::npos ? eml.find("\n\n") + 2 : eml.size();
  const std::string der = pem_body_to_der("-----BEGIN X-----\n" + eml.substr(body) +
                                          "\n-----END X-----\n");
  const auto check = cms::check_signed_data(der, nullptr, {});
  ASSERT_TRUE(check.content.has_value());
  EXPECT_EQ(*check.content, "\r\n" + test::read(d / "ExContent.bin"));
}

}  // namespace
}  // namespace smimekit::conformance

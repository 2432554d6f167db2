// RFC 9216 "S/MIME Example Keys and Certificates" and the CMS examples built on them
// (rfc9216-lamps-samples, see its SOURCE.txt).
//
// - CMS: the signed examples of draft-ireland-examples-cms through cms::check_signed_data; the
//   content is "This is some sample content." (no line end).
// - Chains (certvalidator's expectations, validation time 2022-04-21): alice and bob chain to
//   the RSA CA, carlos and dana to the Ed25519 CA; dana also to the RSA root via the
//   cross-signed Ed25519 CA, bob to the Ed25519 root via the cross-signed RSA CA; bob with ONLY
//   the cross-signed Ed25519 CA certificate as anchor must fail.
// - Usage: .sig certificates are fit to sign mail, .enc certificates are not.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cms/cms.h"
#include "conformance_util.h"
#include "path_suite.h"
#include "smimekit/mail.h"
#include "smimekit/trust.h"

namespace smimekit::conformance {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCorpus = "rfc9216-lamps-samples";
constexpr const char* kValidationTime = "2022-04-21";
constexpr const char* kSampleContent = "This is some sample content.";

fs::path cv(const fs::path& root) { return root / "certvalidator-rfc9216"; }
fs::path ex(const fs::path& root) { return root / "examples-cms"; }

// ---------------------------------------------------------------------------------------------
// Signed CMS examples.

struct SignerWant {
  const char* subject;  ///< CN of the signer certificate
  Status signature;
};

struct CmsCase {
  std::string name;
  std::string file;
  bool detached = false;                   ///< content supplied externally
  std::vector<std::string> extra_certs;    ///< certs-and-keys/ files given as extra
  std::vector<SignerWant> signers;
  const char* known = nullptr;             ///< why a signer's status is not Ok (known)
};

void PrintTo(const CmsCase& c, std::ostream* os) { *os << c.name; }

// OpenSSL 3.0's CMS cannot verify Ed25519 SignerInfos (RFC 8419): with signed attributes its
// EdDSA provider refuses the digest CMS_SignerInfo_verify sets ("eddsa_digest_signverify_init:
// invalid digest"); without them it cannot run pure EdDSA over the content ("operation not
// supported for this keytype"). smimekit's cms module has no RFC 8419 path of its own yet
// (DESIGN.md lists Ed25519 among what lib/cms should add to OpenSSL 3.0).
constexpr const char* kEd25519 =
    "Ed25519 signer (RFC 8419): OpenSSL 3.0's CMS cannot verify EdDSA SignerInfos and smimekit "
    "has no RFC 8419 verification of its own yet, so the signature is reported "
    "signature_invalid";

std::vector<CmsCase> cms_cases() {
  if (test::corpus(kCorpus).empty()) return {{kCorpusMissing, "", false, {}, {}, nullptr}};
  return {
      {"signedByAliceRSA", "signedByAliceRSA.p7m", false, {}, {{"Alice Lovelace", Status::Ok}}},
      {"signedByAliceRSAPSS", "signedByAliceRSAPSS.p7m", false, {},
       {{"Alice Lovelace", Status::Ok}}},
      {"signedByCarlosEd25519", "signedByCarlosEd25519.p7m", false, {},
       {{"Carlos Turing", Status::SignatureInvalid}}, kEd25519},
      {"signedByCarlosDetached", "signedByCarlosDetached.p7m", true, {},
       {{"Carlos Turing", Status::SignatureInvalid}}, kEd25519},
      {"signedByAliceAndCarlosNoCerts", "signedByAliceAndCarlosNoCerts.p7m", false,
       {"lamps-alice.crt", "lamps-carlos.crt"},
       {{"Carlos Turing", Status::SignatureInvalid}, {"Alice Lovelace", Status::Ok}}, kEd25519},
  };
}

class Rfc9216Cms : public ::testing::TestWithParam<CmsCase> {};

TEST_P(Rfc9216Cms, SignedData) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const CmsCase& c = GetParam();
  const std::string der = test::read(ex(root) / "binary-files" / c.file);
  std::vector<Certificate> extra;
  for (const auto& f : c.extra_certs) extra.push_back(load_cert(ex(root) / "certs-and-keys" / f));
  const std::string content = kSampleContent;

  cms::SignedDataCheck check;
  ASSERT_NO_THROW(check = cms::check_signed_data(der, c.detached ? &content : nullptr, extra))
      << c.file;
  if (c.detached) {
    EXPECT_FALSE(check.content.has_value());
  } else {
    ASSERT_TRUE(check.content.has_value());
    EXPECT_EQ(*check.content, kSampleContent);
  }
  ASSERT_EQ(check.signers.size(), c.signers.size());
  for (std::size_t i = 0; i < c.signers.size(); ++i) {
    SCOPED_TRACE(c.file + " signer " + std::to_string(i));
    const auto& got = check.signers[i];
    ASSERT_TRUE(got.certificate.has_value());
    EXPECT_EQ(got.certificate->display_name(), c.signers[i].subject);
    EXPECT_EQ(status_name(got.signature), status_name(c.signers[i].signature))
        << (c.known != nullptr ? c.known : "");
  }
  if (c.known != nullptr) std::cout << "[ KNOWN    ] " << c.name << ": " << c.known << "\n";
}

INSTANTIATE_TEST_SUITE_P(conformance, Rfc9216Cms, ::testing::ValuesIn(cms_cases()),
                         [](const ::testing::TestParamInfo<CmsCase>& info) {
                           return info.param.name;
                         });

// The RSA examples' content, altered, must not verify (the content is really what is signed).
TEST(conformance_rfc9216, TamperedContentDoesNotVerify) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  for (const char* file : {"signedByAliceRSA.p7m", "signedByAliceRSAPSS.p7m"}) {
    SCOPED_TRACE(file);
    std::string der = test::read(ex(root) / "binary-files" / file);
    const auto at = der.find(kSampleContent);
    ASSERT_NE(at, std::string::npos);
    der[at] = 't';  // "this is some sample content."
    const auto check = cms::check_signed_data(der, nullptr, {});
    ASSERT_EQ(check.signers.size(), 1u);
    EXPECT_EQ(status_name(check.signers[0].signature), status_name(Status::SignatureInvalid));
  }
}

// Every prefix of a valid SignedData is refused as input or checked as a value: no crash, no
// Ok signature (the signature covers data that is cut off).
TEST(conformance_rfc9216, TruncatedSignedDataNeverVerifies) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const std::string der = test::read(ex(root) / "binary-files" / "signedByAliceRSA.p7m");
  for (std::size_t n = 0; n < der.size(); ++n) {
    try {
      const auto check = cms::check_signed_data(std::string_view(der).substr(0, n), nullptr, {});
      for (const auto& s : check.signers) {
        EXPECT_NE(s.signature, Status::Ok) << "prefix of " << n << " bytes verified";
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Input) << "prefix of " << n << " bytes: " << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Chains.

struct ChainCase {
  std::string name;
  std::string leaf;                        ///< certvalidator-rfc9216/ file
  std::vector<std::string> intermediates;  ///< certvalidator-rfc9216/ files
  std::vector<std::string> anchors;        ///< certvalidator-rfc9216/ files
  bool trusted;
  std::optional<Status> status;            ///< the exact failure, when not trusted
  std::size_t length = 0;  ///< the trusted chain's length; 0: leaf, intermediates, anchor
};

void PrintTo(const ChainCase& c, std::ostream* os) { *os << c.name; }

constexpr const char* kRsaSelf = "Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem";
constexpr const char* kRsaCross = "Sample_LAMPS_RSA_Certification_Authority.crosssigned.pem";
constexpr const char* kEdSelf = "Sample_LAMPS_Ed25519_Certification_Authority.selfsigned.pem";
constexpr const char* kEdCross = "Sample_LAMPS_Ed25519_Certification_Authority.crosssigned.pem";

std::vector<ChainCase> chain_cases() {
  if (test::corpus(kCorpus).empty()) return {{kCorpusMissing, "", {}, {}, false, {}}};
  return {
      {"alice_sig_to_rsa_root", "alice@smime.example.sig.pem", {}, {kRsaSelf}, true, {}},
      {"alice_enc_to_rsa_root", "alice@smime.example.enc.pem", {}, {kRsaSelf}, true, {}},
      {"bob_sig_to_rsa_root", "bob@smime.example.sig.pem", {}, {kRsaSelf}, true, {}},
      {"bob_enc_to_rsa_root", "bob@smime.example.enc.pem", {}, {kRsaSelf}, true, {}},
      {"carlos_sig_to_ed25519_root", "carlos@smime.example.sig.pem", {}, {kEdSelf}, true, {}},
      {"carlos_enc_to_ed25519_root", "carlos@smime.example.enc.pem", {}, {kEdSelf}, true, {}},
      {"dana_sig_to_ed25519_root", "dana@smime.example.sig.pem", {}, {kEdSelf}, true, {}},
      {"dana_enc_to_ed25519_root", "dana@smime.example.enc.pem", {}, {kEdSelf}, true, {}},
      // Cross-certification: the Ed25519 CA as certified by the RSA CA, and the other way.
      {"dana_sig_to_rsa_root_via_cross_signed_ed25519_ca", "dana@smime.example.sig.pem",
       {kEdCross}, {kRsaSelf}, true, {}},
      {"bob_sig_to_ed25519_root_via_cross_signed_rsa_ca", "bob@smime.example.sig.pem",
       {kRsaCross}, {kEdSelf}, true, {}},
      {"alice_sig_to_ed25519_root_via_cross_signed_rsa_ca", "alice@smime.example.sig.pem",
       {kRsaCross}, {kEdSelf}, true, {}},
      {"carlos_sig_to_rsa_root_via_cross_signed_ed25519_ca", "carlos@smime.example.sig.pem",
       {kEdCross}, {kRsaSelf}, true, {}},
      {"dana_enc_to_rsa_root_via_cross_signed_ed25519_ca", "dana@smime.example.enc.pem",
       {kEdCross}, {kRsaSelf}, true, {}},
      // Both cross certificates offered: the path still ends at the one root that is trusted.
      {"carlos_sig_to_rsa_root_with_both_cross_certs", "carlos@smime.example.sig.pem",
       {kEdCross, kRsaCross}, {kRsaSelf}, true, {}, 3},
      // The cross-signed Ed25519 CA certificate as the only anchor: it is not bob's issuer
      // (bob is issued by the RSA CA), so there is no path ("no issuer matching Sample LAMPS
      // RSA" in certvalidator).
      {"bob_sig_with_only_cross_signed_ed25519_anchor_fails", "bob@smime.example.sig.pem", {},
       {kEdCross}, false, Status::IssuerNotFound},
      // The mirror case: the cross-signed RSA CA certificate is not carlos' issuer.
      {"carlos_sig_with_only_cross_signed_rsa_anchor_fails", "carlos@smime.example.sig.pem", {},
       {kRsaCross}, false, Status::IssuerNotFound},
      // The cross certificate pointing the wrong way (the RSA CA certified by the Ed25519 CA)
      // does not lead dana, issued by the Ed25519 CA, to the RSA root.
      {"dana_sig_to_rsa_root_with_wrong_cross_cert_fails", "dana@smime.example.sig.pem",
       {kRsaCross}, {kRsaSelf}, false, Status::IssuerNotFound},
      // Wrong root: dana's chain does not reach the RSA root without the cross certificate.
      {"dana_sig_to_rsa_root_without_cross_cert_fails", "dana@smime.example.sig.pem", {},
       {kRsaSelf}, false, Status::IssuerNotFound},
  };
}

class Rfc9216Chain : public ::testing::TestWithParam<ChainCase> {};

TEST_P(Rfc9216Chain, Validate) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const ChainCase& c = GetParam();
  TrustPolicy policy;
  for (const auto& a : c.anchors) policy.anchors.push_back(load_cert(cv(root) / a));
  policy.validation_time = at(kValidationTime);
  std::vector<Certificate> intermediates;
  for (const auto& i : c.intermediates) intermediates.push_back(load_cert(cv(root) / i));
  // alice@smime.example.sig.pem also holds Alice's private key: take its certificate.
  const Certificate leaf = load_first_cert(cv(root) / c.leaf);

  const ValidationResult r = PathValidator(std::move(policy)).validate(leaf, intermediates);
  EXPECT_EQ(r.trusted, c.trusted) << status_name(r.status) << ": " << r.detail;
  if (c.trusted) {
    EXPECT_EQ(r.chain.size(), c.length != 0 ? c.length : 2 + c.intermediates.size())
        << "leaf, intermediates, anchor";
  } else if (c.status) {
    EXPECT_EQ(status_name(r.status), status_name(*c.status)) << r.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(conformance, Rfc9216Chain, ::testing::ValuesIn(chain_cases()),
                         [](const ::testing::TestParamInfo<ChainCase>& info) {
                           return info.param.name;
                         });

// The chain cases as one table, in the form of the other path-validation runners (limbo,
// Botan's suites); certvalidator's expectations and smimekit agree on every one.
TEST(conformance_rfc9216, ChainTable) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  std::vector<PathOutcome> outcomes;
  for (const ChainCase& c : chain_cases()) {
    PathOutcome o;
    o.name = c.name;
    o.expected = c.trusted;
    o.expected_text = c.trusted ? "valid" : "invalid";
    run_path_case(o, [&] {
      TrustPolicy policy;
      for (const auto& a : c.anchors) policy.anchors.push_back(load_cert(cv(root) / a));
      policy.validation_time = at(kValidationTime);
      std::vector<Certificate> intermediates;
      for (const auto& i : c.intermediates) intermediates.push_back(load_cert(cv(root) / i));
      return PathValidator(std::move(policy)).validate(load_first_cert(cv(root) / c.leaf),
                                                       intermediates);
    });
    outcomes.push_back(std::move(o));
  }
  check_suite("rfc9216 chains", outcomes, {}, SuitePins{18, 18, 18, 0});
}

// examples-cms/certs-and-keys/lamps-alice.crt is byte-identical to the certvalidator copy, and
// is the certificate that signed the RSA examples: the signer of signedByAliceRSA chains to the
// RSA root at 2022-04-21.
TEST(conformance_rfc9216, AliceSignerChainsToRsaRoot) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const Certificate alice = load_cert(ex(root) / "certs-and-keys" / "lamps-alice.crt");
  EXPECT_EQ(alice, load_first_cert(cv(root) / "alice@smime.example.sig.pem"));
  const auto check = cms::check_signed_data(
      test::read(ex(root) / "binary-files" / "signedByAliceRSA.p7m"), nullptr, {});
  ASSERT_EQ(check.signers.size(), 1u);
  ASSERT_TRUE(check.signers[0].certificate.has_value());
  EXPECT_EQ(*check.signers[0].certificate, alice);

  TrustPolicy policy;
  policy.anchors = {load_cert(cv(root) / kRsaSelf)};
  policy.validation_time = at(kValidationTime);
  const ValidationResult r = PathValidator(std::move(policy)).validate(alice, check.certificates);
  EXPECT_TRUE(r.trusted) << r.detail;
  EXPECT_TRUE(check_signing_usage(alice).empty());
  EXPECT_TRUE(certificate_matches_address(alice, "alice@smime.example"));
}

// signedByAliceRSA as a received message (application/pkcs7-mime; smime-type=signed-data) from
// alice@smime.example, with the RSA root as anchor at 2022-04-21. The signer side holds
// completely: signature, chain, usage and address binding. draft-ireland-examples-cms signs
// bare text ("This is some sample content.", no header block, no blank line); smimekit reads
// content without a header block as an entity with no fields, i.e. text/plain (RFC 2045
// §5.2), so the verdict is Valid.
TEST(conformance_rfc9216, SignedByAliceRsaMessage) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  auto open = [&](const std::string& message) {
    OpenOptions options;
    options.trust.anchors = {load_cert(cv(root) / kRsaSelf)};
    options.trust.validation_time = at(kValidationTime);
    return Opener(std::move(options)).open(message);
  };
  for (const char* file : {"signedByAliceRSA.p7m", "signedByAliceRSAPSS.p7m"}) {
    SCOPED_TRACE(file);
    const std::string der = test::read(ex(root) / "binary-files" / file);
    const std::string message =
        "From: Alice Lovelace <alice@smime.example>\r\nTo: bob@smime.example\r\n"
        "Subject: RFC 9216 sample\r\nMIME-Version: 1.0\r\n"
        "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" +
        base64_lines(der);
    // The example signs bare text, which smimekit reads as an entity without header fields,
    // i.e. text/plain (RFC 2045 §5.2): signature, chain and address all hold.
    const Report report = open(message);
    EXPECT_EQ(report.verdict, Verdict::Valid) << to_json(report, file);
    ASSERT_EQ(report.layers.size(), 1u);
    EXPECT_TRUE(report.layers[0].error.empty());
    ASSERT_TRUE(report.text.has_value());
    EXPECT_EQ(*report.text, "This is some sample content.");
    const auto signers = report.whole_message_signers();
    ASSERT_EQ(signers.size(), 1u);
    EXPECT_EQ(signers.front()->signature, Status::Ok);
    EXPECT_TRUE(signers.front()->trust.trusted) << signers.front()->trust.detail;
    EXPECT_TRUE(signers.front()->policy.empty()) << statuses_text(signers.front()->policy);

    // The same message From someone else: the binding fails in addition.
    std::string forged = message;
    forged.replace(forged.find("alice@smime.example"), 19, "carol@smime.example");
    const Report other = open(forged);
    EXPECT_EQ(other.verdict, Verdict::Invalid);
    ASSERT_EQ(other.whole_message_signers().size(), 1u);
    EXPECT_EQ(other.whole_message_signers().front()->policy,
              std::vector<Status>{Status::AddressMismatch});
  }
}

// RFC 8550 4.4: .sig certificates (digitalSignature + nonRepudiation, EKU emailProtection)
// may sign mail; .enc certificates (keyEncipherment or keyAgreement only) may not.
TEST(conformance_rfc9216, SigningUsage) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  for (const char* who : {"alice", "bob", "carlos", "dana"}) {
    SCOPED_TRACE(who);
    const std::string base = std::string(who) + "@smime.example";
    const Certificate sig = load_first_cert(cv(root) / (base + ".sig.pem"));
    const Certificate enc = load_first_cert(cv(root) / (base + ".enc.pem"));
    EXPECT_TRUE(check_signing_usage(sig).empty()) << statuses_text(check_signing_usage(sig));
    EXPECT_EQ(check_signing_usage(enc), std::vector<Status>{Status::KeyUsageForbidsSigning});
    EXPECT_TRUE(certificate_matches_address(sig, base));
    EXPECT_TRUE(certificate_matches_address(sig, std::string(who) + "@SMIME.example"))
        << "domains compare case-insensitively";
  }
}

}  // namespace
}  // namespace smimekit::conformance

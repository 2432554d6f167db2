// NIST PKITS (v1.0.1, section 4) through smimekit::PathValidator.
//
// Corpus: boringssl-pki/pki/testdata/nist-pkits (see its SOURCE.txt). Every entry of
// pkits_expectations.json is one test, named after its test number ("Pkits_4_1_1", with
// "_SubpartN" for the policy sub-parts). certs[0] is the trust anchor, the last cert the end
// entity, the ones between are intermediates handed to validate() as untrusted candidates; all
// listed CRLs are given, and revocation data is required (PKITS checks revocation for every
// certificate of the path). Validation time: 2011-04-15 (inside 2010-01-01..2030-12-31).
// SHA-1 is allowed: PKITS 4.1.4-4.1.6 use dsaWithSHA1 to test DSA signature processing, not
// algorithm policy.
//
// smimekit's PathValidator is Botan 2's x509_path_validate, with OpenSSL's X509_verify_cert
// (without CRLs or policy processing) as a second opinion on every path Botan accepts. Botan 2
// has no RFC 5280 6.1 policy-tree processing and takes no initial-policy inputs;
// PathValidator has none either.
// Where the result differs from should_validate, the entry is listed in kKnownDisagreements
// below with the status smimekit gives and the reason; the test then asserts that the
// disagreement is still exactly that, so a change in behaviour (a fix or a new regression)
// is noticed. The 68 known disagreements (of 249) fall into: certificate policies (12 paths
// accepted that policy processing rejects, 22 valid paths refused for a critical
// policyConstraints / policyMappings / inhibitAnyPolicy extension Botan 2 does not know), name
// constraints (5 valid paths Botan 2 refuses; the 5 it wrongly accepted, OpenSSL refuses), CRL scope: distribution points, indirect and delta CRLs (19), CRLs signed
// by another key of the CA (8), and DSA (2: a 1024-bit key below smimekit's 110-bit minimum,
// parameter inheritance).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "conformance_util.h"
#include "smimekit/mail.h"
#include "smimekit/trust.h"

namespace smimekit::conformance {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCorpus = "boringssl-pki";
constexpr const char* kPkitsDir = "pki/testdata/nist-pkits";
constexpr const char* kValidationTime = "2011-04-15";

struct KnownDisagreement {
  const char* name;      ///< the test's parameter name
  Status status;         ///< ValidationResult::status smimekit gives today
  const char* reason;
};

// Entries where smimekit's verdict differs from PKITS' should_validate. Keep the reason
// precise: it is what a reader of the test output sees.
// Reasons shared by several entries.
constexpr const char* kWeakDsa =
    "the DSA CA key is 1024-bit (80-bit strength), below the 110-bit minimum key strength that "
    "PathValidator always imposes (smimekit's algorithm policy, not an RFC 5280 rule)";
constexpr const char* kDsaInherit =
    "DSA parameter inheritance (RFC 3279 2.3.2): Botan 2 cannot load a DSA key without "
    "domain parameters and throws; PathValidator reports the exception as "
    "cert_signature_algorithm_unknown";
constexpr const char* kCrlOtherKey =
    "the CRL covering a certificate of the path is signed by another key of the same CA name "
    "(separate CRL-signing key, or key rollover through self-issued certificates); Botan 2 "
    "looks CRLs up by issuer DN plus the certificate's authorityKeyIdentifier only, finds none, "
    "and revocation data is required";
constexpr const char* kNoPolicyTree =
    "no RFC 5280 6.1 certificate-policy processing (Botan 2 has no valid_policy_tree and "
    "PathValidator takes no initial-policy-set / initial-explicit-policy inputs): this path is "
    "invalid only through policy processing, so it is accepted";
constexpr const char* kNoPolicyTreeRequireExplicit =
    "no RFC 5280 6.1 certificate-policy processing: a CA of the path sets a non-critical "
    "policyConstraints requireExplicitPolicy and the certificates' policies do not intersect, "
    "so the valid_policy_tree is empty and the path must fail; Botan 2 ignores both and accepts";
constexpr const char* kCriticalPolicyConstraints =
    "a CA of the path has a critical policyConstraints extension, which Botan 2 does not "
    "implement: it fails closed with an unknown critical extension (RFC 5280 4.2) where "
    "PKITS expects policy processing to accept the path";
constexpr const char* kCriticalPolicyMappings =
    "a CA of the path has a critical policyMappings extension, which Botan 2 does not "
    "implement: it fails closed with an unknown critical extension (RFC 5280 4.2) where "
    "PKITS expects policy processing (with mapping) to accept the path";
constexpr const char* kCriticalInhibitAnyPolicy =
    "a CA of the path has a critical inhibitAnyPolicy extension, which Botan 2 does not "
    "implement: it fails closed with an unknown critical extension (RFC 5280 4.2) where "
    "PKITS expects policy processing to accept the path";
constexpr const char* kDnNameConstraintsReject =
    "Botan 2's directoryName constraint matching rejects a subject DN that is inside the "
    "permitted subtree (C=US, O=Test Certificates 2011) and outside the excluded one "
    "(OU=excludedSubtree1) (observed: name_constraint_violated)";
constexpr const char* kRfc822NameConstraintsReject =
    "Botan 2's rfc822Name constraint matching does not implement the host form "
    "('testcertificates.gov') and domain form ('.testcertificates.gov') of RFC 5280 4.2.1.10: "
    "an address the permitted subtree covers is rejected (observed: name_constraint_violated)";
constexpr const char* kUriNameConstraintsReject =
    "Botan 2 does not match uniformResourceIdentifier constraints against the URI's host: "
    "http://testserver.testcertificates.gov/ is rejected under permitted '.testcertificates.gov'";
constexpr const char* kDpNoMatch =
    "the certificate's cRLDistributionPoints is a directoryName; Botan 2 finds no match with "
    "the CRL's issuingDistributionPoint (absent in 4.14.10, nameRelativeToCRLIssuer in 4.14.7, "
    "the same directoryName plus onlySomeReasons in 4.14.18) and reports no_matching_crldp, "
    "which required revocation data turns into a failure";
constexpr const char* kIdpScopeIgnored =
    "Botan 2 ignores the scope of the CRL's issuingDistributionPoint (distributionPoint / "
    "onlyContainsUserCerts / onlyContainsCACerts / onlyContainsAttributeCerts / "
    "onlySomeReasons), so a CRL that does not cover the certificate is taken as proof that it "
    "is not revoked";
constexpr const char* kIndirectCrl =
    "indirect CRLs (cRLIssuer in the DP, indirectCRL in the IDP) are not supported by Botan 2: "
    "the CRL issued by another CA is never found for the certificate, and revocation data is "
    "required";
constexpr const char* kIndirectCrlAccepted =
    "indirect CRLs are not supported by Botan 2: the certificate names a cRLIssuer whose CRL is "
    "absent, yet Botan 2 takes its issuer's own CRL as covering it";
constexpr const char* kDeltaCrl =
    "delta CRLs (RFC 5280 5.2.4) are not supported by Botan 2: of a base CRL and its delta it "
    "uses one as if complete, and the critical deltaCRLIndicator makes the valid end entity "
    "fail (observed: revoked)";

const std::vector<KnownDisagreement> kKnownDisagreements = {
    // 4.1 signature verification
    {"Pkits_4_1_4", Status::WeakKey, kWeakDsa},
    {"Pkits_4_1_5", Status::CertSignatureAlgorithmUnknown, kDsaInherit},
    // 4.4 / 4.5 / 4.6 / 4.13: CRLs signed by another key of the CA
    {"Pkits_4_4_19", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_5_1", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_5_3", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_5_4", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_5_6", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_6_15", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_6_17", Status::InvalidCertificate, kCrlOtherKey},
    {"Pkits_4_13_19", Status::InvalidCertificate, kCrlOtherKey},
    // 4.8 certificate policies: accepted although policy processing must reject
    {"Pkits_4_8_1_Subpart3", Status::Ok, kNoPolicyTree},
    {"Pkits_4_8_2_Subpart2", Status::Ok, kNoPolicyTree},
    {"Pkits_4_8_3_Subpart2", Status::Ok, kNoPolicyTree},
    {"Pkits_4_8_3_Subpart3", Status::Ok, kNoPolicyTree},
    {"Pkits_4_8_4", Status::Ok, kNoPolicyTreeRequireExplicit},
    {"Pkits_4_8_5", Status::Ok, kNoPolicyTreeRequireExplicit},
    {"Pkits_4_8_6_Subpart3", Status::Ok, kNoPolicyTree},
    {"Pkits_4_8_7", Status::Ok, kNoPolicyTreeRequireExplicit},
    {"Pkits_4_8_8", Status::Ok, kNoPolicyTreeRequireExplicit},
    {"Pkits_4_8_9", Status::Ok, kNoPolicyTreeRequireExplicit},
    {"Pkits_4_8_12", Status::Ok, kNoPolicyTreeRequireExplicit},
    {"Pkits_4_8_14_Subpart2", Status::Ok, kNoPolicyTree},
    // 4.9 - 4.12: valid paths rejected for a critical policy extension Botan 2 does not know
    {"Pkits_4_9_1", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_9_2", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_9_4", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_9_6", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_10_1_1_Subpart1", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_3_Subpart2", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_5_Subpart1", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_6_Subpart1", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_9", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_11", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_12_Subpart1", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_12_Subpart2", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_13_Subpart1", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_13_Subpart2", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_10_14", Status::UnknownCriticalExtension, kCriticalPolicyMappings},
    {"Pkits_4_11_2", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_11_4", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_11_7", Status::UnknownCriticalExtension, kCriticalPolicyConstraints},
    {"Pkits_4_12_2", Status::UnknownCriticalExtension, kCriticalInhibitAnyPolicy},
    {"Pkits_4_12_3_Subpart1", Status::UnknownCriticalExtension, kCriticalInhibitAnyPolicy},
    {"Pkits_4_12_7", Status::UnknownCriticalExtension, kCriticalInhibitAnyPolicy},
    {"Pkits_4_12_9", Status::UnknownCriticalExtension, kCriticalInhibitAnyPolicy},
    // 4.13 name constraints
    {"Pkits_4_13_18", Status::NameConstraintViolated, kDnNameConstraintsReject},
    {"Pkits_4_13_21", Status::NameConstraintViolated, kRfc822NameConstraintsReject},
    {"Pkits_4_13_23", Status::NameConstraintViolated, kRfc822NameConstraintsReject},
    {"Pkits_4_13_27", Status::NameConstraintViolated, kRfc822NameConstraintsReject},
    {"Pkits_4_13_34", Status::NameConstraintViolated, kUriNameConstraintsReject},
    // 4.14 distribution points, partitioned and indirect CRLs
    {"Pkits_4_14_7", Status::InvalidCertificate, kDpNoMatch},
    {"Pkits_4_14_9", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_10", Status::InvalidCertificate, kDpNoMatch},
    {"Pkits_4_14_11", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_12", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_14", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_15", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_17", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_18", Status::InvalidCertificate, kDpNoMatch},
    {"Pkits_4_14_20", Status::Ok, kIdpScopeIgnored},
    {"Pkits_4_14_24", Status::InvalidCertificate, kIndirectCrl},
    {"Pkits_4_14_25", Status::InvalidCertificate, kIndirectCrl},
    {"Pkits_4_14_30", Status::InvalidCertificate, kIndirectCrl},
    {"Pkits_4_14_33", Status::InvalidCertificate, kIndirectCrl},
    {"Pkits_4_14_35", Status::Ok, kIndirectCrlAccepted},
    // 4.15 delta CRLs
    {"Pkits_4_15_2", Status::Revoked, kDeltaCrl},
    {"Pkits_4_15_5", Status::Revoked, kDeltaCrl},
    {"Pkits_4_15_7", Status::Revoked, kDeltaCrl},
    {"Pkits_4_15_8", Status::Revoked, kDeltaCrl},
};

const KnownDisagreement* find_known(const std::string& name) {
  for (const auto& k : kKnownDisagreements) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

struct PkitsCase {
  std::string name;
  json entry;
};

// What GoogleTest prints for a failing parameter.
void PrintTo(const PkitsCase& c, std::ostream* os) { *os << c.name; }

// "4.8.1" + "Section8AllCertificatesSamePolicyTest1Subpart2" -> "Pkits_4_8_1_Subpart2".
std::string case_name(const json& entry) {
  std::string name = "Pkits_" + sanitize(entry.at("test_number").get<std::string>());
  const std::string gtest_name = entry.value("gtest_name", "");
  const auto sub = gtest_name.rfind("Subpart");
  if (sub != std::string::npos) name += "_" + gtest_name.substr(sub);
  return name;
}

fs::path pkits_dir(const fs::path& corpus_root) { return corpus_root / kPkitsDir; }

std::vector<PkitsCase> load_cases() {
  std::vector<PkitsCase> out;
  const fs::path root = test::corpus(kCorpus);
  if (root.empty()) return {{kCorpusMissing, json()}};
  try {
    const json doc = json::parse(test::read(pkits_dir(root) / "pkits_expectations.json"));
    for (const auto& entry : doc.at("tests")) out.push_back({case_name(entry), entry});
  } catch (const std::exception& e) {
    // Reported by the test body rather than aborting test discovery.
    out = {{"expectations_unreadable", json{{"error", e.what()}}}};
  }
  return out;
}

const std::vector<PkitsCase>& cases() {
  static const std::vector<PkitsCase> all = load_cases();
  return all;
}

struct Outcome {
  ValidationResult result;
  bool expected = false;
  bool agrees() const { return result.trusted == expected; }
};

Outcome run_case(const fs::path& dir, const json& entry) {
  const auto names = entry.at("certs").get<std::vector<std::string>>();
  if (names.size() < 2) throw std::runtime_error("a PKITS path needs an anchor and a target");
  TrustPolicy policy;
  policy.anchors.push_back(load_cert(dir / "certs" / (names.front() + ".crt")));
  std::vector<Certificate> intermediates;
  for (std::size_t i = 1; i + 1 < names.size(); ++i) {
    intermediates.push_back(load_cert(dir / "certs" / (names[i] + ".crt")));
  }
  const Certificate leaf = load_cert(dir / "certs" / (names.back() + ".crt"));
  for (const auto& crl : entry.at("crls")) {
    policy.crls.push_back(load_der_crl(dir / "crls" / (crl.get<std::string>() + ".crl")));
  }
  policy.validation_time = at(kValidationTime);
  policy.allow_sha1 = true;
  policy.require_revocation_data = true;
  PathValidator validator(std::move(policy));
  return {validator.validate(leaf, intermediates), entry.at("should_validate").get<bool>()};
}

std::string describe(const Outcome& o) {
  std::string text = "smimekit: trusted=" + std::string(o.result.trusted ? "true" : "false") +
                     " status=" + std::string(status_name(o.result.status)) + " (" +
                     o.result.detail + "); chain:";
  for (const auto& link : o.result.chain) {
    text += " [" + link.certificate.display_name() + ": " + statuses_text(link.statuses) + "]";
  }
  return text;
}

std::string policy_inputs(const json& entry) {
  std::string out;
  for (const char* key : {"initial_policy_set", "initial_explicit_policy",
                          "initial_policy_mapping_inhibit", "initial_inhibit_any_policy",
                          "user_constrained_policy_set"}) {
    if (entry.contains(key)) out += std::string(" ") + key + "=" + entry.at(key).dump();
  }
  return out.empty() ? " (default policy inputs)" : out;
}

class Pkits : public ::testing::TestWithParam<PkitsCase> {};

TEST_P(Pkits, Validate) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const PkitsCase& c = GetParam();
  ASSERT_FALSE(c.entry.contains("error")) << c.entry.at("error").get<std::string>();
  const json& entry = c.entry;
  const Outcome o = run_case(pkits_dir(root), entry);
  const std::string context = entry.at("test_number").get<std::string>() + " \"" +
                              entry.at("title").get<std::string>() + "\" should_validate=" +
                              (o.expected ? "true" : "false") + policy_inputs(entry) + "\n" +
                              describe(o);
  if (const KnownDisagreement* known = find_known(c.name)) {
    EXPECT_FALSE(o.agrees()) << c.name
                             << " is listed as a known disagreement but now agrees with PKITS: "
                                "remove it from kKnownDisagreements.\n"
                             << context;
    EXPECT_EQ(status_name(o.result.status), status_name(known->status))
        << c.name << ": the known disagreement changed its status.\n" << context;
    std::cout << "[ KNOWN    ] " << c.name << ": " << known->reason << "\n";
  } else {
    EXPECT_EQ(o.result.trusted, o.expected) << context;
  }
}

INSTANTIATE_TEST_SUITE_P(conformance, Pkits, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<PkitsCase>& info) {
                           return info.param.name;
                         });

// Every known disagreement names an entry that exists (a typo would hide a real failure).
TEST(conformance_pkits, KnownDisagreementsNameRealEntries) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  for (const auto& k : kKnownDisagreements) {
    const bool found = std::any_of(cases().begin(), cases().end(),
                                   [&](const PkitsCase& c) { return c.name == k.name; });
    EXPECT_TRUE(found) << k.name << " is in kKnownDisagreements but not in the corpus";
  }
}

// All entries in one run, for the summary line.
TEST(conformance_pkits, Summary) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  std::size_t passed = 0, known = 0, unexpected = 0;
  std::size_t should_validate = 0;
  for (const PkitsCase& c : cases()) {
    ASSERT_FALSE(c.entry.contains("error")) << c.entry.at("error").get<std::string>();
    const Outcome o = run_case(pkits_dir(root), c.entry);
    should_validate += o.expected ? 1 : 0;
    const KnownDisagreement* k = find_known(c.name);
    if (o.agrees() && k == nullptr) {
      ++passed;
    } else if (!o.agrees() && k != nullptr && o.result.status == k->status) {
      ++known;
    } else {
      ++unexpected;
      ADD_FAILURE() << c.name << ": " << (o.agrees() ? "agrees but is listed as known"
                                                      : "unexpected disagreement")
                    << "\n" << describe(o);
    }
  }
  const std::size_t total = cases().size();
  std::cout << "PKITS: " << passed << " passed, " << known << " known disagreements of " << total
            << "\n";
  RecordProperty("pkits_summary", std::to_string(passed) + " passed, " + std::to_string(known) +
                                      " known disagreements of " + std::to_string(total));
  EXPECT_EQ(total, 249u) << "pkits_expectations.json should hold 249 entries (SOURCE.txt)";
  EXPECT_EQ(should_validate, 114u) << "114 of 249 should validate (SOURCE.txt)";
  EXPECT_EQ(unexpected, 0u);
}

// TrustPolicy::require_revocation_data promises "a CRL for every certificate of the chain".
// PKITS 4.1.1 (TA -> Good CA -> EE) with the Good CA's CRL but without the trust anchor's CRL,
// which is the one that covers the Good CA: the intermediate has no revocation data, so
// hard-fail revocation must reject the path; with both CRLs it validates.
TEST(conformance_pkits, RequiredRevocationDataCoversIntermediates) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const fs::path dir = pkits_dir(root);
  const Certificate anchor = load_cert(dir / "certs" / "TrustAnchorRootCertificate.crt");
  const Certificate ca = load_cert(dir / "certs" / "GoodCACert.crt");
  const Certificate leaf = load_cert(dir / "certs" / "ValidCertificatePathTest1EE.crt");
  auto validate = [&](bool with_root_crl) {
    TrustPolicy policy;
    policy.anchors = {anchor};
    policy.crls = {load_der_crl(dir / "crls" / "GoodCACRL.crl")};
    if (with_root_crl) policy.crls.push_back(load_der_crl(dir / "crls" / "TrustAnchorRootCRL.crl"));
    policy.validation_time = at(kValidationTime);
    policy.require_revocation_data = true;
    return PathValidator(std::move(policy)).validate(leaf, {ca});
  };
  const ValidationResult both = validate(true);
  EXPECT_TRUE(both.trusted) << both.detail;
  const ValidationResult no_root_crl = validate(false);
  EXPECT_FALSE(no_root_crl.trusted)
      << "the Good CA has no CRL, yet the path validated with require_revocation_data";
  ASSERT_GE(no_root_crl.chain.size(), 2u);
  const auto& ca_statuses = no_root_crl.chain[1].statuses;
  EXPECT_NE(std::find(ca_statuses.begin(), ca_statuses.end(), Status::NoRevocationData),
            ca_statuses.end())
      << "the intermediate should carry no_revocation_data: " << statuses_text(ca_statuses);
}

// pkits_smime_eml names a signed message in a sibling corpus pkits-smime/ (same certificates).
// That corpus is not part of ../shared/corpora (see its README), so this check is skipped when
// it is absent, in CI too; when present, the signer's path validation inside Opener must give
// the same answer as the bare PathValidator run above.
TEST(conformance_pkits, SmimeMessages) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const fs::path smime = test::corpus("pkits-smime");
  if (smime.empty()) {
    GTEST_SKIP() << "corpus pkits-smime (named by pkits_smime_eml) is not in "
                 << SMIMEKIT_CORPORA_DIR << "; only the bare path validation is checked";
  }
  const fs::path dir = pkits_dir(root);
  std::size_t checked = 0;
  for (const PkitsCase& c : cases()) {
    const json& entry = c.entry;
    if (!entry.contains("pkits_smime_eml") || entry.at("pkits_smime_eml").is_null()) continue;
    const fs::path eml = smime / "smime" / entry.at("pkits_smime_eml").get<std::string>();
    if (!fs::exists(eml)) {
      ADD_FAILURE() << c.name << ": " << eml << " is missing";
      continue;
    }
    const auto names = entry.at("certs").get<std::vector<std::string>>();
    OpenOptions options;
    options.trust.anchors.push_back(load_cert(dir / "certs" / (names.front() + ".crt")));
    for (const auto& crl : entry.at("crls")) {
      options.trust.crls.push_back(load_der_crl(dir / "crls" / (crl.get<std::string>() + ".crl")));
    }
    options.trust.validation_time = at(kValidationTime);
    options.trust.allow_sha1 = true;
    options.trust.require_revocation_data = true;
    const Report report = Opener(std::move(options)).open(test::read(eml));
    const auto signers = report.whole_message_signers();
    if (signers.size() != 1) {
      ADD_FAILURE() << c.name << ": expected one signer, got " << signers.size();
      continue;
    }
    const bool expected = entry.at("should_validate").get<bool>();
    const bool trusted = signers.front()->trust.trusted;
    if (find_known(c.name) != nullptr) {
      EXPECT_NE(trusted, expected) << c.name << " (known disagreement) now agrees";
    } else {
      EXPECT_EQ(trusted, expected) << c.name << ": " << signers.front()->trust.detail;
    }
    ++checked;
  }
  std::cout << "PKITS S/MIME messages checked: " << checked << "\n";
}

}  // namespace
}  // namespace smimekit::conformance

// PathValidator: chains to the demo root, the odd certificates of certs/test, revocation,
// validation time and SHA-1.
#include <algorithm>

#include "smimekit/certificate.h"
#include "smimekit/status.h"
#include "smimekit/time.h"
#include "smimekit/trust.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

using test::demo;
using test::test_cert;

std::vector<Certificate> certs(const std::filesystem::path& path) { return load_certificates(path); }
Certificate cert(const std::filesystem::path& path) { return certs(path).at(0); }

TrustPolicy demo_policy() {
  TrustPolicy policy;
  policy.anchors = certs(demo("root.pem"));
  return policy;
}

TimePoint at(const char* text) {
  const auto t = parse_time(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(TimePoint{});
}

bool has_status(const ValidationResult& r, Status s) {
  if (r.status == s) return true;
  return std::any_of(r.chain.begin(), r.chain.end(), [&](const ChainLink& link) {
    return std::find(link.statuses.begin(), link.statuses.end(), s) != link.statuses.end();
  });
}

// The statuses of a result, for failure messages.
std::string describe(const ValidationResult& r) {
  std::string out = std::string(status_name(r.status)) + " [" + r.detail + "]";
  for (const auto& link : r.chain) {
    out += " | " + link.certificate.display_name() + ":";
    for (Status s : link.statuses) out += " " + std::string(status_name(s));
  }
  return out;
}

// The user NAME of certs/test (or certs/demo), validated with its chain file as EXTRA.
ValidationResult validate_user(const PathValidator& v, const std::filesystem::path& leaf,
                               const std::filesystem::path& chain) {
  std::vector<Certificate> extra;
  if (std::filesystem::file_size(chain) > 0) extra = certs(chain);
  return v.validate(cert(leaf), extra);
}

TEST(PathValidator, AliceChainsToTheDemoRoot) {
  const PathValidator v(demo_policy());
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_EQ(r.status, Status::Ok) << describe(r);
  ASSERT_EQ(r.chain.size(), 3u) << describe(r);
  EXPECT_EQ(r.chain[0].certificate.display_name(), "Alice Demo");
  EXPECT_EQ(r.chain[1].certificate.display_name(), "Demo Intermediate CA");
  EXPECT_EQ(r.chain[2].certificate.display_name(), "Demo Root CA");
  EXPECT_TRUE(r.chain[0].certificate == cert(demo("alice.pem")));
  EXPECT_TRUE(r.chain[2].certificate == cert(demo("root.pem")));
  for (const auto& link : r.chain) {
    for (Status s : link.statuses) EXPECT_FALSE(is_error(s)) << status_name(s);
  }
}

TEST(PathValidator, BobAndCarolChainToTheDemoRoot) {
  const PathValidator v(demo_policy());
  for (const char* name : {"bob", "carol"}) {
    const auto r = validate_user(v, demo(std::string(name) + ".pem"),
                                 demo(std::string(name) + "-chain.pem"));
    EXPECT_TRUE(r.trusted) << name << ": " << describe(r);
    EXPECT_EQ(r.chain.size(), 3u) << name;
  }
}

TEST(PathValidator, TestUsersWithoutOddChainsAreTrusted) {
  const PathValidator v(demo_policy());
  for (const char* name : {"eve", "manager", "dnemail", "noemail", "serverauth", "keyenc"}) {
    const auto r = validate_user(v, test_cert(std::string(name) + ".pem"),
                                 test_cert(std::string(name) + "-chain.pem"));
    // Key usage and email are S/MIME policy, not path validation.
    EXPECT_TRUE(r.trusted) << name << ": " << describe(r);
  }
}

TEST(PathValidator, IntermediatesFromThePolicyHelpBuildTheChain) {
  {
    const PathValidator v(demo_policy());
    const auto r = v.validate(cert(demo("alice.pem")), {});
    EXPECT_FALSE(r.trusted) << describe(r);
    EXPECT_TRUE(is_error(r.status)) << describe(r);
  }
  TrustPolicy policy = demo_policy();
  policy.intermediates = certs(demo("intermediate.pem"));
  const PathValidator v(std::move(policy));
  const auto r = v.validate(cert(demo("alice.pem")), {});
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_EQ(r.chain.size(), 3u);
}

TEST(PathValidator, UnrelatedIsNotTrustedByTheDemoRoot) {
  const PathValidator v(demo_policy());
  const auto r = v.validate(cert(test_cert("unrelated.pem")), {});
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_TRUE(is_error(r.status)) << describe(r);
  ASSERT_FALSE(r.chain.empty());
  EXPECT_TRUE(r.chain[0].certificate == cert(test_cert("unrelated.pem")));
}

TEST(PathValidator, UnrelatedIsTrustedByItsOwnRoot) {
  TrustPolicy policy;
  policy.anchors = certs(test_cert("unrelated-root.pem"));
  const PathValidator v(std::move(policy));
  const auto r = v.validate(cert(test_cert("unrelated.pem")), {});
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_EQ(r.chain.size(), 2u);
  // ... and that root does not vouch for alice.
  const auto alice = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_FALSE(alice.trusted) << describe(alice);
}

TEST(PathValidator, NoAnchorsTrustNothing) {
  const PathValidator v(TrustPolicy{});
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_TRUE(is_error(r.status)) << describe(r);
}

TEST(PathValidator, SelfSignedRootInTheMessageIsNotAnAnchor) {
  // A message may carry a root; only the policy's anchors are trusted.
  TrustPolicy policy;
  policy.anchors = certs(test_cert("unrelated-root.pem"));
  const PathValidator v(std::move(policy));
  const auto r = v.validate(cert(demo("alice.pem")),
                            {cert(demo("intermediate.pem")), cert(demo("root.pem"))});
  EXPECT_FALSE(r.trusted) << describe(r);
}

TEST(PathValidator, ExpiredIsCertExpired) {
  const PathValidator v(demo_policy());
  const auto r = validate_user(v, test_cert("expired.pem"), test_cert("expired-chain.pem"));
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::CertExpired) << describe(r);
  ASSERT_FALSE(r.chain.empty());
  const auto& leaf = r.chain[0].statuses;
  EXPECT_NE(std::find(leaf.begin(), leaf.end(), Status::CertExpired), leaf.end()) << describe(r);
}

TEST(PathValidator, NotYetValidIsCertNotYetValid) {
  const PathValidator v(demo_policy());
  const auto r = validate_user(v, test_cert("notyet.pem"), test_cert("notyet-chain.pem"));
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::CertNotYetValid) << describe(r);
}

TEST(PathValidator, RevokedWithTheCrlIsRevoked) {
  TrustPolicy policy = demo_policy();
  policy.crls = load_crls(test_cert("revoked.crl.pem"));
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, test_cert("revoked.pem"), test_cert("revoked-chain.pem"));
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::Revoked) << describe(r);
  ASSERT_FALSE(r.chain.empty());
  const auto& leaf = r.chain[0].statuses;
  EXPECT_NE(std::find(leaf.begin(), leaf.end(), Status::Revoked), leaf.end()) << describe(r);

  // The same CRL does not touch anybody else.
  const auto alice = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_TRUE(alice.trusted) << describe(alice);
  EXPECT_TRUE(has_status(alice, Status::RevocationChecked)) << describe(alice);
}

TEST(PathValidator, RevokedWithoutAnyCrlIsTrusted) {
  // Revocation is soft-fail by default: without a CRL nothing says it is revoked.
  const PathValidator v(demo_policy());
  const auto r = validate_user(v, test_cert("revoked.pem"), test_cert("revoked-chain.pem"));
  EXPECT_TRUE(r.trusted) << describe(r);
}

TEST(PathValidator, RevokedWithTheOldEmptyCrlIsTrusted) {
  TrustPolicy policy = demo_policy();
  policy.crls = load_crls(demo("intermediate.crl.pem"));
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, test_cert("revoked.pem"), test_cert("revoked-chain.pem"));
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_TRUE(has_status(r, Status::RevocationChecked)) << describe(r);
}

TEST(PathValidator, RequiredRevocationDataWithAllCrlsIsTrusted) {
  TrustPolicy policy = demo_policy();
  policy.crls = load_crls(demo("intermediate.crl.pem"));
  const auto root_crl = load_crls(demo("root.crl.pem"));
  policy.crls.insert(policy.crls.end(), root_crl.begin(), root_crl.end());
  policy.require_revocation_data = true;
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_TRUE(r.trusted) << describe(r);
}

TEST(PathValidator, RequiredRevocationDataMissingIsNotTrusted) {
  TrustPolicy policy = demo_policy();
  policy.require_revocation_data = true;
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_TRUE(is_error(r.status)) << describe(r);
  // The chain says why: no CRL was there to consult.
  EXPECT_TRUE(has_status(r, Status::NoRevocationData)) << describe(r);
}

TEST(PathValidator, Rsa1024IsWeakKey) {
  const PathValidator v(demo_policy());
  const auto r = validate_user(v, test_cert("rsa1024.pem"), test_cert("rsa1024-chain.pem"));
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_EQ(r.status, Status::WeakKey) << describe(r);
}

TEST(PathValidator, Sha1SignedCertificateIsUntrustedHash) {
  const PathValidator v(demo_policy());
  const auto r = validate_user(v, test_cert("sha1.pem"), test_cert("sha1-chain.pem"));
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::UntrustedHash) << describe(r);
}

TEST(PathValidator, Sha1IsAcceptedWhenAllowed) {
  TrustPolicy policy = demo_policy();
  policy.allow_sha1 = true;
  const PathValidator v(std::move(policy));
  EXPECT_TRUE(v.policy().allow_sha1);
  const auto r = validate_user(v, test_cert("sha1.pem"), test_cert("sha1-chain.pem"));
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_EQ(r.status, Status::Ok);
}

TEST(PathValidator, ValidationTimeInsideTheValidity) {
  TrustPolicy policy = demo_policy();
  policy.validation_time = at("2030-06-01");
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_TRUE(r.trusted) << describe(r);
}

TEST(PathValidator, ValidationTimeBeforeTheHierarchyExisted) {
  TrustPolicy policy = demo_policy();
  policy.validation_time = at("2024-06-01");
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::CertNotYetValid) << describe(r);
}

TEST(PathValidator, ValidationTimeAfterAliceExpired) {
  TrustPolicy policy = demo_policy();
  policy.validation_time = at("2080-01-01T12:00:00Z");
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, demo("alice.pem"), demo("alice-chain.pem"));
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::CertExpired) << describe(r);
}

TEST(PathValidator, ValidationTimeInThePastNoLongerSeesExpiredAsExpired) {
  // At 2020-06-01 the expired certificate itself was valid. Its issuer, the demo intermediate,
  // only exists from 2025-01-01 on, so under RFC 5280 the chain is still not valid then — but
  // for a different reason, on a different link.
  TrustPolicy policy = demo_policy();
  policy.validation_time = at("2020-06-01");
  const PathValidator v(std::move(policy));
  const auto r = validate_user(v, test_cert("expired.pem"), test_cert("expired-chain.pem"));
  ASSERT_GE(r.chain.size(), 2u) << describe(r);
  const auto& leaf = r.chain[0].statuses;
  EXPECT_EQ(std::find(leaf.begin(), leaf.end(), Status::CertExpired), leaf.end()) << describe(r);
  EXPECT_FALSE(has_status(r, Status::CertExpired)) << describe(r);
  EXPECT_TRUE(has_status(r, Status::CertNotYetValid)) << describe(r);
  EXPECT_FALSE(r.trusted);
}

TEST(PathValidator, ValidatorIsReusable) {
  PathValidator v(demo_policy());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(validate_user(v, demo("alice.pem"), demo("alice-chain.pem")).trusted);
    EXPECT_FALSE(validate_user(v, test_cert("expired.pem"), test_cert("expired-chain.pem")).trusted);
  }
  PathValidator moved = std::move(v);
  EXPECT_TRUE(validate_user(moved, demo("bob.pem"), demo("bob-chain.pem")).trusted);
}

// RFC 5280 4.2.1.10: an excluded subtree with an empty rfc822Name covers every mail address.
// Botan 2 and OpenSSL 3.0 both matched nothing against it and trusted a mail certificate from
// a CA excluded from issuing any (found by Botan's name_constraints suite,
// empty-email-excluded-rejects-everything-invalid). The hierarchy is made here with the
// openssl tool: root -> CA (nameConstraints given as DER) -> leaf.
void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = test::run(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// Issues certificate NAME (CN=NAME, a new P-256 key) from ISSUER, both files in DIR, with the
// extensions EXT (openssl x509 -extfile lines).
Certificate issue(const test::TempDir& dir, const std::string& name, const std::string& issuer,
                  const std::string& ext) {
  static int serial = 1;
  const std::string p = (dir / name).string();
  const std::string ca = (dir / issuer).string();
  test::write(dir / (name + ".ext"), ext);
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", p + ".key", "-out", p + ".csr", "-subj", "/CN=" + name});
  openssl({"x509", "-req", "-in", p + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
           "-set_serial", std::to_string(++serial), "-days", "30", "-extfile", p + ".ext", "-out",
           p + ".pem"});
  return cert(p + ".pem");
}

Certificate nc_ca(const test::TempDir& dir, const std::string& name, const std::string& nc_der) {
  return issue(dir, name, "root",
               "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
               "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
               "nameConstraints=critical,DER:" +
                   nc_der + "\n");
}

Certificate nc_leaf(const test::TempDir& dir, const std::string& name, const std::string& ca,
                    const std::string& san) {
  return issue(dir, name, ca,
               "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
               "extendedKeyUsage=emailProtection\nsubjectAltName=" +
                   san +
                   "\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
}

TEST(PathValidator, EmptyExcludedRfc822NameExcludesEveryAddress) {
  if (!test::have_program("openssl")) GTEST_SKIP() << "the openssl tool is not installed";
  const test::TempDir dir;
  const std::string root = (dir / "root").string();
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", root + ".key", "-out", root + ".pem", "-subj", "/CN=root", "-days", "30",
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});
  TrustPolicy policy;
  policy.anchors = {cert(root + ".pem")};
  const PathValidator v(std::move(policy));
  // excludedSubtrees [1] { GeneralSubtree { rfc822Name "" } }
  const Certificate none = nc_ca(dir, "none", "30:06:A1:04:30:02:81:00");
  // excludedSubtrees [1] { GeneralSubtree { rfc822Name "x.test" } }
  const Certificate other = nc_ca(dir, "other", "30:0C:A1:0A:30:08:81:06:78:2E:74:65:73:74");

  const auto mail = v.validate(nc_leaf(dir, "mail", "none", "email:alice@example.org"), {none});
  EXPECT_FALSE(mail.trusted) << "a CA excluded from every address issued one";
  EXPECT_EQ(mail.status, Status::NameConstraintViolated) << mail.detail;
  ASSERT_FALSE(mail.chain.empty());
  EXPECT_TRUE(has_status(mail, Status::NameConstraintViolated));

  // Only the excluded form counts: a certificate without a mail address passes, and a CA
  // that excludes one domain still issues for another.
  const auto host = v.validate(nc_leaf(dir, "host", "none", "DNS:host.example.org"), {none});
  EXPECT_TRUE(host.trusted) << host.detail;
  const auto elsewhere =
      v.validate(nc_leaf(dir, "elsewhere", "other", "email:alice@example.org"), {other});
  EXPECT_TRUE(elsewhere.trusted) << elsewhere.detail;
}

// RFC 9598 section 6: rfc822Name constraints cover SmtpUTF8Mailbox names, which Botan 2 and
// OpenSSL 3.0 do not check (Botan name_constraints suite, smtp-utf8-san-excluded-*). As in
// Botan 3, an SmtpUTF8Mailbox name under any rfc822Name constraint is refused; under a CA
// constrained in dNSName only it is not.
TEST(PathValidator, SmtpUtf8MailboxUnderRfc822ConstraintsIsRefused) {
  if (!test::have_program("openssl")) GTEST_SKIP() << "the openssl tool is not installed";
  const test::TempDir dir;
  const std::string root = (dir / "root").string();
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", root + ".key", "-out", root + ".pem", "-subj", "/CN=root", "-days", "30",
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});
  TrustPolicy policy;
  policy.anchors = {cert(root + ".pem")};
  const PathValidator v(std::move(policy));
  // excludedSubtrees [1] { GeneralSubtree { rfc822Name ".example.org" } }: every domain
  // below example.org (OpenSSL 3.0 does match the host form "example.org" itself).
  const Certificate mail_ca =
      nc_ca(dir, "mailca", "30:12:A1:10:30:0E:81:0C:2E:65:78:61:6D:70:6C:65:2E:6F:72:67");
  // excludedSubtrees [1] { GeneralSubtree { dNSName "x.test" } }
  const Certificate dns_ca = nc_ca(dir, "dnsca", "30:0C:A1:0A:30:08:82:06:78:2E:74:65:73:74");
  const std::string smtputf8 = "otherName:1.3.6.1.5.5.7.8.9;UTF8:alice@sub.example.org";

  const auto excluded = v.validate(nc_leaf(dir, "excluded", "mailca", smtputf8), {mail_ca});
  EXPECT_FALSE(excluded.trusted) << "an SmtpUTF8Mailbox in an excluded domain was trusted";
  EXPECT_EQ(excluded.status, Status::NameConstraintViolated) << excluded.detail;
  const auto dns_only = v.validate(nc_leaf(dir, "dnsonly", "dnsca", smtputf8), {dns_ca});
  EXPECT_TRUE(dns_only.trusted) << dns_only.detail;
}

}  // namespace
}  // namespace smimekit

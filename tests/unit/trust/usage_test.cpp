// check_signing_usage, certificate_matches_address and the status helpers.
#include <algorithm>

#include "smimekit/certificate.h"
#include "smimekit/status.h"
#include "smimekit/trust.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

using test::demo;
using test::test_cert;

Certificate cert(const std::filesystem::path& path) { return load_certificates(path).at(0); }

TEST(SigningUsage, DemoUsersMaySign) {
  EXPECT_TRUE(check_signing_usage(cert(demo("alice.pem"))).empty());
  EXPECT_TRUE(check_signing_usage(cert(demo("bob.pem"))).empty());
  EXPECT_TRUE(check_signing_usage(cert(demo("carol.pem"))).empty());
  EXPECT_TRUE(check_signing_usage(cert(test_cert("dnemail.pem"))).empty());
  EXPECT_TRUE(check_signing_usage(cert(test_cert("noemail.pem"))).empty());
}

TEST(SigningUsage, ServerAuthOnlyEkuForbidsEmail) {
  EXPECT_EQ(check_signing_usage(cert(test_cert("serverauth.pem"))),
            std::vector<Status>{Status::ExtKeyUsageForbidsEmail});
}

TEST(SigningUsage, KeyEnciphermentOnlyForbidsSigning) {
  EXPECT_EQ(check_signing_usage(cert(test_cert("keyenc.pem"))),
            std::vector<Status>{Status::KeyUsageForbidsSigning});
}

TEST(SigningUsage, CaCertificateMayNotSignMail) {
  // keyCertSign and cRLSign only: neither digitalSignature nor nonRepudiation.
  const auto statuses = check_signing_usage(cert(demo("root.pem")));
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), Status::KeyUsageForbidsSigning),
            statuses.end());
}

TEST(AddressMatch, ExactAddressMatches) {
  const Certificate alice = cert(demo("alice.pem"));
  EXPECT_TRUE(certificate_matches_address(alice, "alice@example.org"));
  EXPECT_FALSE(certificate_matches_address(alice, "bob@example.org"));
}

TEST(AddressMatch, DomainIsCaseInsensitive) {
  const Certificate alice = cert(demo("alice.pem"));
  EXPECT_TRUE(certificate_matches_address(alice, "alice@EXAMPLE.ORG"));
  EXPECT_TRUE(certificate_matches_address(alice, "alice@Example.Org"));
}

TEST(AddressMatch, LocalPartIsExact) {
  const Certificate alice = cert(demo("alice.pem"));
  EXPECT_FALSE(certificate_matches_address(alice, "Alice@example.org"));
  EXPECT_FALSE(certificate_matches_address(alice, "ALICE@example.org"));
  EXPECT_FALSE(certificate_matches_address(alice, "alice2@example.org"));
  EXPECT_FALSE(certificate_matches_address(alice, "lice@example.org"));
}

TEST(AddressMatch, LookalikesDoNotMatch) {
  const Certificate alice = cert(demo("alice.pem"));
  for (const char* a : {"", "alice", "alice@", "@example.org", "alice@example.org.evil.com",
                        "alice@example.or", "alice@sub.example.org", "x@alice@example.org",
                        "alice@example.org ", " alice@example.org", "<alice@example.org>"}) {
    EXPECT_FALSE(certificate_matches_address(alice, a)) << "matched \"" << a << "\"";
  }
}

TEST(AddressMatch, DnEmailMatchesThroughTheSubjectDn) {
  const Certificate dn = cert(test_cert("dnemail.pem"));
  EXPECT_TRUE(certificate_matches_address(dn, "dnemail@example.org"));
  EXPECT_TRUE(certificate_matches_address(dn, "dnemail@EXAMPLE.org"));
  EXPECT_FALSE(certificate_matches_address(dn, "DNEmail@example.org"));
  EXPECT_FALSE(certificate_matches_address(dn, "alice@example.org"));
}

TEST(AddressMatch, NoEmailMatchesNothing) {
  const Certificate none = cert(test_cert("noemail.pem"));
  EXPECT_FALSE(certificate_matches_address(none, "noemail@example.org"));
  EXPECT_FALSE(certificate_matches_address(none, ""));
}

TEST(Statuses, ErrorBands) {
  EXPECT_FALSE(is_error(Status::Ok));
  EXPECT_FALSE(is_error(Status::RevocationChecked));
  EXPECT_FALSE(is_error(Status::NoRevocationData));
  EXPECT_FALSE(is_error(Status::NoSigningTime));
  EXPECT_FALSE(is_error(Status::RevocationUnchecked));  // soft-fail: a warning
  EXPECT_TRUE(is_error(Status::RevocationUnavailable));  // hard-fail: an error
  EXPECT_TRUE(is_error(Status::WeakDigest));
  EXPECT_TRUE(is_error(Status::AddressMismatch));
  EXPECT_TRUE(is_error(Status::CertExpired));
  EXPECT_TRUE(is_error(Status::Revoked));
  EXPECT_TRUE(is_error(Status::SignatureInvalid));
}

TEST(Statuses, NamesAndTexts) {
  EXPECT_EQ(status_name(Status::CertExpired), "cert_expired");
  EXPECT_EQ(status_name(Status::AddressMismatch), "address_mismatch");
  EXPECT_EQ(status_name(Status::Revoked), "revoked");
  EXPECT_EQ(status_name(Status::Ok), "ok");
  EXPECT_EQ(status_name(static_cast<Status>(12345)), "unknown");
  EXPECT_EQ(status_text(static_cast<Status>(12345)), "unknown status");
  EXPECT_NE(status_text(Status::CertExpired).find("expired"), std::string_view::npos);
  EXPECT_NE(status_text(Status::Revoked).find("revoked"), std::string_view::npos);
}

TEST(Statuses, EveryKnownStatusHasItsOwnName) {
  const Status all[] = {
      Status::Ok, Status::RevocationChecked, Status::NoRevocationData, Status::NoSigningTime,
      Status::RevocationUnchecked, Status::RevocationUnavailable,
      Status::WeakDigest, Status::WeakKey, Status::UntrustedHash, Status::KeyUsageForbidsSigning,
      Status::ExtKeyUsageForbidsEmail, Status::NoEmailInCertificate, Status::AddressMismatch,
      Status::NoFromAddress, Status::KeyUsageForbidsEncryption, Status::KeyCannotEncrypt,
      Status::CertNotYetValid, Status::CertExpired, Status::CrlNotYetValid,
      Status::CrlExpired, Status::IssuerNotFound, Status::NoTrustAnchor, Status::ChainLoop,
      Status::ChainNameMismatch, Status::PolicyError, Status::CaUsageInvalid, Status::ChainTooLong,
      Status::NameConstraintViolated, Status::CaNotAllowedToSignCrl,
      Status::UnknownCriticalExtension, Status::DuplicateExtension, Status::InvalidCertificate,
      Status::Revoked, Status::CrlSignatureInvalid, Status::CertSignatureInvalid,
      Status::CertSignatureAlgorithmUnknown, Status::SignatureInvalid,
      Status::SignerCertificateMissing, Status::SignedAttributesInvalid,
      Status::DigestAlgorithmUnsupported, Status::ContentMismatch, Status::SignatureUnreadable};
  std::vector<std::string_view> names;
  for (Status s : all) {
    EXPECT_NE(status_name(s), "unknown") << static_cast<int>(s);
    EXPECT_NE(status_text(s), "unknown status") << static_cast<int>(s);
    names.push_back(status_name(s));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "duplicate name";
}

}  // namespace
}  // namespace smimekit

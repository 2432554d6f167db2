// check_crl(): RFC 5280 §6.3.3's checks of a CRL against its issuer — name, cRLSign, signature,
// completeness, freshness with 300 s of clock skew. The frozen demo CRLs give the times; CRLs
// with odd extensions and issuers that share a name are made with the openssl tool.
#include <chrono>

#include "smimekit/time.h"
#include "smimekit/trust.h"
#include "support/test_support.h"

namespace smimekit {
namespace {

using test::demo;

Certificate cert(const std::filesystem::path& p) {
  return load_certificates(p).front();
}
Crl crl(const std::filesystem::path& p) {
  return load_crls(p).front();
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// certs/demo/intermediate.crl.pem: thisUpdate 2025-01-01, nextUpdate 2075-01-01.
TEST(CheckCrl, CurrentCrlOfItsIssuerIsAcceptedWithinTheSkewAndNotOutside) {
  const Crl list = crl(demo("intermediate.crl.pem"));
  const Certificate issuer = cert(demo("intermediate.pem"));
  const TimePoint next = *parse_time("2075-01-01T00:00:00Z");
  const TimePoint last = *parse_time("2025-01-01T00:00:00Z");
  using std::chrono::seconds;

  EXPECT_EQ(check_crl(list, issuer, *parse_time("2030-06-01")), "");
  EXPECT_EQ(check_crl(list, issuer, next + seconds(299)), "");
  EXPECT_EQ(check_crl(list, issuer, next + seconds(301)),
            "the CRL is out of date (its nextUpdate has passed)");
  EXPECT_EQ(check_crl(list, issuer, last - seconds(299)), "");
  EXPECT_EQ(check_crl(list, issuer, last - seconds(301)),
            "the CRL is not yet valid (thisUpdate lies ahead)");
}

TEST(CheckCrl, CrlOfAnotherIssuerIsRefusedNamingBoth) {
  const std::string why = check_crl(crl(demo("intermediate.crl.pem")), cert(demo("root.pem")),
                                    *parse_time("2030-06-01"));
  EXPECT_TRUE(contains(why, "the CRL was issued by ")) << why;
  EXPECT_TRUE(contains(why, "Demo Intermediate CA")) << why;
  EXPECT_TRUE(contains(why, "Demo Root CA")) << why;
}

// One key behind two certificates of "CN=Crl Test CA" (with and without cRLSign), an impostor
// of that name with another key, and CRLs the openssl tool signs with the first key.
class CheckCrlMade : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_program("openssl")) GTEST_SKIP() << "the openssl tool is not installed";
    const auto p = [&](const std::string& name) { return (dir / name).string(); };
    for (const char* key : {"ca", "impostor"}) {
      run({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
           p(std::string(key) + ".key")});
    }
    const auto self_signed = [&](const std::string& name, const std::string& key,
                                 const std::string& usage) {
      run({"req", "-x509", "-key", p(key + ".key"), "-subj", "/CN=Crl Test CA", "-days", "30",
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical," + usage,
           "-out", p(name + ".pem")});
    };
    self_signed("ca", "ca", "keyCertSign,cRLSign");
    self_signed("nosign", "ca", "keyCertSign");
    self_signed("impostor", "impostor", "keyCertSign,cRLSign");
    test::write(dir / "index.txt", "");
    test::write(dir / "ca.cnf",
                "[ca]\ndefault_ca=t\n[t]\ndatabase=" + p("index.txt") +
                    "\ndefault_md=sha256\ndefault_crl_days=1\n[plain]\n"
                    "[delta]\ndeltaCRL=critical,DER:02:01:01\n"
                    "[reasons]\nissuingDistributionPoint=critical,@idp\n"
                    "[idp]\nonlysomereasons=keyCompromise\n"
                    "[indirect]\nissuingDistributionPoint=critical,@idp_indirect\n"
                    "[idp_indirect]\nindirectCRL=TRUE\n"
                    "[attributes]\nissuingDistributionPoint=critical,@idp_attributes\n"
                    "[idp_attributes]\nonlyAA=TRUE\n"
                    "[unknown]\n1.2.3.4=critical,DER:05:00\n");
    for (const char* exts : {"plain", "delta", "reasons", "indirect", "attributes", "unknown"}) {
      run({"ca", "-batch", "-config", p("ca.cnf"), "-gencrl", "-cert", p("ca.pem"), "-keyfile",
           p("ca.key"), "-crlexts", exts, "-out", p(std::string(exts) + ".crl")});
    }
  }
  void run(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    const auto r = test::run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string check(const std::string& list, const std::string& issuer) {
    return check_crl(crl(dir / (list + ".crl")), cert(dir / (issuer + ".pem")),
                     std::chrono::system_clock::now());
  }
  test::TempDir dir;
};

TEST_F(CheckCrlMade, OnlyTheIssuersKeyAndAnIssuerAllowedToSignCrlsWillDo) {
  EXPECT_EQ(check("plain", "ca"), "");
  EXPECT_EQ(check("plain", "impostor"),
            "the CRL's signature does not verify with the issuer's key");
  EXPECT_EQ(check("plain", "nosign"), "the issuer's key usage does not allow it to sign CRLs");
}

TEST_F(CheckCrlMade, OnlyACompleteCrlWithoutUnknownCriticalExtensionsWillDo) {
  EXPECT_EQ(check("delta", "ca"), "the CRL is a delta CRL");
  for (const char* scoped : {"reasons", "indirect", "attributes"}) {
    EXPECT_EQ(check(scoped, "ca"),
              "the CRL is not a complete CRL (its issuingDistributionPoint limits its scope)")
        << scoped;
  }
  EXPECT_EQ(check("unknown", "ca"), "the CRL has a critical extension that is not understood");
}

}  // namespace
}  // namespace smimekit

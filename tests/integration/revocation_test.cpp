// Online revocation against real servers on loopback. A small CA is made at test time with the
// openssl command; its leaves name OCSP responders and CRL distribution points on
// 127.0.0.1. The responder is `openssl ocsp` itself (responder mode, -reqin/-respout, once per
// request behind a 127.0.0.1 HTTP front, because its -port binds every interface); CRLs come
// from `openssl ca -gencrl` over the same kind of server. Servers count their requests.
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "cli_helpers.h"
#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "smimekit/trust.h"
#include "support/http_server.h"

namespace smimekit {
namespace {

namespace fs = std::filesystem;
using clitest::cli;
using clitest::contains;
using clitest::lines;
using clitest::p;
using clitest::show;
using test::HttpServer;
using test::RunResult;

void must(const RunResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err);
}

bool has(const ValidationResult& r, std::size_t at, Status s) {
  if (at >= r.chain.size()) return false;
  const auto& st = r.chain[at].statuses;
  return std::find(st.begin(), st.end(), s) != st.end();
}

// Configuration section names keep to letters, digits and underscores.
std::string section(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string describe(const ValidationResult& r) {
  std::string out =
      fmt::format("trusted={} status={} detail={}", r.trusted, status_name(r.status), r.detail);
  for (const auto& link : r.chain) {
    out += "\n  " + link.certificate.display_name() + ":";
    for (Status s : link.statuses) out += " " + std::string(status_name(s));
    out += " [" + link.revocation + "]";
  }
  return out;
}

// The test CA, its servers and its leaves, made once for the whole suite.
struct Pki {
  test::TempDir dir;
  std::mutex lock;  // the OCSP handler runs in the server's thread
  std::map<std::string, std::atomic<int>> ocsp_hits;
  std::atomic<int> crl_hits{0};
  std::unique_ptr<HttpServer> ocsp, crl;
  test::SilentServer silent;
  std::uint16_t down = test::unused_port();

  fs::path at(const std::string& name) const { return dir / name; }
  int hits(const std::string& target) { return ocsp_hits[target].load(); }

  void openssl(std::vector<std::string> args, const std::string& what) {
    args.insert(args.begin(), "openssl");
    must(test::run(args), what);
  }

  // `openssl ocsp` in responder mode for one request; SIGNER signs the response.
  std::string respond(const std::string& request, const std::string& signer) {
    std::lock_guard guard(lock);
    test::write(at("req.der"), request);
    fs::remove(at("resp.der"));
    const RunResult r =
        test::run({"openssl", "ocsp", "-index", p(at("index.txt")), "-CA", p(at("root.pem")),
                   "-rsigner", p(at(signer + ".pem")), "-rkey", p(at(signer + ".key")), "-reqin",
                   p(at("req.der")), "-respout", p(at("resp.der")), "-nmin", "60"});
    if (r.exit_code != 0) return {};
    return test::read(at("resp.der"));
  }

  // A response built by hand whose thisUpdate and nextUpdate lie in the past (openssl ocsp
  // always dates its answers now); signed by the CA, nonce echoed.
  std::string stale(const std::string& request_der) {
    const auto* q = reinterpret_cast<const unsigned char*>(request_der.data());
    OCSP_REQUEST* req = d2i_OCSP_REQUEST(nullptr, &q, static_cast<long>(request_der.size()));
    if (req == nullptr) return {};
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
    OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
    ASN1_TIME* this_update = X509_gmtime_adj(nullptr, -2 * 86400);
    ASN1_TIME* next_update = X509_gmtime_adj(nullptr, -86400);
    OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, this_update, next_update);
    OCSP_copy_nonce(basic, req);
    BIO* cert_bio = BIO_new_file(p(at("root.pem")).c_str(), "r");
    X509* signer = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    BIO* key_bio = BIO_new_file(p(at("root.key")).c_str(), "r");
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    OCSP_basic_sign(basic, signer, key, EVP_sha256(), nullptr, 0);
    OCSP_RESPONSE* response = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
    unsigned char* der = nullptr;
    const int length = i2d_OCSP_RESPONSE(response, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(std::max(length, 0)));
    OPENSSL_free(der);
    OCSP_RESPONSE_free(response);
    EVP_PKEY_free(key);
    BIO_free(key_bio);
    X509_free(signer);
    BIO_free(cert_bio);
    ASN1_TIME_free(next_update);
    ASN1_TIME_free(this_update);
    OCSP_BASICRESP_free(basic);
    OCSP_REQUEST_free(req);
    return out;
  }

  HttpServer::Response answer_ocsp(const HttpServer::Request& request) {
    ++ocsp_hits[request.target];
    HttpServer::Response out;
    out.content_type = "application/ocsp-response";
    if (request.method != "POST" || request.content_type != "application/ocsp-request") {
      out.status = 404;
    } else if (request.target == "/ca") {
      out.body = respond(request.body, "root");
    } else if (request.target == "/delegated") {
      out.body = respond(request.body, "responder");
    } else if (request.target == "/unrelated") {
      out.body = respond(request.body, "stranger");
    } else if (request.target == "/replay") {
      // An answer to another request (another nonce), as an attacker would replay it.
      out.body = respond(test::read(at("other-request.der")), "root");
    } else if (request.target == "/stale") {
      out.body = stale(request.body);
    } else {
      out.status = 404;
    }
    return out;
  }

  Pki() {
    for (const char* path : {"/ca", "/delegated", "/unrelated", "/replay", "/stale"})
      ocsp_hits[path] = 0;
    ocsp = std::make_unique<HttpServer>(
        [this](const HttpServer::Request& r) { return answer_ocsp(r); });
    crl = std::make_unique<HttpServer>([this](const HttpServer::Request& r) {
      ++crl_hits;
      HttpServer::Response out;
      const fs::path file = at(r.target.substr(1));
      if (r.method != "GET" || r.target.find('/', 1) != std::string::npos || !fs::exists(file)) {
        out.status = 404;
      } else {
        out.body = test::read(file);
        out.content_type = "application/pkix-crl";
      }
      return out;
    });

    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                         "-nodes"};
    auto req = [&](const std::string& name, const std::string& subject,
                   std::vector<std::string> extra) {
      std::vector<std::string> args = {"req"};
      args.insert(args.end(), ec.begin(), ec.end());
      args.insert(args.end(), {"-keyout", p(at(name + ".key")), "-subj", subject});
      args.insert(args.end(), extra.begin(), extra.end());
      openssl(args, "openssl req " + name);
    };
    req("root", "/CN=Revocation Test Root",
        {"-x509", "-days", "30", "-out", p(at("root.pem")), "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    req("stranger", "/CN=Unrelated Responder",
        {"-x509", "-days", "30", "-out", p(at("stranger.pem")), "-addext",
         "extendedKeyUsage=OCSPSigning"});

    std::string ext;
    ext +=
        "[responder]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=OCSPSigning\n";
    // Each leaf: AIA to an OCSP flavour, a CRL distribution point, or both, or neither.
    struct Leaf {
      std::string name, ocsp, crl;
      bool revoked;
    };
    const std::string o = "http://127.0.0.1:" + std::to_string(ocsp->port());
    const std::string c = "http://127.0.0.1:" + std::to_string(crl->port());
    const std::string dead = "http://127.0.0.1:" + std::to_string(down) + "/";
    const std::string hang = "http://127.0.0.1:" + std::to_string(silent.port()) + "/";
    const std::vector<Leaf> leaves = {
        {"good", o + "/ca", "", false},
        {"revoked", o + "/ca", "", true},
        {"delegated", o + "/delegated", "", false},
        {"unrelated", o + "/unrelated", "", false},
        {"replay", o + "/replay", "", false},
        {"stale", o + "/stale", "", false},
        {"down", dead, "", false},
        {"hang", hang, "", false},
        {"crl-good", "", c + "/root.crl", false},
        {"crl-revoked", dead, c + "/root.crl", true},  // OCSP down, so the CRL must decide
        {"crl-stale", "", c + "/stale.crl", false},
        {"crl-forged", "", c + "/forged.crl", false},     // the root's name, another key
        {"crl-wrongca", "", c + "/stranger.crl", false},  // another CA's CRL
        {"crl-down", "", dead + "root.crl", false},
        {"crl-missing", "", c + "/missing.crl", false},  // 404
        {"crl-notacrl", "", c + "/root.pem", false},     // a certificate, not a CRL
        {"nosource", "", "", false},
    };
    for (const auto& leaf : leaves) {
      ext += "[" + section(leaf.name) +
             "]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
             "extendedKeyUsage=emailProtection\nsubjectAltName=email:alice@example.org\n";
      if (!leaf.ocsp.empty()) ext += "authorityInfoAccess=OCSP;URI:" + leaf.ocsp + "\n";
      if (!leaf.crl.empty()) ext += "crlDistributionPoints=URI:" + leaf.crl + "\n";
    }
    test::write(at("ext.cnf"), ext);

    std::string index;
    int serial = 0x1000;
    auto issue = [&](const std::string& name, bool revoked) {
      req(name, "/CN=" + name, {"-out", p(at(name + ".csr"))});
      const std::string hex = fmt::format("{:X}", ++serial);
      openssl({"x509", "-req", "-in", p(at(name + ".csr")), "-CA", p(at("root.pem")), "-CAkey",
               p(at("root.key")), "-set_serial", "0x" + hex, "-days", "20", "-sha256", "-extfile",
               p(at("ext.cnf")), "-extensions", section(name), "-out", p(at(name + ".pem"))},
              "openssl x509 " + name);
      // The index of `openssl ca`: status, expiry, revocation time, serial, file, subject.
      index +=
          fmt::format("{}\t{}\t{}\t{}\tunknown\t/CN={}\n", revoked ? "R" : "V", "491231235959Z",
                      revoked ? "260101000000Z" : "", hex.size() % 2 ? "0" + hex : hex, name);
    };
    issue("responder", false);
    for (const auto& leaf : leaves) issue(leaf.name, leaf.revoked);
    test::write(at("index.txt"), index);
    test::write(at("crlnumber"), "01\n");
    test::write(at("ca.cnf"), "[ca]\ndefault_ca=test\n[test]\ndatabase=" + p(at("index.txt")) +
                                  "\ncrlnumber=" + p(at("crlnumber")) +
                                  "\ndefault_md=sha256\ndefault_crl_days=1\n");
    openssl({"ca", "-batch", "-config", p(at("ca.cnf")), "-gencrl", "-cert", p(at("root.pem")),
             "-keyfile", p(at("root.key")), "-out", p(at("root.crl"))},
            "openssl ca -gencrl");
    openssl({"ca", "-batch", "-config", p(at("ca.cnf")), "-gencrl", "-cert", p(at("root.pem")),
             "-keyfile", p(at("root.key")), "-crl_lastupdate", "20200101000000Z", "-crl_nextupdate",
             "20200102000000Z", "-out", p(at("stale.crl"))},
            "openssl ca -gencrl (stale)");
    // An impostor that took the root's name but not its key, and an unrelated CA.
    req("impostor", "/CN=Revocation Test Root",
        {"-x509", "-days", "30", "-out", p(at("impostor.pem")), "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    for (const char* signer : {"impostor", "stranger"}) {
      openssl({"ca", "-batch", "-config", p(at("ca.cnf")), "-gencrl", "-cert",
               p(at(std::string(signer) + ".pem")), "-keyfile", p(at(std::string(signer) + ".key")),
               "-out", p(at(signer == std::string("impostor") ? "forged.crl" : "stranger.crl"))},
              std::string("openssl ca -gencrl (") + signer + ")");
    }
    openssl({"ocsp", "-issuer", p(at("root.pem")), "-cert", p(at("replay.pem")), "-reqout",
             p(at("other-request.der"))},
            "openssl ocsp -reqout");
  }

  Certificate cert(const std::string& name) const {
    return load_certificates(at(name + ".pem")).front();
  }

  TrustPolicy policy(RevocationMode mode) const {
    TrustPolicy policy;
    policy.anchors = {cert("root")};
    policy.revocation.mode = mode;
    policy.revocation.timeout = std::chrono::seconds(2);
    return policy;
  }

  ValidationResult validate(const std::string& leaf, RevocationMode mode) const {
    return PathValidator(policy(mode)).validate(cert(leaf), {});
  }
};

class Revocation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_program("openssl")) return;
    pki = new Pki();
  }
  static void TearDownTestSuite() {
    delete pki;
    pki = nullptr;
  }
  void SetUp() override {
    if (pki == nullptr) GTEST_SKIP() << "the openssl command is not installed";
  }
  static Pki* pki;
};
Pki* Revocation::pki = nullptr;

TEST_F(Revocation, GoodViaOcsp) {
  const int before = pki->hits("/ca");
  const auto r = pki->validate("good", RevocationMode::HardFail);
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_TRUE(has(r, 0, Status::RevocationChecked)) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find("OCSP http://127.0.0.1:"), std::string::npos) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find(": good"), std::string::npos) << describe(r);
  EXPECT_EQ(pki->hits("/ca"), before + 1);
}

TEST_F(Revocation, RevokedViaOcspIsAnErrorInEveryOnlineMode) {
  for (auto mode : {RevocationMode::SoftFail, RevocationMode::HardFail}) {
    const auto r = pki->validate("revoked", mode);
    EXPECT_FALSE(r.trusted) << describe(r);
    EXPECT_EQ(r.status, Status::Revoked) << describe(r);
    EXPECT_TRUE(has(r, 0, Status::Revoked)) << describe(r);
  }
}

TEST_F(Revocation, DelegatedResponderCertifiedByTheIssuerIsAccepted) {
  const auto r = pki->validate("delegated", RevocationMode::HardFail);
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_TRUE(has(r, 0, Status::RevocationChecked)) << describe(r);
}

TEST_F(Revocation, RevokedViaFetchedCrlWhenTheResponderIsDown) {
  const auto r = pki->validate("crl-revoked", RevocationMode::SoftFail);
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_EQ(r.status, Status::Revoked) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find("CRL http://"), std::string::npos) << describe(r);
}

TEST_F(Revocation, GoodViaFetchedCrl) {
  const auto r = pki->validate("crl-good", RevocationMode::HardFail);
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_TRUE(has(r, 0, Status::RevocationChecked)) << describe(r);
}

TEST_F(Revocation, ResponderDownSoftFailSaysUncheckedHardFailFails) {
  const auto soft = pki->validate("down", RevocationMode::SoftFail);
  EXPECT_TRUE(soft.trusted) << describe(soft);
  EXPECT_TRUE(has(soft, 0, Status::RevocationUnchecked)) << describe(soft);
  EXPECT_NE(soft.chain[0].revocation.find("cannot connect"), std::string::npos) << describe(soft);

  const auto hard = pki->validate("down", RevocationMode::HardFail);
  EXPECT_FALSE(hard.trusted) << describe(hard);
  EXPECT_EQ(hard.status, Status::RevocationUnavailable) << describe(hard);

  const auto offline = pki->validate("down", RevocationMode::Offline);
  EXPECT_TRUE(offline.trusted) << describe(offline);
  EXPECT_TRUE(offline.chain[0].revocation.empty()) << describe(offline);
}

TEST_F(Revocation, ServerThatNeverAnswersIsBoundedByTheTimeout) {
  TrustPolicy policy = pki->policy(RevocationMode::SoftFail);
  policy.revocation.timeout = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  const auto r = PathValidator(policy).validate(pki->cert("hang"), {});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_TRUE(r.trusted) << describe(r);
  EXPECT_TRUE(has(r, 0, Status::RevocationUnchecked)) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find("did not answer within 1000 ms"), std::string::npos)
      << describe(r);
}

TEST_F(Revocation, ResponseSignedByAnUnrelatedKeyIsNotTrusted) {
  const auto soft = pki->validate("unrelated", RevocationMode::SoftFail);
  EXPECT_TRUE(has(soft, 0, Status::RevocationUnchecked)) << describe(soft);
  EXPECT_FALSE(has(soft, 0, Status::RevocationChecked)) << describe(soft);
  EXPECT_NE(soft.chain[0].revocation.find("not signed by the issuer"), std::string::npos)
      << describe(soft);
  const auto hard = pki->validate("unrelated", RevocationMode::HardFail);
  EXPECT_FALSE(hard.trusted) << describe(hard);
}

TEST_F(Revocation, StaleOcspResponseIsNotAccepted) {
  const auto r = pki->validate("stale", RevocationMode::HardFail);
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_TRUE(has(r, 0, Status::RevocationUnavailable)) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find("out of date"), std::string::npos) << describe(r);
}

TEST_F(Revocation, StaleCrlIsNotAccepted) {
  const auto r = pki->validate("crl-stale", RevocationMode::SoftFail);
  EXPECT_TRUE(has(r, 0, Status::RevocationUnchecked)) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find("nextUpdate has passed"), std::string::npos) << describe(r);
}

TEST_F(Revocation, ReplayedResponseWithAnotherNonceIsRejected) {
  const auto r = pki->validate("replay", RevocationMode::HardFail);
  EXPECT_FALSE(r.trusted) << describe(r);
  EXPECT_NE(r.chain[0].revocation.find("nonce"), std::string::npos) << describe(r);
}

TEST_F(Revocation, HardFailNeedsASourceForEveryCertificateBelowTheAnchor) {
  const auto hard = pki->validate("nosource", RevocationMode::HardFail);
  EXPECT_EQ(hard.status, Status::RevocationUnavailable) << describe(hard);
  const auto soft = pki->validate("nosource", RevocationMode::SoftFail);
  EXPECT_TRUE(soft.trusted) << describe(soft);
  EXPECT_TRUE(has(soft, 0, Status::NoRevocationData)) << describe(soft);
}

TEST_F(Revocation, StoredCrlIsConsultedFirstAndNothingIsFetched) {
  TrustPolicy policy = pki->policy(RevocationMode::HardFail);
  policy.crls = load_crls(pki->at("root.crl"));
  const int before = pki->hits("/ca");
  const auto r = PathValidator(policy).validate(pki->cert("revoked"), {});
  EXPECT_EQ(r.status, Status::Revoked) << describe(r);
  EXPECT_EQ(pki->hits("/ca"), before);
}

// A stored CRL in the issuer's name but signed by another key lists "revoked": it must not
// count (Botan 2 reads its entries anyway), and its bad signature is what is reported.
TEST_F(Revocation, StoredCrlThatDoesNotVerifyRevokesNothing) {
  TrustPolicy policy = pki->policy(RevocationMode::Offline);
  policy.crls = load_crls(pki->at("forged.crl"));
  const auto r = PathValidator(policy).validate(pki->cert("revoked"), {});
  EXPECT_FALSE(r.trusted);
  EXPECT_EQ(r.status, Status::CrlSignatureInvalid) << describe(r);
  EXPECT_TRUE(has(r, 0, Status::CrlSignatureInvalid)) << describe(r);
  EXPECT_FALSE(has(r, 0, Status::Revoked)) << describe(r);
  // The genuine CRL still revokes it.
  policy.crls = load_crls(pki->at("root.crl"));
  EXPECT_EQ(PathValidator(policy).validate(pki->cert("revoked"), {}).status, Status::Revoked);
}

TEST_F(Revocation, OneCrlFetchServesManyCertificates) {
  const PathValidator validator(pki->policy(RevocationMode::SoftFail));
  const int before = pki->crl_hits.load();
  EXPECT_TRUE(validator.validate(pki->cert("crl-good"), {}).trusted);
  EXPECT_EQ(validator.validate(pki->cert("crl-revoked"), {}).status, Status::Revoked);
  EXPECT_EQ(pki->crl_hits.load(), before + 1);
}

TEST_F(Revocation, DiskCacheSparesTheSecondRunARequest) {
  test::TempDir cache;
  TrustPolicy policy = pki->policy(RevocationMode::HardFail);
  policy.revocation.cache_dir = cache / "revocation";
  const int before = pki->hits("/ca");
  const auto first = PathValidator(policy).validate(pki->cert("good"), {});
  EXPECT_TRUE(first.trusted) << describe(first);
  EXPECT_EQ(pki->hits("/ca"), before + 1);
  for (const auto& entry : fs::directory_iterator(policy.revocation.cache_dir)) {
    EXPECT_EQ(fs::status(entry).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
  }
  // A new validator, as a new run of the program would have: the answer comes from the disk.
  const auto second = PathValidator(policy).validate(pki->cert("good"), {});
  EXPECT_TRUE(second.trusted) << describe(second);
  EXPECT_NE(second.chain[0].revocation.find("(cached)"), std::string::npos) << describe(second);
  EXPECT_EQ(pki->hits("/ca"), before + 1);
}

TEST_F(Revocation, DeadResponderIsTriedOncePerRun) {
  const PathValidator validator(pki->policy(RevocationMode::SoftFail));
  const auto first = validator.validate(pki->cert("down"), {});
  const auto second = validator.validate(pki->cert("crl-revoked"), {});  // same dead responder
  EXPECT_NE(second.chain[0].revocation.find("not tried again"), std::string::npos)
      << describe(second);
  EXPECT_EQ(second.status, Status::Revoked) << describe(second);
}

TEST_F(Revocation, PublicFetchCrlReturnsTheCrlAndRefusesOtherSchemes) {
  const Crl crl = fetch_crl(pki->crl->url("/root.crl"), std::chrono::seconds(2));
  EXPECT_EQ(crl.issuer(), pki->cert("root").subject());
  EXPECT_EQ(crl_distribution_points(pki->cert("crl-good")),
            std::vector<std::string>{pki->crl->url("/root.crl")});
  EXPECT_EQ(ocsp_responders(pki->cert("good")), std::vector<std::string>{pki->ocsp->url("/ca")});
  try {
    (void)fetch_crl("https://127.0.0.1/root.crl", std::chrono::seconds(1));
    ADD_FAILURE() << "https was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
  try {
    (void)fetch_crl(pki->crl->url("/missing.crl"), std::chrono::seconds(1));
    ADD_FAILURE() << "a 404 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Protocol);
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
  }
}

// The CLI: --revocation on verify, soft by default.
class RevocationCli : public Revocation {
 protected:
  fs::path signed_by(const std::string& leaf) {
    const fs::path in = pki->at("message.eml"), out = pki->at("signed-" + leaf + ".eml");
    if (!fs::exists(out)) {
      test::write(in, test::sample_message());
      const auto r = cli({"sign", "--key", p(pki->at(leaf + ".key")), "--cert",
                          p(pki->at(leaf + ".pem")), p(in), "-o", p(out)});
      EXPECT_EQ(r.exit_code, 0) << show(r);
    }
    return out;
  }
  std::vector<std::string> verify(const std::string& leaf, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "--anchor", p(pki->at("root.pem")),
                                     "--revocation-timeout", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(p(signed_by(leaf)));
    return args;
  }
};

TEST_F(RevocationCli, SoftIsTheDefaultAndSaysWhatCouldNotBeChecked) {
  const auto r = cli(verify("down"));
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_NE(r.out.find("VALID signature"), std::string::npos) << show(r);
  EXPECT_NE(r.out.find("[revocation of down could not be checked]"), std::string::npos) << show(r);
}

TEST_F(RevocationCli, HardFailsWhenTheResponderIsDown) {
  const auto r = cli(verify("down", {"--revocation", "hard"}));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_NE(r.out.find("INVALID"), std::string::npos) << show(r);
  EXPECT_NE(r.out.find("revocation status"), std::string::npos) << show(r);
}

TEST_F(RevocationCli, RevokedSignerIsInvalidAndOfflineSendsNothing) {
  const int before = pki->hits("/ca");
  const auto r = cli(verify("revoked"));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_NE(r.out.find("revoked"), std::string::npos) << show(r);
  EXPECT_EQ(pki->hits("/ca"), before + 1);

  const auto offline = cli(verify("revoked", {"--revocation", "offline"}));
  EXPECT_EQ(offline.exit_code, 0) << show(offline);  // nothing said it was revoked
  EXPECT_EQ(pki->hits("/ca"), before + 1);
}

TEST_F(RevocationCli, JsonSaysHowEachCertificateWasChecked) {
  const auto r = cli(verify("good", {"--json"}));
  EXPECT_EQ(r.exit_code, 0) << show(r);
  const auto j = nlohmann::json::parse(r.out);
  const auto& chain = j.at("signers").at(0).at("chain");
  EXPECT_NE(chain.at(0).at("revocation").get<std::string>().find("OCSP http://127.0.0.1:"),
            std::string::npos)
      << r.out;
  const auto& statuses = chain.at(0).at("statuses");
  EXPECT_NE(std::find(statuses.begin(), statuses.end(), "revocation_checked"), statuses.end())
      << r.out;
  EXPECT_EQ(chain.at(1).at("revocation"), "") << r.out;  // the anchor is not asked about
}

TEST_F(RevocationCli, UnknownModeIsAUsageError) {
  const auto r = cli(verify("good", {"--revocation", "maybe"}));
  EXPECT_EQ(r.exit_code, 64) << show(r);
}

// smimekit crl update: a store whose certificates name distribution points on the test
// servers. Only a CRL that the store's copy of the issuer signed, and that is current, is kept.
class CrlUpdateCli : public RevocationCli {
 protected:
  test::TempDir tmp;

  fs::path store() const { return tmp / "store"; }
  RunResult sk(std::vector<std::string> args) {
    args.insert(args.end(), {"--store", p(store())});
    return cli(args);
  }
  RunResult update() { return sk({"crl", "update", "--timeout", "2"}); }
  // A store with the test root as anchor (when ROOT) and the leaves NAMES.
  void make_store(const std::vector<std::string>& names, bool root = true) {
    if (root) {
      const RunResult r = sk({"anchors", "add", p(pki->at("root.pem"))});
      ASSERT_EQ(r.exit_code, 0) << show(r);
    }
    for (const auto& name : names) {
      const RunResult r = sk({"certs", "import", p(pki->at(name + ".pem"))});
      ASSERT_EQ(r.exit_code, 0) << show(r);
    }
  }
  // The files of the store's CRL directory with their contents.
  std::map<std::string, std::string> stored_crls() const {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(store() / "crls"))
      out[e.path().filename().string()] = test::read(e.path());
    return out;
  }
  std::string url(const std::string& file) const { return pki->crl->url("/" + file); }
};

TEST_F(CrlUpdateCli, StoresTheCrlOnceForAllItsCertificatesAndVerifyUsesItOffline) {
  make_store({"crl-good", "crl-revoked"});
  const auto offline = verify("crl-revoked", {"--store", p(store()), "--revocation", "offline"});
  RunResult r = cli(offline);
  EXPECT_EQ(r.exit_code, 0) << show(r);  // no CRL yet, nothing fetched: nothing says revoked

  const int before = pki->crl_hits.load();
  r = update();
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(lines(r.out).size(), 1u) << show(r);  // two certificates, one distribution point
  EXPECT_TRUE(contains(r.out, "updated CRL of CN=Revocation Test Root from " + url("root.crl") +
                                  " (2 revoked, next update "))
      << show(r);
  EXPECT_TRUE(r.err.empty()) << show(r);
  EXPECT_EQ(pki->crl_hits.load(), before + 1);
  EXPECT_EQ(stored_crls().size(), 1u);

  r = sk({"crl", "list"});
  EXPECT_TRUE(contains(r.out, "CN=Revocation Test Root  issued ")) << show(r);
  EXPECT_TRUE(contains(r.out, "2 revoked")) << show(r);

  r = cli(offline);  // the stored CRL decides, without the network
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "revoked")) << show(r);
  EXPECT_EQ(pki->crl_hits.load(), before + 1);
}

TEST_F(CrlUpdateCli, SecondUpdateAsksAgainAndSaysAlreadyCurrent) {
  make_store({"crl-good"});
  RunResult r = update();
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const auto first = stored_crls();
  const int before = pki->crl_hits.load();
  r = update();
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "CRL of CN=Revocation Test Root from " + url("root.crl") +
                                  " already current (2 revoked"))
      << show(r);
  EXPECT_EQ(pki->crl_hits.load(), before + 1);
  EXPECT_EQ(stored_crls(), first);
}

TEST_F(CrlUpdateCli, NewerCrlReplacesTheOlderImportedOne) {
  make_store({"crl-good"});
  // A CRL of the root issued yesterday, still current, imported by hand.
  const auto now = std::chrono::system_clock::now();
  const auto stamp = [](std::chrono::system_clock::time_point t) {
    return fmt::format("{:%Y%m%d%H%M%S}Z", std::chrono::floor<std::chrono::seconds>(t));
  };
  pki->openssl(
      {"ca", "-batch", "-config", p(pki->at("ca.cnf")), "-gencrl", "-cert", p(pki->at("root.pem")),
       "-keyfile", p(pki->at("root.key")), "-crl_lastupdate", stamp(now - std::chrono::hours(24)),
       "-crl_nextupdate", stamp(now + std::chrono::hours(24)), "-out", p(tmp / "yesterday.crl")},
      "openssl ca -gencrl (yesterday)");
  RunResult r = sk({"crl", "import", p(tmp / "yesterday.crl")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "imported CRL of CN=Revocation Test Root")) << show(r);
  const auto old = stored_crls();

  r = update();
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "updated CRL of CN=Revocation Test Root")) << show(r);
  const auto now_stored = stored_crls();
  ASSERT_EQ(now_stored.size(), 1u);
  EXPECT_NE(now_stored, old);
  EXPECT_EQ(now_stored.begin()->second, test::read(pki->at("root.crl")));

  // Importing yesterday's again changes nothing.
  r = sk({"crl", "import", p(tmp / "yesterday.crl")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "kept the stored CRL of CN=Revocation Test Root")) << show(r);
  EXPECT_EQ(stored_crls(), now_stored);
}

TEST_F(CrlUpdateCli, ServerDownIsExit75NamingTheUrlAndStoresNothing) {
  make_store({"crl-down"});
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 75) << show(r);
  const std::string dead = "http://127.0.0.1:" + std::to_string(pki->down) + "/root.crl";
  EXPECT_TRUE(contains(r.err, "smimekit: error: " + dead + ": cannot connect")) << show(r);
  EXPECT_TRUE(contains(r.err, "nothing stored")) << show(r);
  EXPECT_TRUE(contains(r.err, "--timeout")) << show(r);
  EXPECT_TRUE(stored_crls().empty());
}

TEST_F(CrlUpdateCli, CrlUnderTheIssuersNameButAnotherKeyIsRefused) {
  make_store({"crl-forged"});
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 65) << show(r);
  EXPECT_TRUE(contains(
      r.err, url("forged.crl") + ": the CRL's signature does not verify with the issuer's key"))
      << show(r);
  EXPECT_TRUE(stored_crls().empty());
}

TEST_F(CrlUpdateCli, CrlOfAnotherCaIsRefused) {
  make_store({"crl-wrongca"});
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 65) << show(r);
  EXPECT_TRUE(contains(r.err, url("stranger.crl") + ": the CRL was issued by CN=Unrelated "
                                                    "Responder, not by the issuer"))
      << show(r);
  EXPECT_TRUE(stored_crls().empty());
}

TEST_F(CrlUpdateCli, OutOfDateCrlIsRefused) {
  make_store({"crl-stale"});
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 65) << show(r);
  EXPECT_TRUE(contains(r.err, url("stale.crl") + ": the CRL is out of date")) << show(r);
  EXPECT_TRUE(stored_crls().empty());
}

TEST_F(CrlUpdateCli, IssuerMissingFromTheStoreIsSaidWithWhatToDo) {
  make_store({"crl-good"}, false);
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 65) << show(r);
  EXPECT_TRUE(contains(r.err, url("root.crl") + ": the CRL's issuer CN=Revocation Test Root is "
                                                "not in the store"))
      << show(r);
  EXPECT_TRUE(contains(r.err,
                       "smimekit: hint: import the issuer's certificate with 'smimekit "
                       "certs import FILE'"))
      << show(r);
  EXPECT_TRUE(stored_crls().empty());
}

TEST_F(CrlUpdateCli, OneFailureDoesNotStopTheOthersAndTheWorstDecidesTheExit) {
  make_store({"crl-forged", "crl-good", "crl-down"});
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 75) << show(r);  // network (75) over data (65)
  EXPECT_TRUE(contains(r.out, "updated CRL of CN=Revocation Test Root from " + url("root.crl")))
      << show(r);
  EXPECT_TRUE(contains(r.err, url("forged.crl"))) << show(r);
  EXPECT_TRUE(contains(r.err, "cannot connect")) << show(r);
  ASSERT_EQ(stored_crls().size(), 1u);
  EXPECT_EQ(stored_crls().begin()->second, test::read(pki->at("root.crl")));
}

TEST_F(CrlUpdateCli, AnswerThatIsNoCrlIs65AndA404Is76) {
  make_store({"crl-notacrl"});
  RunResult r = update();
  EXPECT_EQ(r.exit_code, 65) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error: " + url("root.pem") + ": ")) << show(r);
  make_store({"crl-missing"});
  r = update();
  EXPECT_EQ(r.exit_code, 76) << show(r);  // protocol (76) over data (65)
  EXPECT_TRUE(contains(r.err, "smimekit: error: " + url("missing.crl") + ": ")) << show(r);
  EXPECT_TRUE(contains(r.err, "404")) << show(r);
  EXPECT_TRUE(stored_crls().empty());
}

// import does not check signatures; path validation checks a stored CRL against the issuer of
// the chain each time it is used.
TEST_F(CrlUpdateCli, ForgedCrlImportedByHandDoesNotPassPathValidation) {
  make_store({"crl-good"});
  RunResult r = sk({"crl", "import", p(pki->at("forged.crl"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = cli(verify("crl-good", {"--store", p(store()), "--revocation", "offline"}));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "INVALID")) << show(r);
  EXPECT_TRUE(contains(r.out, "a CRL's signature does not verify (crl-good)")) << show(r);
  // The forged CRL lists the certificate, but a CRL that does not verify revokes nothing.
  EXPECT_FALSE(contains(r.out, "revoked")) << show(r);
}

TEST_F(CrlUpdateCli, StoreWithoutDistributionPointsSaysSo) {
  make_store({"good", "nosource"});
  const int before = pki->crl_hits.load();
  const RunResult r = update();
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.out, "no certificate in the store names an http CRL distribution point\n") << show(r);
  EXPECT_EQ(pki->crl_hits.load(), before);
}

TEST_F(CrlUpdateCli, HelpShowsTheVerbAndItsTimeout) {
  RunResult r = cli({"crl", "--help"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "update")) << show(r);
  EXPECT_TRUE(contains(r.out, "fetch the CRLs of the http distribution points")) << show(r);
  r = cli({"crl", "update", "--help"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "--timeout")) << show(r);
}

TEST_F(CrlUpdateCli, MissingStoreIsNoInputAndZeroTimeoutIsAUsageError) {
  RunResult r = update();
  EXPECT_EQ(r.exit_code, 66) << show(r);
  make_store({});
  r = sk({"crl", "update", "--timeout", "0"});
  EXPECT_EQ(r.exit_code, 64) << show(r);
}

}  // namespace
}  // namespace smimekit

// The chain audit: the findings for the demo users and the odd certificates of certs/test,
// and for certificates made here with the openssl tool (no key usage, name constraints,
// cross-signed intermediates, a hostile pool).
#include <algorithm>
#include <chrono>

#include "smimekit/audit.h"
#include "smimekit/certificate.h"
#include "smimekit/time.h"
#include "support/test_support.h"

namespace smimekit {
namespace {

using test::demo;
using test::test_cert;

std::vector<Certificate> certs(const std::filesystem::path& path) {
  return load_certificates(path);
}
Certificate cert(const std::filesystem::path& path) {
  return certs(path).at(0);
}

// The demo hierarchy: root as anchor, intermediate in the pool, both CRLs.
AuditInput demo_input(std::vector<Certificate> end_entities) {
  AuditInput input;
  input.end_entities = std::move(end_entities);
  input.anchors = certs(demo("root.pem"));
  input.pool = certs(demo("intermediate.pem"));
  input.crls = load_crls(demo("intermediate.crl.pem"));
  const auto root_crl = load_crls(demo("root.crl.pem"));
  input.crls.insert(input.crls.end(), root_crl.begin(), root_crl.end());
  input.time = parse_time("2026-06-01");
  return input;
}

const Finding* find(const std::vector<Finding>& findings, std::string_view code) {
  const auto it = std::find_if(findings.begin(), findings.end(),
                               [&](const Finding& f) { return f.code == code; });
  return it == findings.end() ? nullptr : &*it;
}

// Every finding of a report, for failure messages.
std::string dump(const AuditReport& report) {
  return render_audit_text(report);
}

// The leaf's findings in the first chain.
const std::vector<Finding>& leaf_findings(const AuditReport& report) {
  return report.entities.at(0).chains.at(0).links.at(0).findings;
}

AuditReport audit_one(const std::filesystem::path& leaf) {
  return audit_certificates(demo_input({cert(leaf)}));
}

TEST(Audit, DemoUserHasOneTrustedChainAndNoError) {
  const AuditReport report = audit_one(demo("alice.pem"));
  ASSERT_EQ(report.entities.size(), 1u);
  const EndEntityAudit& alice = report.entities[0];
  ASSERT_EQ(alice.chains.size(), 1u) << dump(report);
  const ChainAudit& chain = alice.chains[0];
  EXPECT_TRUE(chain.trusted) << dump(report);
  EXPECT_TRUE(chain.openssl_trusted) << dump(report);
  EXPECT_EQ(find(chain.findings, "validators_disagree"), nullptr) << dump(report);
  ASSERT_EQ(chain.links.size(), 3u);
  EXPECT_EQ(chain.links[0].role, Role::EndEntity);
  EXPECT_EQ(chain.links[1].role, Role::Intermediate);
  EXPECT_EQ(chain.links[2].role, Role::Anchor);
  EXPECT_EQ(chain.links[2].certificate.display_name(), "Demo Root CA");
  EXPECT_EQ(chain.links[0].revocation.crl, RevocationState::Good) << dump(report);
  EXPECT_EQ(chain.links[0].revocation.ocsp, RevocationState::NotChecked);
  EXPECT_EQ(chain.links[2].revocation.crl, RevocationState::NotChecked);
  EXPECT_NE(find(chain.links[0].findings, "usage"), nullptr) << dump(report);
  const Finding* email = find(chain.links[0].findings, "email_addresses");
  ASSERT_NE(email, nullptr);
  EXPECT_NE(email->text.find("alice@example.org"), std::string::npos);
  const Finding* bc = find(chain.links[1].findings, "basic_constraints");
  ASSERT_NE(bc, nullptr);
  EXPECT_NE(bc->text.find("at most 0"), std::string::npos) << bc->text;
  EXPECT_NE(find(chain.links[0].findings, "no_cdp"), nullptr);
  EXPECT_NE(find(chain.links[0].findings, "no_aia"), nullptr);
  EXPECT_EQ(alice.verdict(), Severity::Info) << dump(report);
  EXPECT_FALSE(report.has_errors());
}

TEST(Audit, ExpiredUserIsAnError) {
  const AuditReport report = audit_one(demo("dave.pem"));
  const Finding* f = find(leaf_findings(report), "cert_expired");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Error);
  EXPECT_NE(f->text.find("2026-01-01"), std::string::npos) << f->text;
  EXPECT_FALSE(report.entities[0].chains[0].trusted);
  EXPECT_TRUE(report.has_errors());
}

TEST(Audit, RevokedUserIsAnErrorAndItsCrlStateSaysSo) {
  const AuditReport report = audit_one(demo("erin.pem"));
  const auto& leaf = report.entities.at(0).chains.at(0).links.at(0);
  EXPECT_EQ(leaf.revocation.crl, RevocationState::Revoked) << dump(report);
  const Finding* f = find(leaf.findings, "revoked");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Error);
  // OpenSSL is given no CRL, so its acceptance of a revoked chain is not a disagreement.
  EXPECT_EQ(find(report.entities[0].chains[0].findings, "validators_disagree"), nullptr)
      << dump(report);
  EXPECT_TRUE(report.has_errors());
}

TEST(Audit, WithoutCrlsRevocationIsAWarning) {
  AuditInput input = demo_input({cert(demo("erin.pem"))});
  input.crls.clear();
  const AuditReport report = audit_certificates(input);
  const Finding* f = find(leaf_findings(report), "no_revocation_data");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Warning);
  EXPECT_FALSE(report.has_errors()) << dump(report);
}

TEST(Audit, ExpiringSoonIsAWarning) {
  AuditInput input = demo_input({cert(demo("dave.pem"))});
  input.time = parse_time("2025-12-20");
  input.warn_days = 30;
  const AuditReport report = audit_certificates(input);
  const Finding* f = find(leaf_findings(report), "cert_expiring");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Warning);
  EXPECT_NE(f->text.find("in 12 days"), std::string::npos) << f->text;
  input.warn_days = 5;
  EXPECT_EQ(find(leaf_findings(audit_certificates(input)), "cert_expiring"), nullptr);
}

TEST(Audit, NotYetValidIsAnError) {
  const AuditReport report = audit_one(test_cert("notyet.pem"));
  const Finding* f = find(leaf_findings(report), "cert_not_yet_valid");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Error);
}

TEST(Audit, Rsa1024IsFlagged) {
  const AuditReport report = audit_one(test_cert("rsa1024.pem"));
  const Finding* f = find(leaf_findings(report), "rsa_key_too_short");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Error);
  EXPECT_NE(f->text.find("RSA-1024"), std::string::npos);
  EXPECT_EQ(find(report.entities[0].chains[0].findings, "validators_disagree"), nullptr)
      << dump(report);
}

TEST(Audit, Sha1SignatureIsFlagged) {
  const AuditReport report = audit_one(test_cert("sha1.pem"));
  const Finding* f = find(leaf_findings(report), "sha1_signature");
  ASSERT_NE(f, nullptr) << dump(report);
  EXPECT_EQ(f->severity, Severity::Error);
  EXPECT_FALSE(report.entities[0].chains[0].trusted);
  // OpenSSL at security level 2 refuses SHA-1 too: no disagreement.
  EXPECT_EQ(find(report.entities[0].chains[0].findings, "validators_disagree"), nullptr)
      << dump(report);
}

TEST(Audit, UsageFitness) {
  const AuditReport server = audit_one(test_cert("serverauth.pem"));
  const Finding* eku = find(leaf_findings(server), "eku_forbids_email");
  ASSERT_NE(eku, nullptr) << dump(server);
  EXPECT_EQ(eku->severity, Severity::Error);

  const AuditReport keyenc = audit_one(test_cert("keyenc.pem"));
  EXPECT_NE(find(leaf_findings(keyenc), "usage_encryption_only"), nullptr) << dump(keyenc);
  EXPECT_FALSE(keyenc.has_errors()) << dump(keyenc);

  const AuditReport carol = audit_one(demo("carol.pem"));
  EXPECT_NE(find(leaf_findings(carol), "usage"), nullptr) << dump(carol);
  const Finding* key = find(leaf_findings(carol), "key");
  ASSERT_NE(key, nullptr);
  EXPECT_NE(key->text.find("P-256"), std::string::npos) << key->text;

  const AuditReport noemail = audit_one(test_cert("noemail.pem"));
  const Finding* mail = find(leaf_findings(noemail), "no_email_address");
  ASSERT_NE(mail, nullptr) << dump(noemail);
  EXPECT_EQ(mail->severity, Severity::Warning);
}

TEST(Audit, UnknownIssuerGivesOneUntrustedChain) {
  AuditInput input = demo_input({cert(test_cert("unrelated.pem"))});
  const AuditReport report = audit_certificates(input);
  const EndEntityAudit& e = report.entities.at(0);
  ASSERT_EQ(e.chains.size(), 1u);
  EXPECT_FALSE(e.chains[0].trusted);
  EXPECT_FALSE(e.chains[0].reaches_anchor);
  ASSERT_NE(find(e.findings, "no_chain_to_anchor"), nullptr) << dump(report);
  EXPECT_EQ(e.verdict(), Severity::Error);
}

TEST(Audit, NoAnchorsMeansNothingIsTrusted) {
  AuditInput input = demo_input({cert(demo("alice.pem"))});
  input.anchors.clear();
  const AuditReport report = audit_certificates(input);
  const Finding* f = find(report.entities.at(0).findings, "no_chain_to_anchor");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->text.find("--anchor"), std::string::npos) << f->text;
}

TEST(Audit, SortsEndEntitiesFromCas) {
  std::vector<Certificate> all = certs(demo("root.pem"));
  for (const char* f : {"intermediate.pem", "alice.pem", "bob.pem", "alice.pem"}) {
    all.push_back(cert(demo(f)));
  }
  const AuditSubjects s = sort_audit_subjects(all, certs(demo("root.pem")));
  EXPECT_EQ(s.end_entities.size(), 2u);  // alice once, bob
  EXPECT_EQ(s.pool.size(), 2u);          // root, intermediate
  // With no end entity at all, the CAs below the anchors are what is audited.
  const AuditSubjects cas = sort_audit_subjects(
      {cert(demo("root.pem")), cert(demo("intermediate.pem"))}, certs(demo("root.pem")));
  ASSERT_EQ(cas.end_entities.size(), 1u);
  EXPECT_EQ(cas.end_entities[0].display_name(), "Demo Intermediate CA");
}

// --- certificates made here ----------------------------------------------------------------

// Runs the openssl tool; fails the test when it fails.
void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> cmd{"openssl"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  const auto r = test::run(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// Issues a certificate for KEY_OUT (a new RSA-2048 key) signed by CA/CA_KEY, with the
// extension lines EXT.
Certificate issue(const test::TempDir& dir, const std::string& name, const std::string& subject,
                  const std::filesystem::path& ca, const std::filesystem::path& ca_key,
                  const std::string& ext, const std::string& key = "") {
  const std::string key_path = key.empty() ? (dir / (name + ".key")).string() : key;
  if (key.empty()) {
    openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key_path});
  }
  test::write(dir / (name + ".ext"), "[ext]\n" + ext);
  openssl({"req", "-new", "-key", key_path, "-subj", subject, "-out",
           (dir / (name + ".csr")).string()});
  openssl({"x509", "-req", "-in", (dir / (name + ".csr")).string(), "-CA", ca.string(), "-CAkey",
           ca_key.string(), "-set_serial", std::to_string(std::hash<std::string>{}(name) % 1000000),
           "-days", "3650", "-sha256", "-extfile", (dir / (name + ".ext")).string(), "-extensions",
           "ext", "-out", (dir / (name + ".pem")).string()});
  return cert(dir / (name + ".pem"));
}

constexpr const char* kUserExt =
    "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

TEST(AuditMade, MissingKeyUsageIsAWarningAndPoliciesAiaCdpAreListed) {
  test::TempDir dir;
  const Certificate leaf = issue(
      dir, "noku", "/O=smimekit test/CN=No KU", demo("intermediate.pem"), demo("intermediate.key"),
      std::string(kUserExt) +
          "subjectAltName=email:noku@example.org\n"
          "certificatePolicies=1.3.6.1.4.1.99999.1\n"
          "authorityInfoAccess=OCSP;URI:http://127.0.0.1:1/ocsp,caIssuers;URI:http://127.0.0.1:1/"
          "ca.der\n"
          "crlDistributionPoints=URI:http://127.0.0.1:1/intermediate.crl\n");
  AuditInput input = demo_input({leaf});
  input.time.reset();
  const AuditReport report = audit_certificates(input);
  const auto& findings = leaf_findings(report);
  const Finding* ku = find(findings, "key_usage_missing");
  ASSERT_NE(ku, nullptr) << dump(report);
  EXPECT_EQ(ku->severity, Severity::Warning);
  const Finding* pol = find(findings, "policies");
  ASSERT_NE(pol, nullptr) << dump(report);
  EXPECT_NE(pol->text.find("1.3.6.1.4.1.99999.1"), std::string::npos);
  const Finding* aia = find(findings, "aia");
  ASSERT_NE(aia, nullptr) << dump(report);
  EXPECT_NE(aia->text.find("OCSP URI:http://127.0.0.1:1/ocsp"), std::string::npos) << aia->text;
  const Finding* cdp = find(findings, "cdp");
  ASSERT_NE(cdp, nullptr) << dump(report);
  EXPECT_NE(cdp->text.find("intermediate.crl"), std::string::npos) << cdp->text;
}

// Botan 2 cannot evaluate rfc822Name constraints; marked critical (as RFC 5280 §4.2.1.10
// requires), it refuses every certificate below them, also a permitted one, where OpenSSL
// accepts it: the audit shows that disagreement. An address outside is refused by both.
TEST(AuditMade, EmailNameConstraintsShowAndBotanAndOpenSslDisagreeOnAPermittedAddress) {
  test::TempDir dir;
  // An intermediate below the demo root that may only issue for example.org addresses.
  const Certificate ca =
      issue(dir, "nc-ca", "/O=smimekit test/CN=Constrained CA", demo("root.pem"), demo("root.key"),
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
            "nameConstraints=critical,permitted;email:example.org\n");
  const std::string ext = std::string(kUserExt) +
                          "keyUsage=critical,digitalSignature,keyEncipherment\n"
                          "extendedKeyUsage=emailProtection\n";
  const Certificate inside =
      issue(dir, "inside", "/O=smimekit test/CN=Inside", dir / "nc-ca.pem", dir / "nc-ca.key",
            ext + "subjectAltName=email:in@example.org\n");
  const Certificate outside =
      issue(dir, "outside", "/O=smimekit test/CN=Outside", dir / "nc-ca.pem", dir / "nc-ca.key",
            ext + "subjectAltName=email:out@example.com\n");
  AuditInput input;
  input.anchors = certs(demo("root.pem"));
  input.pool = {ca};
  input.end_entities = {inside, outside};
  const AuditReport report = audit_certificates(input);
  ASSERT_EQ(report.entities.size(), 2u);

  const ChainAudit& in = report.entities[0].chains.at(0);
  const Finding* nc = find(in.links.at(1).findings, "name_constraints");
  ASSERT_NE(nc, nullptr) << dump(report);
  EXPECT_NE(nc->text.find("permitted email:example.org"), std::string::npos) << nc->text;
  EXPECT_FALSE(in.trusted) << dump(report);  // Botan decides
  EXPECT_TRUE(in.openssl_trusted) << dump(report);
  const Finding* disagree = find(in.findings, "validators_disagree");
  ASSERT_NE(disagree, nullptr) << dump(report);
  EXPECT_EQ(disagree->severity, Severity::Warning);
  EXPECT_NE(disagree->text.find("Botan rejects"), std::string::npos) << disagree->text;
  EXPECT_NE(disagree->text.find("OpenSSL accepts"), std::string::npos) << disagree->text;

  const ChainAudit& out = report.entities[1].chains.at(0);
  EXPECT_FALSE(out.trusted) << dump(report);
  EXPECT_FALSE(out.openssl_trusted) << dump(report);
  EXPECT_NE(out.openssl_detail.find("permitted subtree violation"), std::string::npos)
      << out.openssl_detail;
  EXPECT_NE(find(out.links.at(0).findings, "name_constraint_violated"), nullptr) << dump(report);
  EXPECT_EQ(find(out.findings, "validators_disagree"), nullptr) << dump(report);
  EXPECT_TRUE(report.has_errors());
}

// The demo intermediate's key certified a second time, by the unrelated root: alice then has
// two chains, one to each anchor.
TEST(AuditMade, CrossSignedIntermediateGivesTwoChains) {
  test::TempDir dir;
  const std::string ca_ext =
      "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
      "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
  const Certificate cross = issue(dir, "cross", "/O=smimekit demo/CN=Demo Intermediate CA",
                                  test_cert("unrelated-root.pem"), test_cert("unrelated-root.key"),
                                  ca_ext, demo("intermediate.key").string());
  AuditInput input;
  input.end_entities = certs(demo("alice.pem"));
  input.anchors = certs(demo("root.pem"));
  input.anchors.push_back(cert(test_cert("unrelated-root.pem")));
  input.pool = {cert(demo("intermediate.pem")), cross};
  const AuditReport report = audit_certificates(input);
  const EndEntityAudit& alice = report.entities.at(0);
  ASSERT_EQ(alice.chains.size(), 2u) << dump(report);
  std::vector<std::string> anchors;
  for (const auto& chain : alice.chains) {
    EXPECT_TRUE(chain.trusted) << dump(report);
    EXPECT_EQ(find(chain.findings, "validators_disagree"), nullptr) << dump(report);
    anchors.push_back(chain.links.back().certificate.display_name());
  }
  std::sort(anchors.begin(), anchors.end());
  EXPECT_EQ(anchors, (std::vector<std::string>{"Demo Root CA", "Unrelated Root CA"}));

  // The picture draws the shared end entity once, with an edge from each intermediate.
  const std::string dot = render_audit_dot(report);
  const std::string alice_id = "c" + alice.certificate.fingerprint_sha256().substr(0, 16);
  std::size_t declared = 0, incoming = 0;
  for (std::size_t at = dot.find(alice_id); at != std::string::npos;
       at = dot.find(alice_id, at + 1)) {
    const std::string rest = dot.substr(at + alice_id.size(), 8);
    if (rest.rfind(" [label", 0) == 0) ++declared;
    if (at >= 4 && dot.substr(at - 4, 4) == " -> ") ++incoming;
  }
  EXPECT_EQ(declared, 1u) << dot;
  EXPECT_EQ(incoming, 2u) << dot;
}

// RFC 9216's sample CAs are cross-signed: bob (RSA CA) and dana (Ed25519 CA) each reach both
// roots, one chain per root (certvalidator's expectations, at 2022-04-21).
TEST(AuditCorpus, Rfc9216CrossSignedCasGiveTwoChainsEach) {
  SMIMEKIT_REQUIRE_CORPUS(root, "rfc9216-lamps-samples");
  const auto dir = root / "certvalidator-rfc9216";
  AuditInput input;
  input.anchors = {cert(dir / "Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem"),
                   cert(dir / "Sample_LAMPS_Ed25519_Certification_Authority.selfsigned.pem")};
  input.pool = {cert(dir / "Sample_LAMPS_RSA_Certification_Authority.crosssigned.pem"),
                cert(dir / "Sample_LAMPS_Ed25519_Certification_Authority.crosssigned.pem")};
  input.end_entities = {cert(dir / "bob@smime.example.sig.pem"),
                        cert(dir / "dana@smime.example.sig.pem")};
  input.time = parse_time("2022-04-21");
  const AuditReport report = audit_certificates(input);
  ASSERT_EQ(report.entities.size(), 2u);
  for (const auto& e : report.entities) {
    ASSERT_EQ(e.chains.size(), 2u) << dump(report);
    std::vector<std::size_t> lengths;
    for (const auto& chain : e.chains) {
      EXPECT_TRUE(chain.trusted) << dump(report);
      EXPECT_TRUE(chain.openssl_trusted) << dump(report);
      EXPECT_EQ(find(chain.findings, "validators_disagree"), nullptr) << dump(report);
      lengths.push_back(chain.links.size());
    }
    // The anchor that issued the end entity first (shortest), then through the cross-signed CA.
    EXPECT_EQ(lengths, (std::vector<std::size_t>{2, 3})) << dump(report);
  }
}

// A hostile pool: six layers of CAs, each layer certified five times by the layer above
// (one key for all, so it is cheap to make), gives 5^6 = 15,625 paths from the end entity to
// the top. The search must stop at its bounds, quickly.
TEST(AuditMade, HostilePoolIsBounded) {
  test::TempDir dir;
  const std::string key = (dir / "k.key").string();
  openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key});
  // Only the extensions given here: the system's default authorityKeyIdentifier would name
  // the issuer's serial and so tie each certificate to one issuer certificate.
  const std::string ca_ext =
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n"
      "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
  test::write(dir / "top.cnf",
              "[req]\ndistinguished_name=dn\nx509_extensions=ext\n[dn]\n[ext]\n" + ca_ext);
  const std::string top = (dir / "L6.pem").string();
  openssl({"req", "-x509", "-new", "-config", (dir / "top.cnf").string(), "-key", key, "-subj",
           "/CN=L6", "-days", "365", "-out", top});
  test::write(dir / "ca.ext", "[ext]\n" + ca_ext);
  std::vector<Certificate> pool;
  std::string issuer = top;
  for (int layer = 5; layer >= 0; --layer) {
    const std::string name = "L" + std::to_string(layer);
    openssl({"req", "-new", "-key", key, "-subj", "/CN=" + name, "-out", (dir / "l.csr").string()});
    for (int copy = 0; copy < 5; ++copy) {
      const std::string out = (dir / (name + "-" + std::to_string(copy) + ".pem")).string();
      openssl({"x509", "-req", "-in", (dir / "l.csr").string(), "-CA", issuer, "-CAkey", key,
               "-set_serial", std::to_string(layer * 10 + copy + 1), "-days", "365", "-extfile",
               (dir / "ca.ext").string(), "-extensions", "ext", "-out", out});
      pool.push_back(cert(out));
    }
    issuer = (dir / (name + "-0.pem")).string();
  }
  const Certificate leaf = issue(dir, "victim", "/CN=Victim", issuer, key,
                                 std::string(kUserExt) + "subjectAltName=email:v@example.org\n");
  AuditInput input;
  input.end_entities = {leaf};
  input.pool = pool;
  input.anchors = certs(demo("root.pem"));  // the top of the pool does not reach it
  const auto start = std::chrono::steady_clock::now();
  const AuditReport report = audit_certificates(input);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(10));
  const EndEntityAudit& e = report.entities.at(0);
  EXPECT_NE(find(e.findings, "chain_limit_reached"), nullptr) << dump(report);
  EXPECT_NE(find(e.findings, "no_chain_to_anchor"), nullptr) << dump(report);

  // With the top as anchor every path is a chain: max_chains stops the search.
  input.anchors = certs(top);
  input.max_chains = 5;
  const AuditReport many = audit_certificates(input);
  EXPECT_EQ(many.entities.at(0).chains.size(), 5u) << dump(many);
  for (const auto& chain : many.entities.at(0).chains) {
    EXPECT_EQ(chain.links.size(), 8u);  // victim, L0 ... L5, L6
    EXPECT_TRUE(chain.trusted) << dump(many);
  }
  EXPECT_NE(find(many.entities.at(0).findings, "chain_limit_reached"), nullptr);
}

// Cross-certificates that point back at each other (A by B, B by A) must not make a chain
// run through the same CA twice.
TEST(AuditMade, MutualCrossCertificatesAreNotALoop) {
  test::TempDir dir;
  const std::string ca_ext =
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
      "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
  // The demo intermediate certified by the unrelated root, and that root by the intermediate.
  const Certificate a =
      issue(dir, "a", "/O=smimekit demo/CN=Demo Intermediate CA", test_cert("unrelated-root.pem"),
            test_cert("unrelated-root.key"), ca_ext, demo("intermediate.key").string());
  const Certificate b =
      issue(dir, "b", "/O=smimekit demo/CN=Unrelated Root CA", demo("intermediate.pem"),
            demo("intermediate.key"), ca_ext, test_cert("unrelated-root.key").string());
  AuditInput input;
  input.end_entities = certs(demo("alice.pem"));
  input.anchors = certs(demo("root.pem"));
  input.pool = {cert(demo("intermediate.pem")), a, b};
  const AuditReport report = audit_certificates(input);
  // alice -> intermediate -> root only; alice -> a -> b -> (intermediate again) is a loop.
  ASSERT_EQ(report.entities.at(0).chains.size(), 1u) << dump(report);
  EXPECT_EQ(report.entities[0].chains[0].links.size(), 3u);
}

// --- renderers -----------------------------------------------------------------------------

AuditReport demo_hierarchy() {
  std::vector<Certificate> users;
  for (const char* u : {"alice.pem", "bob.pem", "carol.pem", "dave.pem", "erin.pem"}) {
    users.push_back(cert(demo(u)));
  }
  AuditInput input = demo_input(users);
  return audit_certificates(input);
}

TEST(AuditRender, TextIsATreeWithAVerdictPerLine) {
  const std::string text = render_audit_text(demo_hierarchy());
  EXPECT_NE(text.find("Alice Demo <alice@example.org>: OK"), std::string::npos) << text;
  EXPECT_NE(text.find("Dave Demo <dave@example.org>: ERROR"), std::string::npos) << text;
  // The anchor at the top, each issued certificate a step further in.
  EXPECT_NE(text.find("\n  OK        Demo Root CA [trust anchor]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  OK           `- Demo Intermediate CA [intermediate CA]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n  ERROR           `- Erin Demo [end entity]\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\n                       error:   revoked: its issuer's CRL lists it"),
            std::string::npos)
      << text;
}

TEST(AuditRender, JsonHasTheDocumentedMembers) {
  const std::string json = render_audit_json(demo_hierarchy());
  for (const char* member :
       {"\"time\": \"2026-06-01T00:00:00Z\"", "\"warn_days\": 30", "\"errors\": true",
        "\"entities\"", "\"chains\"", "\"certificates\"", "\"role\": \"anchor\"",
        "\"crl\": \"revoked\"", "\"ocsp\": \"not_checked\"", "\"code\": \"cert_expired\"",
        "\"openssl\"", "\"fingerprint_sha256\""}) {
    EXPECT_NE(json.find(member), std::string::npos) << member;
  }
}

TEST(AuditRender, DotDrawsEachCertificateOnceWithMarksAndALegend) {
  const std::string dot = render_audit_dot(demo_hierarchy());
  auto count = [&](const std::string& s) {
    std::size_t n = 0;
    for (auto at = dot.find(s); at != std::string::npos; at = dot.find(s, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("label=\"Demo Root CA\\ntrust anchor"), 1u) << dot;
  EXPECT_EQ(count("label=\"Demo Intermediate CA\\nintermediate CA"), 1u) << dot;
  EXPECT_EQ(count(" -> "), 6u + 3u) << dot;  // root->int, int->5 users; 3 legend arrows
  EXPECT_NE(
      dot.find("Dave Demo\\nend entity\\ndave@example.org\\nRSA-2048, until 2026-01-01\\nEXPIRED"),
      std::string::npos)
      << dot;
  EXPECT_NE(
      dot.find("Erin Demo\\nend entity\\nerin@example.org\\nRSA-2048, until 2075-01-01\\nREVOKED"),
      std::string::npos)
      << dot;
  EXPECT_NE(dot.find("subgraph cluster_legend"), std::string::npos);
}

TEST(AuditRender, DotEscapesHostileNames) {
  test::TempDir dir;
  const Certificate leaf =
      issue(dir, "quote", "/O=smimekit test/CN=evil\" -> x [label=\"pwn", demo("intermediate.pem"),
            demo("intermediate.key"), std::string(kUserExt));
  const std::string dot = render_audit_dot(audit_certificates(demo_input({leaf})));
  EXPECT_NE(dot.find("evil\\\" -> x [label=\\\"pwn"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("evil\" -> x"), std::string::npos) << dot;
}

}  // namespace
}  // namespace smimekit

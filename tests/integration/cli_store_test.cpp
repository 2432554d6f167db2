// The certificate store through the CLI: certs, anchors, crl, and encrypt/sign/verify using it.
#include <sys/stat.h>

#include "cli_helpers.h"
#include "smimekit/store.h"

namespace smimekit {
namespace {

using namespace clitest;
namespace fs = std::filesystem;

// A store in a scratch directory, and a password file for the keys (never on the command line).
class CliStore : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write(tmp / "demo.pass", "demo\n");
    ::chmod((tmp / "demo.pass").c_str(), 0600);
  }

  RunResult sk(std::vector<std::string> args, const std::string& in = "") {
    args.push_back("--store");
    args.push_back(p(store()));
    return cli(args, in);
  }
  fs::path store() const { return tmp / "store"; }
  std::string pass() const { return "file:" + p(tmp / "demo.pass"); }

  // Root as anchor, the intermediate, and alice's identity with her key.
  void demo_store() {
    RunResult r = sk({"anchors", "add", p(demo("root.pem"))});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    r = sk({"certs", "import", p(demo("alice.p12")), "--pass", pass()});
    ASSERT_EQ(r.exit_code, 0) << show(r);
  }

  static std::string fingerprint(const fs::path& pem) {
    const RunResult r =
        test::run({"openssl", "x509", "-in", p(pem), "-noout", "-fingerprint", "-sha256"});
    std::string fp;
    for (char c : r.out.substr(r.out.find('=') + 1)) {
      if (std::isxdigit(static_cast<unsigned char>(c))) {
        fp.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      }
    }
    return fp;
  }

  test::TempDir tmp;
};

TEST_F(CliStore, ImportsEveryFormatAndListsOneLineEach) {
  // A DER PKCS#7 bundle made by the openssl command.
  const fs::path p7b = tmp / "bundle.p7b";
  const RunResult made =
      test::run({"openssl", "crl2pkcs7", "-nocrl", "-certfile", p(test_cert("eve.pem")),
                 "-certfile", p(test_cert("manager.pem")), "-outform", "DER", "-out", p(p7b)});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  RunResult r = sk({"anchors", "add", p(demo("root.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  // And a PEM one.
  const fs::path p7c = tmp / "bundle.p7c";
  const RunResult made_pem = test::run(
      {"openssl", "crl2pkcs7", "-nocrl", "-certfile", p(test_cert("dnemail.pem")), "-out", p(p7c)});
  ASSERT_EQ(made_pem.exit_code, 0) << made_pem.err;
  r = sk({"certs", "import", p(p7c)});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "dnemail@example.org")) << show(r);
  r = sk({"certs", "remove", fingerprint(test_cert("dnemail.pem")).substr(0, 8)});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"certs", "import", p(demo("bob.pem")), p(demo("carol.der")), p(p7b),
          p(demo("intermediate.pem")), p(test_cert("expired.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(lines(r.out).size(), 6u) << show(r);
  r = sk({"certs", "import", p(demo("bob.pem"))});
  EXPECT_TRUE(contains(r.out, "already in the store")) << show(r);

  r = sk({"certs", "list"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 6u) << show(r);
  bool saw_bob = false, saw_expired = false;
  for (const auto& line : out) {
    if (contains(line, "bob@example.org")) {
      saw_bob = true;
      EXPECT_TRUE(contains(line, "CN=Bob Demo")) << line;
      EXPECT_TRUE(contains(line, "issuer: CN=Demo Intermediate CA, O=smimekit demo")) << line;
      EXPECT_TRUE(contains(line, "expires 2075-01-01")) << line;
      EXPECT_TRUE(contains(line, "sign,encrypt")) << line;
      EXPECT_TRUE(contains(line, " trusted")) << line;
    }
    if (contains(line, "expired@example.org")) {
      saw_expired = true;
      EXPECT_TRUE(contains(line, "untrusted: a certificate in the chain has expired")) << line;
    }
  }
  EXPECT_TRUE(saw_bob && saw_expired) << show(r);

  r = sk({"certs", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), 6u);
  for (const auto& c : json) {
    if (c["emails"] == nlohmann::json::array({"carol@example.org"})) {
      EXPECT_EQ(c["usages"], nlohmann::json::array({"sign", "encrypt"}));
      EXPECT_EQ(c["trust"], "trusted");
      EXPECT_EQ(c["not_after"], "2075-01-01T00:00:00Z");
      EXPECT_EQ(c["private_key"], false);
    }
  }
}

TEST_F(CliStore, ShowExportRemoveByFingerprintOrAddress) {
  RunResult r = sk({"certs", "import", p(demo("bob.pem")), p(demo("alice.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const std::string fp = fingerprint(demo("bob.pem"));

  r = sk({"certs", "show", "bob@EXAMPLE.org"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "Fingerprint (SHA-256): " + fp)) << show(r);
  EXPECT_TRUE(contains(r.out, "Key usage:     digitalSignature, nonRepudiation, keyEncipherment"))
      << show(r);
  EXPECT_TRUE(contains(r.out, "Key:           RSA-3072")) << show(r);
  EXPECT_TRUE(contains(r.out, "not trusted")) << show(r);  // no anchor in this store

  r = sk({"certs", "export", fp.substr(0, 8), "-o", p(tmp / "out.pem")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(fingerprint(tmp / "out.pem"), fp);

  r = sk({"certs", "remove", fp.substr(0, 7)});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "at least its first 8 hex digits")) << show(r);
  r = sk({"certs", "remove", "bob@example.org"});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  r = sk({"certs", "remove", fp.substr(0, 10)});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "removed " + fp.substr(0, 16))) << show(r);
  r = sk({"certs", "show", "bob@example.org"});
  EXPECT_EQ(r.exit_code, 66) << show(r);
  EXPECT_TRUE(contains(r.err, "no certificate for bob@example.org")) << show(r);
}

TEST_F(CliStore, KeysAreImportedOnlyWithAPasswordAndStoredEncrypted) {
  RunResult r = sk({"certs", "import", p(demo("alice.p12"))});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "needs its password")) << show(r);
  test::write(tmp / "wrong.pass", "not-demo\n");
  r = sk({"certs", "import", p(demo("alice.p12")), "--pass", "file:" + p(tmp / "wrong.pass")});
  EXPECT_EQ(r.exit_code, 77) << show(r);
  r = sk({"certs", "import", p(demo("bob.pem")), p(demo("bob.key"))});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "stored only encrypted")) << show(r);

  r = sk({"certs", "import", p(demo("bob.pem")), p(demo("bob.key")), "--key-pass", pass()});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  const fs::path key = store() / "keys" / (fingerprint(demo("bob.pem")) + ".key");
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(contains(test::read(key), "BEGIN ENCRYPTED PRIVATE KEY")) << test::read(key);
  r = sk({"certs", "list"});
  EXPECT_TRUE(contains(r.out, "sign,encrypt,key")) << show(r);
  // A root brought in by import helps build chains but is no anchor: nothing becomes trusted.
  r = sk({"certs", "import", p(demo("root.pem")), p(demo("intermediate.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"certs", "list"});
  EXPECT_FALSE(contains(r.out, " trusted")) << show(r);
  EXPECT_FALSE(contains(r.out, "  anchor\n")) << show(r);

  // Certificate and key in one PEM file, and an encrypted key whose password is --pass.
  test::write(tmp / "carol-both.pem",
              test::read(demo("carol.pem")) + test::read(demo("carol.key")));
  r = sk({"certs", "import", p(tmp / "carol-both.pem"), "--key-pass", pass()});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(
      contains(r.out, "stored the private key of " + fingerprint(demo("carol.pem")).substr(0, 16)))
      << show(r);
  r = sk({"certs", "import", p(demo("alice.pem")), p(demo("alice-enc.key")), "--pass", pass()});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(fs::exists(store() / "keys" / (fingerprint(demo("alice.pem")) + ".key")));
}

TEST_F(CliStore, AWorldReadableStoreIsRefusedNamingIt) {
  RunResult r = sk({"certs", "import", p(demo("bob.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  ::chmod(store().c_str(), 0755);
  r = sk({"certs", "list"});
  EXPECT_EQ(r.exit_code, 69) << show(r);
  EXPECT_TRUE(contains(r.err, p(store()))) << show(r);
  EXPECT_TRUE(contains(r.err, "chmod 700")) << show(r);
}

TEST_F(CliStore, AnchorsAndCrls) {
  RunResult r = sk({"anchors", "add", p(demo("alice.pem"))});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "not a CA certificate")) << show(r);
  r = sk({"anchors", "add", p(demo("root.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"anchors", "list"});
  EXPECT_TRUE(contains(r.out, "CN=Demo Root CA, O=smimekit demo  expires 2085-01-01")) << show(r);
  r = sk({"crl", "import", p(test_cert("revoked.crl.pem")), p(demo("root.crl.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"crl", "list"});
  EXPECT_EQ(lines(r.out).size(), 2u) << show(r);
  EXPECT_TRUE(contains(r.out, "CN=Demo Intermediate CA, O=smimekit demo  issued")) << show(r);
  EXPECT_TRUE(contains(r.out, "1 revoked")) << show(r);
  r = sk({"anchors", "remove", fingerprint(demo("root.pem")).substr(0, 12)});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  r = sk({"anchors", "list"});
  EXPECT_TRUE(r.out.empty()) << show(r);
}

TEST_F(CliStore, FindSaysWhichCertificateAndWhy) {
  RunResult r = sk({"anchors", "add", p(demo("root.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"certs", "import", p(demo("intermediate.pem")), p(demo("bob.pem")),
          p(test_cert("revoked.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"crl", "import", p(test_cert("revoked.crl.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);

  r = sk({"certs", "find", "revoked@example.org"});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "no usable certificate")) << show(r);
  EXPECT_TRUE(contains(r.out, "a certificate in the chain has been revoked")) << show(r);

  r = sk({"certs", "find", "bob@example.org"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "chosen: the only usable certificate")) << show(r);

  // A newer certificate wins; one that may only sign is rejected with its reason.
  const auto newer = test::make_user_certificate(tmp.path(), "bob-new", "bob@example.org",
                                                 "digitalSignature, keyAgreement");
  const auto sign_only =
      test::make_user_certificate(tmp.path(), "bob-sign", "bob@example.org", "digitalSignature");
  r = sk({"certs", "import", p(newer.cert), p(sign_only.cert)});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"certs", "find", "bob@example.org"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, fingerprint(newer.cert).substr(0, 16))) << show(r);
  EXPECT_TRUE(contains(r.out, "chosen: the newest (latest notBefore) of 2 usable certificates"))
      << show(r);
  EXPECT_TRUE(contains(r.out, "passed over " + fingerprint(demo("bob.pem")).substr(0, 16)))
      << show(r);
  EXPECT_TRUE(contains(r.out, "rejected " + fingerprint(sign_only.cert).substr(0, 16))) << show(r);
  EXPECT_TRUE(contains(r.out, "key usage does not allow encryption")) << show(r);

  // encrypt --to refuses an address with no usable certificate, naming why.
  test::write(tmp / "msg.eml", test::sample_message());
  r = sk({"encrypt", "--to", "revoked@example.org", "--no-self", p(tmp / "msg.eml")});
  EXPECT_EQ(r.exit_code, 66) << show(r);
  EXPECT_TRUE(contains(r.err, "revoked")) << show(r);
}

TEST_F(CliStore, EncryptToAnAddressFromTheStoreAlone) {
  demo_store();
  RunResult r = sk({"certs", "import", p(demo("intermediate.pem")), p(demo("bob.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  test::write(tmp / "msg.eml", test::sample_message());
  r = sk({"encrypt", "--to", "bob@example.org", p(tmp / "msg.eml"), "-o", p(tmp / "enc.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  // Bob reads it with his key; Alice (the From, from the store) keeps a readable copy.
  r = cli(
      {"decrypt", "--key", p(demo("bob.key")), "--cert", p(demo("bob.pem")), p(tmp / "enc.eml")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "Hello Bob")) << show(r);
  r = cli({"decrypt", "--key", p(demo("alice.key")), "--cert", p(demo("alice.pem")),
           p(tmp / "enc.eml")});
  EXPECT_EQ(r.exit_code, 0) << show(r);

  // Signed and encrypted, the key from the store: bob verifies with the store's anchor.
  r = sk({"encrypt", "--sign", "--pass", pass(), "--to", "bob@example.org", p(tmp / "msg.eml"),
          "-o", p(tmp / "signed-enc.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"decrypt", "--key", p(demo("bob.key")), "--cert", p(demo("bob.pem")),
          p(tmp / "signed-enc.eml")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.err, "VALID signature by alice@example.org")) << show(r);
}

TEST_F(CliStore, SignFromTheStoreAndVerifyWithItsAnchors) {
  demo_store();
  test::write(tmp / "msg.eml", test::sample_message());
  RunResult r = sk({"sign", "--from", "alice@example.org", "--pass", pass(), p(tmp / "msg.eml"),
                    "-o", p(tmp / "signed.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  // The message's From when --from is not given.
  r = sk({"sign", "--pass", pass(), p(tmp / "msg.eml"), "-o", p(tmp / "signed2.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"sign", p(tmp / "msg.eml")});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "no password was given")) << show(r);
  r = sk({"sign", "--from", "bob@example.org", "--pass", pass(), p(tmp / "msg.eml")});
  EXPECT_EQ(r.exit_code, 66) << show(r);

  // No --anchor: the store's anchor and the intermediate it sent along make it VALID.
  r = sk({"verify", p(tmp / "signed.eml"), p(tmp / "signed2.eml")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(lines(r.out).size(), 2u) << show(r);
  EXPECT_TRUE(contains(r.out, "VALID signature by alice@example.org")) << show(r);
  // Without the store it is untrusted, as before.
  r = cli({"verify", p(tmp / "signed.eml")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  // With no --store, the default store ($SMIMEKIT_STORE here) is used when it exists.
  r = test::run(
      {"env", "SMIMEKIT_STORE=" + p(store()), SMIMEKIT_BINARY, "verify", p(tmp / "signed.eml")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  r = test::run({"env", "SMIMEKIT_STORE=" + p(tmp / "no-store"), SMIMEKIT_BINARY, "verify",
                 p(tmp / "signed.eml")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_FALSE(fs::exists(tmp / "no-store"));  // reading never creates a store
}

TEST_F(CliStore, VerifyHarvestsOnlyValidSignersAndNeverReplaces) {
  test::write(tmp / "msg.eml", test::sample_message());
  sign_file(demo_signer("alice"), tmp / "msg.eml", tmp / "signed.eml");
  // A message claiming to be from alice but signed by eve is not VALID: nothing is stored.
  test::write(tmp / "eve.eml", test::sample_message("Alice <alice@example.org>"));
  sign_file(test_signer("eve"), tmp / "eve.eml", tmp / "spoofed.eml");
  RunResult r =
      sk({"verify", "--harvest", "--anchor", p(demo("root.pem")), p(tmp / "spoofed.eml")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_FALSE(contains(r.err, "harvested")) << show(r);
  r = sk({"certs", "list"});
  EXPECT_TRUE(r.out.empty()) << show(r);

  r = sk({"verify", "--harvest", "--anchor", p(demo("root.pem")), p(tmp / "signed.eml")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.err, "harvested alice@example.org (" +
                                  fingerprint(demo("alice.pem")).substr(0, 16) + "): added"))
      << show(r);
  // The same message again is not newer than what the store has.
  r = sk({"verify", "--harvest", "--anchor", p(demo("root.pem")), p(tmp / "signed.eml")});
  EXPECT_TRUE(contains(r.err, "not stored: the store has newer mail")) << show(r);

  // smimekit signs with sMIMEEncryptionKeyPreference naming the signer: find says so.
  r = sk({"anchors", "add", p(demo("root.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"certs", "find", "alice@example.org"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "sMIMEEncryptionKeyPreference")) << show(r);
  r = sk({"certs", "show", "alice@example.org"});
  EXPECT_TRUE(contains(r.out, "Last seen:")) << show(r);
  EXPECT_TRUE(contains(r.out, "Preferred for: alice@example.org")) << show(r);
  // The intermediate of the chain came along.
  r = sk({"certs", "list"});
  EXPECT_TRUE(contains(r.out, "CN=Demo Intermediate CA")) << show(r);
}

// RFC 8551 §2.7.1: the SMIMECapabilities of a correspondent's newest signed mail decide the
// cipher of mail to them, but never bring an unauthenticated one in unasked.
TEST_F(CliStore, HarvestedCapabilitiesChooseTheCipherButNeverAnUnauthenticatedOne) {
  demo_store();
  // Bob writes with openssl, which announces CBC ciphers only.
  test::write(tmp / "entity.txt", "Content-Type: text/plain\r\n\r\nHi Alice\r\n");
  RunResult r = test::run({"openssl", "cms", "-sign", "-in", p(tmp / "entity.txt"), "-signer",
                           p(demo("bob.pem")), "-inkey", p(demo("bob.key")), "-certfile",
                           p(demo("intermediate.pem")), "-from", "bob@example.org", "-to",
                           "alice@example.org", "-subject", "Hi", "-out", p(tmp / "bob.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"verify", "--harvest", "--json", p(tmp / "bob.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.err, "harvested bob@example.org (")) << show(r);
  EXPECT_TRUE(contains(r.out, R"("capabilities":["aes256-cbc",)")) << show(r);
  EXPECT_TRUE(contains(r.out, R"("encryption_key_preference":null)")) << show(r);
  r = sk({"certs", "find", "bob@example.org"});
  EXPECT_TRUE(contains(r.out, "can decrypt: aes256-cbc, ")) << show(r);

  auto cipher_of = [&](const fs::path& file) {
    const RunResult d = cli({"decrypt", "--json", "--key", p(demo("bob.key")), "--cert",
                             p(demo("bob.pem")), p(file)});
    EXPECT_EQ(d.exit_code, 0) << show(d);
    const auto at = d.err.find(R"("cipher":")");
    return at == std::string::npos ? std::string() : d.err.substr(at + 10, 11);
  };
  test::write(tmp / "msg.eml", test::sample_message());
  r = sk({"encrypt", "--to", "bob@example.org", p(tmp / "msg.eml"), "-o", p(tmp / "enc.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.err, "the newest signed mail of bob@example.org announced aes256-cbc"))
      << show(r);
  EXPECT_TRUE(contains(r.err, "but not aes256-gcm")) << show(r);
  EXPECT_TRUE(contains(r.err, "--cipher aes256-cbc")) << show(r);
  EXPECT_EQ(cipher_of(tmp / "enc.eml"), "aes-256-gcm");
  // Asked for, CBC is what Bob announced: no warning about him, only about CBC itself.
  r = sk({"encrypt", "--to", "bob@example.org", "--cipher", "aes256-cbc", p(tmp / "msg.eml"), "-o",
          p(tmp / "cbc.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_FALSE(contains(r.err, "newest signed mail")) << show(r);
  EXPECT_TRUE(contains(r.err, "not authenticated encryption")) << show(r);
  EXPECT_EQ(cipher_of(tmp / "cbc.eml"), "aes-256-cbc");

  // Newer mail from software that reads AES-128-GCM only: that is what Bob gets, unwarned.
  {
    CertStore bobs = CertStore::open(store(), false);
    HarvestInput later{"bob@example.org", load_certificates(demo("bob.pem")).front(),
                       {},
                       std::chrono::system_clock::now(),
                       {"aes128-gcm", "aes128-cbc"},
                       std::nullopt,
                       std::nullopt};
    EXPECT_EQ(bobs.harvest(later).outcome, HarvestOutcome::Updated);
  }
  r = sk({"encrypt", "--to", "bob@example.org", p(tmp / "msg.eml"), "-o", p(tmp / "gcm128.eml")});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_FALSE(contains(r.err, "warning")) << show(r);
  EXPECT_EQ(cipher_of(tmp / "gcm128.eml"), "aes-128-gcm");
}

TEST_F(CliStore, UnknownVerbHintNamesTheStoreVerbs) {
  const RunResult r = cli({"cert"});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "certs, anchors, crl")) << show(r);
  const RunResult help = cli({"certs", "import", "--help"});
  EXPECT_EQ(help.exit_code, 0) << show(help);
  EXPECT_TRUE(contains(help.out, "--key-pass")) << show(help);
}

}  // namespace


// The issue's picture: the demo hierarchy imported into a store, audited with no TARGET, as
// SVG. Root, intermediate and users are there; dave (expired) and erin (revoked by the
// intermediate's CRL) are marked.
TEST_F(CliStore, AuditWithoutTargetDrawsTheWholeStore) {
  RunResult r = sk({"anchors", "add", p(demo("root.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"certs", "import", p(demo("intermediate.pem")), p(demo("alice.pem")), p(demo("bob.pem")),
          p(demo("carol.pem")), p(demo("dave.pem")), p(demo("erin.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  r = sk({"crl", "import", p(demo("intermediate.crl.pem")), p(demo("root.crl.pem"))});
  ASSERT_EQ(r.exit_code, 0) << show(r);

  r = sk({"audit", "--time", "2026-06-01", "--format", "svg", "-o", p(tmp / "store.svg")});
  EXPECT_EQ(r.exit_code, 1) << "dave and erin are errors: " << show(r);
  const std::string svg = test::read(tmp / "store.svg");
  for (const char* name : {"Demo Root CA", "Demo Intermediate CA", "Alice Demo", "Bob Demo",
                           "Carol Demo", "Dave Demo", "Erin Demo", "EXPIRED", "REVOKED"}) {
    EXPECT_NE(svg.find(name), std::string::npos) << name << " missing from the SVG";
  }
  // The same store as text: every user judged, the good ones OK.
  r = sk({"audit", "--time", "2026-06-01"});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "Alice Demo <alice@example.org>: OK")) << show(r);
  EXPECT_TRUE(contains(r.out, "Dave Demo <dave@example.org>: ERROR")) << show(r);
  EXPECT_TRUE(contains(r.out, "Erin Demo <erin@example.org>: ERROR")) << show(r);
}

}  // namespace smimekit

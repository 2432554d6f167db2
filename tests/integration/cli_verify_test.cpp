// smimekit verify: exit codes, the human line, --json, and the trust options.
#include <map>

#include "cli_helpers.h"

namespace smimekit {
namespace {

using namespace clitest;
using nlohmann::json;
using test::TempDir;

// Signed messages made once per test process through the CLI, by name.
class CliVerify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = new TempDir(); }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    cache_.clear();
  }

  static std::filesystem::path file(const std::string& name) { return *dir_ / name; }

  // A message From FROM signed with SIGNER, cached under KEY.
  static std::string signed_file(const std::string& key, const std::vector<std::string>& signer,
                                 const std::string& from,
                                 const std::vector<std::string>& extra = {}) {
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const auto in = file(key + ".in.eml");
    const auto out = file(key + ".eml");
    test::write(in, test::sample_message(from));
    sign_file(signer, in, out, extra);
    return cache_.emplace(key, p(out)).first->second;
  }

  static std::string alice_signed() {
    return signed_file("alice", demo_signer("alice"), "Alice Demo <alice@example.org>");
  }

  // certs/test/NAME signing a message from NAME@example.org.
  static std::string test_signed(const std::string& name) {
    return signed_file(name, test_signer(name), name + " <" + name + "@example.org>");
  }

  // A copy of SOURCE with one byte of its text changed.
  static std::string tampered(const std::string& source) {
    std::string text = test::read(source);
    const auto at = text.find("this is a test message");
    EXPECT_NE(at, std::string::npos);
    text[at + 15] = 'a';  // "test message" -> "test massage"
    const auto path = file("tampered-" + std::filesystem::path(source).filename().string());
    test::write(path, text);
    return p(path);
  }

  static std::string unsigned_file() {
    const auto path = file("plain.eml");
    test::write(path, test::sample_message());
    return p(path);
  }

  static TempDir* dir_;
  static std::map<std::string, std::string> cache_;
};

TempDir* CliVerify::dir_ = nullptr;
std::map<std::string, std::string> CliVerify::cache_;

TEST_F(CliVerify, ValidExitsZeroWithTheHumanLine) {
  const std::string f = alice_signed();
  const RunResult r = verify_demo({}, {f});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.out, expected_valid_line(f) + "\n") << show(r);
  EXPECT_TRUE(r.err.empty()) << show(r);
}

TEST_F(CliVerify, SeveralValidFilesExitZeroOneLineEach) {
  const std::string a = alice_signed();
  const std::string b =
      signed_file("alice-opaque", demo_signer("alice"), "Alice Demo <alice@example.org>", {"--opaque"});
  const RunResult r = verify_demo({}, {a, b});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u) << show(r);
  EXPECT_EQ(out[0], expected_valid_line(a));
  EXPECT_EQ(out[1], expected_valid_line(b));
}

TEST_F(CliVerify, AnyInvalidExitsOne) {
  const std::string good = alice_signed();
  const std::string bad = tampered(good);
  const RunResult r = verify_demo({}, {good, bad});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u) << show(r);
  EXPECT_EQ(out[0], expected_valid_line(good));
  EXPECT_EQ(out[1].rfind(bad + ": INVALID: ", 0), 0u) << out[1];
}

TEST_F(CliVerify, UnsignedExitsOne) {
  const std::string f = unsigned_file();
  const RunResult r = verify_demo({}, {f});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_EQ(r.out.rfind(f + ": UNSIGNED", 0), 0u) << show(r);
}

TEST_F(CliVerify, NotAMessageExitsOneWithAnErrorLine) {
  const auto garbage = file("garbage.eml");
  test::write(garbage, "garbage without headers");
  const auto empty = file("empty.eml");
  test::write(empty, "");
  const RunResult r = verify_demo({}, {p(garbage), p(empty)});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u) << show(r);
  EXPECT_EQ(out[0].rfind(p(garbage) + ": ERROR: ", 0), 0u) << out[0];
  EXPECT_EQ(out[1].rfind(p(empty) + ": ERROR: ", 0), 0u) << out[1];
}

TEST_F(CliVerify, TamperingOneByteExitsOne) {
  const RunResult r = verify_demo({}, {tampered(alice_signed())});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "INVALID")) << show(r);
  EXPECT_TRUE(contains(r.out, "changed after signing")) << show(r);
}

TEST_F(CliVerify, FromMismatchExitsOne) {
  const std::string f =
      signed_file("alice-as-eve", demo_signer("alice"), "Eve <eve@example.org>");
  const RunResult r = verify_demo({}, {f});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "INVALID")) << show(r);
  EXPECT_TRUE(contains(r.out, "signer address does not match From")) << show(r);
}

TEST_F(CliVerify, MissingFileExits66) {
  const std::string missing = p(file("does-not-exist.eml"));
  const RunResult r = verify_demo({}, {missing});
  EXPECT_EQ(r.exit_code, 66) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_TRUE(contains(r.err, "does-not-exist.eml")) << show(r);
}

TEST_F(CliVerify, MissingFileDoesNotStopTheOthers) {
  const std::string good = alice_signed();
  const std::string missing = p(file("does-not-exist.eml"));
  const RunResult r = verify_demo({}, {missing, good});
  EXPECT_EQ(r.exit_code, 66) << show(r);
  EXPECT_EQ(r.out, expected_valid_line(good) + "\n") << show(r);
  // An invalid file does not hide the missing one either.
  const RunResult r2 = verify_demo({}, {tampered(good), missing});
  EXPECT_EQ(r2.exit_code, 66) << show(r2);
}

TEST_F(CliVerify, BadArgumentsExit64) {
  const std::string f = alice_signed();
  const RunResult time = verify_demo({"--time", "garbage"}, {f});
  EXPECT_EQ(time.exit_code, 64) << show(time);
  EXPECT_TRUE(contains(time.err, "smimekit: error:")) << show(time);
  EXPECT_TRUE(contains(time.err, "smimekit: hint:")) << show(time);
  EXPECT_TRUE(time.out.empty()) << show(time);

  const RunResult feb30 = verify_demo({"--time", "2019-02-30"}, {f});
  EXPECT_EQ(feb30.exit_code, 64) << show(feb30);

  const RunResult no_file = cli({"verify", "--anchor", p(demo("root.pem"))});
  EXPECT_EQ(no_file.exit_code, 64) << show(no_file);
  EXPECT_TRUE(contains(no_file.err, "smimekit: error:")) << show(no_file);

  const RunResult unknown = verify_demo({"--no-such-option"}, {f});
  EXPECT_EQ(unknown.exit_code, 64) << show(unknown);
  EXPECT_TRUE(contains(unknown.err, "smimekit: hint:")) << show(unknown);

  const RunResult p12_and_key =
      cli({"sign", "--p12", p(demo("alice.p12")), "--pass", "pass:demo", "--key",
           p(demo("alice.key")), f});
  EXPECT_EQ(p12_and_key.exit_code, 64) << show(p12_and_key);
  const auto err = lines(p12_and_key.err);
  ASSERT_GE(err.size(), 2u) << show(p12_and_key);
  EXPECT_EQ(err[0].rfind("smimekit: error: ", 0), 0u) << err[0];
  EXPECT_EQ(err[1].rfind("smimekit: hint: ", 0), 0u) << err[1];
}

TEST_F(CliVerify, MissingAnchorFileIs66AndGarbageCrlIs65) {
  const std::string f = alice_signed();
  const RunResult anchor = cli({"verify", "--anchor", p(file("no-root.pem")), f});
  EXPECT_EQ(anchor.exit_code, 66) << show(anchor);
  const auto garbage = file("garbage.crl");
  test::write(garbage, "not a CRL\n");
  const RunResult crl = verify_demo({"--crl", p(garbage)}, {f});
  EXPECT_EQ(crl.exit_code, 65) << show(crl);
  EXPECT_TRUE(contains(crl.err, "smimekit: error:")) << show(crl);
}

TEST_F(CliVerify, JsonOneObjectPerLinePerFile) {
  const std::string good = alice_signed();
  const std::string bad = tampered(good);
  const std::string plain = unsigned_file();
  const RunResult r = verify_demo({"--json"}, {good, bad, plain});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 3u) << show(r);
  const json j0 = json::parse(out[0]);
  const json j1 = json::parse(out[1]);
  const json j2 = json::parse(out[2]);
  EXPECT_EQ(j0.at("file"), good);
  EXPECT_EQ(j0.at("verdict"), "valid");
  EXPECT_TRUE(j0.at("reasons").empty());
  ASSERT_EQ(j0.at("signers").size(), 1u);
  const json& signer = j0.at("signers")[0];
  EXPECT_EQ(signer.at("emails"), json::array({"alice@example.org"}));
  EXPECT_EQ(signer.at("subject"), "CN=Alice Demo, O=smimekit demo");
  EXPECT_EQ(signer.at("status"), "valid");
  EXPECT_EQ(signer.at("fingerprint_sha256").get<std::string>().size(), 64u);
  EXPECT_TRUE(signer.at("signing_time").is_string());
  EXPECT_EQ(j0.at("layers").size(), 1u);

  EXPECT_EQ(j1.at("file"), bad);
  EXPECT_EQ(j1.at("verdict"), "invalid");
  EXPECT_FALSE(j1.at("reasons").empty());
  EXPECT_EQ(j1.at("signers").at(0).at("problems"), json::array({"signature_invalid"}));

  EXPECT_EQ(j2.at("file"), plain);
  EXPECT_EQ(j2.at("verdict"), "unsigned");
}

TEST_F(CliVerify, JsonForAMissingFileIsAnErrorObject) {
  const std::string missing = p(file("gone.eml"));
  const RunResult r = verify_demo({"--json"}, {missing});
  EXPECT_EQ(r.exit_code, 66) << show(r);
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 1u) << show(r);
  const json j = json::parse(out[0]);
  EXPECT_EQ(j.at("file"), missing);
  EXPECT_EQ(j.at("verdict"), "error");
  EXPECT_FALSE(j.at("reasons").empty());
}

TEST_F(CliVerify, JsonFromStdinIsNamedStdin) {
  const RunResult r = cli({"verify", "--anchor", p(demo("root.pem")), "--json", "-"},
                          test::read(alice_signed()));
  EXPECT_EQ(r.exit_code, 0) << show(r);
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("file"), "(stdin)");
  EXPECT_EQ(j.at("verdict"), "valid");
}

TEST_F(CliVerify, WrongAnchorExitsOne) {
  const RunResult r = cli({"verify", "--anchor", p(test_cert("unrelated-root.pem")), alice_signed()});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "INVALID")) << show(r);
}

TEST_F(CliVerify, AnchorDirectory) {
  const auto anchors = file("anchors");
  std::filesystem::create_directories(anchors);
  test::write(anchors / "root.pem", test::read(demo("root.pem")));
  test::write(anchors / "other.pem", test::read(test_cert("unrelated-root.pem")));
  const std::string f = alice_signed();
  const RunResult r = cli({"verify", "--anchor", p(anchors), f});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.out, expected_valid_line(f) + "\n");
}

TEST_F(CliVerify, NoAnchorWarnsAndExitsOne) {
  const RunResult r = cli({"verify", alice_signed()});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: warning:")) << show(r);
  EXPECT_TRUE(contains(r.err, "--anchor")) << show(r);
}

TEST_F(CliVerify, ExpiredExitsOne) {
  const RunResult r = verify_demo({}, {test_signed("expired")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "expired")) << show(r);
  EXPECT_TRUE(contains(r.out, "Expired Test")) << show(r);
}

TEST_F(CliVerify, NotYetValidExitsOne) {
  const RunResult r = verify_demo({}, {test_signed("notyet")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "not yet valid")) << show(r);
}

TEST_F(CliVerify, RevokedWithCrlExitsOne) {
  const RunResult r = verify_demo({"--crl", p(test_cert("revoked.crl.pem"))}, {test_signed("revoked")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "revoked")) << show(r);
  EXPECT_TRUE(contains(r.out, "Revoked Test")) << show(r);
  // The CRL revokes nobody else.
  const RunResult alice = verify_demo({"--crl", p(test_cert("revoked.crl.pem"))}, {alice_signed()});
  EXPECT_EQ(alice.exit_code, 0) << show(alice);
}

TEST_F(CliVerify, RevokedWithoutCrlIsNotKnownToBeRevoked) {
  const RunResult r = verify_demo({}, {test_signed("revoked")});
  EXPECT_EQ(r.exit_code, 0) << show(r);
}

TEST_F(CliVerify, ServerAuthEkuExitsOne) {
  const RunResult r = verify_demo({}, {test_signed("serverauth")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "extended key usage")) << show(r);
  EXPECT_TRUE(contains(r.out, "email protection")) << show(r);
}

TEST_F(CliVerify, NoEmailExitsOne) {
  const RunResult r = verify_demo({}, {test_signed("noemail")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "names no email address")) << show(r);
}

TEST_F(CliVerify, KeyEnciphermentOnlyExitsOne) {
  const RunResult r = verify_demo({}, {test_signed("keyenc")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "key usage does not allow signatures")) << show(r);
}

TEST_F(CliVerify, Sha1ExitsOneUnlessAllowed) {
  const std::string f = test_signed("sha1");
  const RunResult strict = verify_demo({}, {f});
  EXPECT_EQ(strict.exit_code, 1) << show(strict);
  EXPECT_TRUE(contains(strict.out, "weak hash")) << show(strict);
  const RunResult allowed = verify_demo({"--allow-sha1"}, {f});
  EXPECT_EQ(allowed.exit_code, 0) << show(allowed);
  EXPECT_TRUE(contains(allowed.out, "VALID signature by sha1@example.org")) << show(allowed);
}

TEST_F(CliVerify, Rsa1024ExitsOne) {
  const RunResult r = verify_demo({}, {test_signed("rsa1024")});
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "too short")) << show(r);
}

TEST_F(CliVerify, TimeInsideAndOutsideAlicesValidity) {
  const std::string f = alice_signed();
  const RunResult inside = verify_demo({"--time", "2030-06-01"}, {f});
  EXPECT_EQ(inside.exit_code, 0) << show(inside);
  const RunResult after = verify_demo({"--time", "2080-01-01T00:00:00Z"}, {f});
  EXPECT_EQ(after.exit_code, 1) << show(after);
  EXPECT_TRUE(contains(after.out, "expired")) << show(after);
  const RunResult before = verify_demo({"--time", "2024-06-01"}, {f});
  EXPECT_EQ(before.exit_code, 1) << show(before);
  EXPECT_TRUE(contains(before.out, "not yet valid")) << show(after);
}

TEST_F(CliVerify, TimeInsideTheExpiredCertificatesValidity) {
  // certs/test/expired is valid 2020-01-01..2021-01-01. At 2020-06-01 it is no longer reported
  // as expired. (Its issuer, the demo intermediate, is valid only from 2025-01-01, so the chain
  // as a whole is not valid at that time: see the report.)
  const std::string f = test_signed("expired");
  const RunResult now = verify_demo({}, {f});
  ASSERT_TRUE(contains(now.out, "has expired (Expired Test)")) << show(now);
  const RunResult then = verify_demo({"--time", "2020-06-01"}, {f});
  EXPECT_FALSE(contains(then.out, "has expired")) << show(then);
  EXPECT_TRUE(contains(then.out, "not yet valid (Demo Intermediate CA)")) << show(then);
  EXPECT_EQ(then.exit_code, 1) << show(then);
}

}  // namespace
}  // namespace smimekit

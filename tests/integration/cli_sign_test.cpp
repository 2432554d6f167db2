// smimekit sign: every way to name the signer, the formats and digests, files and pipes.
#include <cstdlib>

#include "cli_helpers.h"

namespace smimekit {
namespace {

using namespace clitest;
using test::TempDir;

class CliSign : public ::testing::Test {
 protected:
  void SetUp() override { test::write(in_, test::sample_message()); }

  // Verifies OUT against the demo root and expects exit 0 and the usual VALID line.
  void expect_valid(const std::filesystem::path& out) {
    const RunResult v = verify_demo({}, {p(out)});
    EXPECT_EQ(v.exit_code, 0) << show(v);
    EXPECT_EQ(v.out, expected_valid_line(p(out)) + "\n") << show(v);
  }

  TempDir dir_;
  std::filesystem::path in_ = dir_ / "message.eml";
  std::filesystem::path out_ = dir_ / "signed.eml";
};

TEST_F(CliSign, KeyCertChain) {
  sign_file(demo_signer("alice"), in_, out_);
  const std::string signed_message = test::read(out_);
  EXPECT_TRUE(contains(signed_message, "Content-Type: multipart/signed")) << signed_message;
  EXPECT_TRUE(contains(signed_message, "micalg=sha-256"));
  expect_valid(out_);
}

TEST_F(CliSign, CertFileWithTheChainInIt) {
  // More certificates in the --cert file form the chain.
  test::write(dir_ / "alice-full.pem",
              test::read(demo("alice.pem")) + test::read(demo("alice-chain.pem")));
  sign_file({"--key", p(demo("alice.key")), "--cert", p(dir_ / "alice-full.pem")}, in_, out_);
  expect_valid(out_);
}

TEST_F(CliSign, WithoutChainVerifiesOnlyWithIntermediate) {
  sign_file({"--key", p(demo("alice.key")), "--cert", p(demo("alice.pem"))}, in_, out_);
  const RunResult without = verify_demo({}, {p(out_)});
  EXPECT_EQ(without.exit_code, 1) << show(without);
  EXPECT_TRUE(contains(without.out, "INVALID")) << show(without);
  const RunResult with = verify_demo({"--intermediate", p(demo("intermediate.pem"))}, {p(out_)});
  EXPECT_EQ(with.exit_code, 0) << show(with);
  EXPECT_EQ(with.out, expected_valid_line(p(out_)) + "\n");
}

TEST_F(CliSign, Pkcs12WithPass) {
  sign_file({"--p12", p(demo("alice.p12")), "--pass", "pass:demo"}, in_, out_);
  expect_valid(out_);
}

TEST_F(CliSign, Pkcs12WrongPasswordIsNoPerm) {
  const RunResult r =
      cli({"sign", "--p12", p(demo("alice.p12")), "--pass", "pass:wrong", p(in_), "-o", p(out_)});
  EXPECT_EQ(r.exit_code, 77) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_TRUE(contains(r.err, "wrong password")) << show(r);
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST_F(CliSign, Pkcs12WithoutPasswordIsNoPerm) {
  const RunResult r = cli({"sign", "--p12", p(demo("alice.p12")), p(in_)});
  EXPECT_EQ(r.exit_code, 77) << show(r);
  EXPECT_TRUE(r.out.empty()) << show(r);
}

TEST_F(CliSign, EncryptedKeyWithPassFromEnvironment) {
  ASSERT_EQ(::setenv("SMIMEKIT_CLI_TEST_PASSWORD", "demo", 1), 0);
  sign_file({"--key", p(demo("alice-enc.key")), "--cert", p(demo("alice.pem")), "--chain",
             p(demo("alice-chain.pem")), "--pass", "env:SMIMEKIT_CLI_TEST_PASSWORD"},
            in_, out_);
  ::unsetenv("SMIMEKIT_CLI_TEST_PASSWORD");
  expect_valid(out_);
}

TEST_F(CliSign, EncryptedKeyWithPassFromFile) {
  test::write(dir_ / "password", "demo\n");
  sign_file({"--key", p(demo("alice-enc.key")), "--cert", p(demo("alice.pem")), "--chain",
             p(demo("alice-chain.pem")), "--pass", "file:" + p(dir_ / "password")},
            in_, out_);
  expect_valid(out_);
}

TEST_F(CliSign, EncryptedKeyFailures) {
  const auto base = std::vector<std::string>{"sign", "--key", p(demo("alice-enc.key")), "--cert",
                                             p(demo("alice.pem")), p(in_)};
  const RunResult none = cli(base);
  EXPECT_EQ(none.exit_code, 77) << show(none);
  EXPECT_TRUE(contains(none.err, "--pass")) << show(none);

  const RunResult wrong = cli(concat(base, {"--pass", "pass:nope"}));
  EXPECT_EQ(wrong.exit_code, 77) << show(wrong);

  ::unsetenv("SMIMEKIT_CLI_TEST_UNSET");
  const RunResult unset = cli(concat(base, {"--pass", "env:SMIMEKIT_CLI_TEST_UNSET"}));
  EXPECT_EQ(unset.exit_code, 66) << show(unset);
  EXPECT_TRUE(contains(unset.err, "SMIMEKIT_CLI_TEST_UNSET")) << show(unset);

  const RunResult plain = cli(concat(base, {"--pass", "demo"}));
  EXPECT_EQ(plain.exit_code, 64) << show(plain);
}

TEST_F(CliSign, Opaque) {
  sign_file(demo_signer("alice"), in_, out_, {"--opaque"});
  const std::string signed_message = test::read(out_);
  EXPECT_TRUE(contains(signed_message, "application/pkcs7-mime; smime-type=signed-data"));
  EXPECT_FALSE(contains(signed_message, "multipart/signed"));
  expect_valid(out_);
}

TEST_F(CliSign, DigestSha384AndSha512) {
  sign_file(demo_signer("alice"), in_, out_, {"--digest", "sha384"});
  EXPECT_TRUE(contains(test::read(out_), "micalg=sha-384"));
  expect_valid(out_);
  const RunResult j = verify_demo({"--json"}, {p(out_)});
  ASSERT_EQ(j.exit_code, 0) << show(j);
  EXPECT_EQ(nlohmann::json::parse(j.out).at("signers").at(0).at("digest_algorithm"), "sha384");

  sign_file(demo_signer("alice"), in_, out_, {"--digest", "sha512"});
  EXPECT_TRUE(contains(test::read(out_), "micalg=sha-512"));
  expect_valid(out_);
}

TEST_F(CliSign, UnknownDigestIsUsage) {
  const RunResult r = cli(concat(concat({"sign"}, demo_signer("alice")), {"--digest", "md5", p(in_)}));
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliSign, Pss) {
  sign_file(demo_signer("alice"), in_, out_, {"--pss"});
  expect_valid(out_);
  const RunResult j = verify_demo({"--json"}, {p(out_)});
  ASSERT_EQ(j.exit_code, 0) << show(j);
  EXPECT_EQ(nlohmann::json::parse(j.out).at("signers").at(0).at("signature_algorithm"),
            "RSASSA-PSS");
}

TEST_F(CliSign, PssWithEcKeyIsUsage) {
  test::write(in_, test::sample_message("Carol Demo <carol@example.org>"));
  const RunResult r = cli(concat(concat({"sign"}, demo_signer("carol")), {"--pss", p(in_)}));
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: hint:")) << show(r);
}

TEST_F(CliSign, EcKeyCarol) {
  test::write(in_, test::sample_message("Carol Demo <carol@example.org>"));
  sign_file(demo_signer("carol"), in_, out_);
  const RunResult v = verify_demo({}, {p(out_)});
  EXPECT_EQ(v.exit_code, 0) << show(v);
  EXPECT_TRUE(contains(v.out, "VALID signature by carol@example.org")) << show(v);
}

TEST_F(CliSign, CrlfOption) {
  sign_file(demo_signer("alice"), in_, out_, {"--crlf"});
  const std::string signed_message = test::read(out_);
  EXPECT_TRUE(contains(signed_message, "\r\n"));
  for (std::size_t i = 0; i < signed_message.size(); ++i) {
    if (signed_message[i] == '\n') {
      ASSERT_TRUE(i > 0 && signed_message[i - 1] == '\r') << i;
    }
  }
  expect_valid(out_);
}

TEST_F(CliSign, StdinToStdout) {
  const RunResult s =
      cli(concat({"sign"}, demo_signer("alice")), test::sample_message());
  ASSERT_EQ(s.exit_code, 0) << show(s);
  EXPECT_TRUE(contains(s.out, "Content-Type: multipart/signed")) << s.out;
  EXPECT_TRUE(contains(s.out, "Subject: Test message"));
  EXPECT_TRUE(s.err.empty()) << s.err;

  // ... and verify reads it back from stdin, naming it "(stdin)".
  const RunResult v = cli({"verify", "--anchor", p(demo("root.pem")), "-"}, s.out);
  EXPECT_EQ(v.exit_code, 0) << show(v);
  EXPECT_EQ(v.out, expected_valid_line("(stdin)") + "\n") << show(v);
}

TEST_F(CliSign, DashMeansStdinAndStdout) {
  const RunResult s =
      cli(concat(concat({"sign"}, demo_signer("alice")), {"-o", "-", "-"}), test::sample_message());
  ASSERT_EQ(s.exit_code, 0) << show(s);
  test::write(out_, s.out);
  expect_valid(out_);
}

TEST_F(CliSign, OutputFileIsWrittenAndNothingOnStdout) {
  const RunResult s =
      cli(concat(concat({"sign"}, demo_signer("alice")), {p(in_), "--output", p(out_)}));
  ASSERT_EQ(s.exit_code, 0) << show(s);
  EXPECT_TRUE(s.out.empty()) << s.out;
  EXPECT_TRUE(std::filesystem::exists(out_));
  expect_valid(out_);
}

TEST_F(CliSign, InPlace) {
  // -o naming the input: the input is read whole before the output replaces it.
  const RunResult s = cli(concat(concat({"sign"}, demo_signer("alice")), {p(in_), "-o", p(in_)}));
  ASSERT_EQ(s.exit_code, 0) << show(s);
  EXPECT_TRUE(contains(test::read(in_), "multipart/signed"));
  expect_valid(in_);
}

TEST_F(CliSign, IdentityArgumentErrors) {
  const RunResult both = cli({"sign", "--p12", p(demo("alice.p12")), "--pass", "pass:demo",
                                   "--key", p(demo("alice.key")), p(in_)});
  EXPECT_EQ(both.exit_code, 64) << show(both);
  EXPECT_TRUE(contains(both.err, "smimekit: error:")) << show(both);
  EXPECT_TRUE(contains(both.err, "smimekit: hint:")) << show(both);
  EXPECT_TRUE(both.out.empty());

  const RunResult p12_chain = cli({"sign", "--p12", p(demo("alice.p12")), "--pass",
                                        "pass:demo", "--chain", p(demo("alice-chain.pem")), p(in_)});
  EXPECT_EQ(p12_chain.exit_code, 64) << show(p12_chain);

  const RunResult nothing = cli({"sign", p(in_)});
  EXPECT_EQ(nothing.exit_code, 64) << show(nothing);
  EXPECT_TRUE(contains(nothing.err, "smimekit: hint:")) << show(nothing);

  const RunResult key_only = cli({"sign", "--key", p(demo("alice.key")), p(in_)});
  EXPECT_EQ(key_only.exit_code, 64) << show(key_only);
  EXPECT_TRUE(contains(key_only.err, "--cert")) << show(key_only);

  const RunResult cert_only = cli({"sign", "--cert", p(demo("alice.pem")), p(in_)});
  EXPECT_EQ(cert_only.exit_code, 64) << show(cert_only);
}

TEST_F(CliSign, KeyThatDoesNotFitTheCertificateIsUsage) {
  const RunResult r = cli(
      {"sign", "--key", p(demo("bob.key")), "--cert", p(demo("alice.pem")), p(in_), "-o", p(out_)});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST_F(CliSign, MissingFilesAreNoInput) {
  const RunResult key = cli(
      {"sign", "--key", p(dir_ / "nokey.pem"), "--cert", p(demo("alice.pem")), p(in_)});
  EXPECT_EQ(key.exit_code, 66) << show(key);
  const RunResult input = cli(concat(concat({"sign"}, demo_signer("alice")), {p(dir_ / "none.eml")}));
  EXPECT_EQ(input.exit_code, 66) << show(input);
  EXPECT_TRUE(contains(input.err, "none.eml")) << show(input);
}

TEST_F(CliSign, NotAMessageIsDataError) {
  test::write(in_, "garbage without headers");
  const RunResult r = cli(concat(concat({"sign"}, demo_signer("alice")), {p(in_), "-o", p(out_)}));
  EXPECT_EQ(r.exit_code, 65) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST_F(CliSign, OutputIntoMissingDirectoryIsIoError) {
  const RunResult r = cli(
      concat(concat({"sign"}, demo_signer("alice")), {p(in_), "-o", p(dir_ / "no" / "dir" / "x.eml")}));
  EXPECT_EQ(r.exit_code, 74) << show(r);
}

}  // namespace
}  // namespace smimekit

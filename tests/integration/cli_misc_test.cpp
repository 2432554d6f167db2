// smimekit demo, --help, --version and unknown verbs.
#include "cli_helpers.h"

namespace smimekit {
namespace {

using namespace clitest;

TEST(CliMisc, DemoExitsZeroAndPrintsValid) {
  const RunResult r = cli({"demo"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "VALID signature by alice@example.org (chain: Alice Demo -> Demo "
                              "Intermediate CA -> Demo Root CA)"))
      << show(r);
  // The forged copy fails, the unsigned one is called so, each with its header.
  EXPECT_TRUE(contains(r.out, "INVALID: signature by alice@example.org")) << show(r);
  EXPECT_TRUE(contains(r.out, "UNSIGNED")) << show(r);
  EXPECT_TRUE(contains(r.out, "Authentication-Results: demo.smimekit; smime=pass (decrypted: "
                              "aes-256-gcm, authenticated)"))
      << show(r);
  EXPECT_TRUE(contains(r.out, "smime=fail")) << show(r);
  EXPECT_TRUE(contains(r.out, "smime=none")) << show(r);
  EXPECT_TRUE(contains(r.out, "fetched 3 messages: 1 valid, 1 invalid, 1 unsigned; 1 decrypted"))
      << show(r);
  EXPECT_TRUE(contains(r.out, "demo finished")) << show(r);
}

TEST(CliMisc, HelpExitsZeroAndNamesTheVerbs) {
  for (const char* flag : {"--help", "-h"}) {
    const RunResult r = cli({flag});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_TRUE(contains(r.out, "sign")) << show(r);
    EXPECT_TRUE(contains(r.out, "verify")) << show(r);
    EXPECT_TRUE(contains(r.out, "demo")) << show(r);
  }
}

TEST(CliMisc, VerbHelpExitsZero) {
  const RunResult sign = cli({"sign", "--help"});
  EXPECT_EQ(sign.exit_code, 0) << show(sign);
  EXPECT_TRUE(contains(sign.out, "--opaque")) << show(sign);
  EXPECT_TRUE(contains(sign.out, "--digest")) << show(sign);
  const RunResult verify = cli({"verify", "--help"});
  EXPECT_EQ(verify.exit_code, 0) << show(verify);
  EXPECT_TRUE(contains(verify.out, "--anchor")) << show(verify);
  EXPECT_TRUE(contains(verify.out, "--json")) << show(verify);
}

TEST(CliMisc, VersionExitsZero) {
  const RunResult r = cli({"--version"});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "smimekit 0.1.0")) << show(r);
}

TEST(CliMisc, UnknownVerbExits64) {
  const RunResult r = cli({"frobnicate"});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: hint:")) << show(r);
  EXPECT_TRUE(r.out.empty()) << show(r);
}

TEST(CliMisc, UnknownVerbIsNamedInTheError) {
  const RunResult r = cli({"frobnicate"});
  EXPECT_TRUE(contains(r.err, "frobnicate")) << show(r);
}

TEST(CliMisc, NoVerbExits64) {
  const RunResult r = cli({});
  EXPECT_EQ(r.exit_code, 64) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
}

}  // namespace
}  // namespace smimekit

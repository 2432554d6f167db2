// smimekit audit end to end: targets (files, directories, messages), the four formats, -o,
// exit codes and the errors for bad input. The SVG of the demo hierarchy is read as text.
#include <map>

#include "cli_helpers.h"

namespace smimekit::clitest {
namespace {

constexpr const char* kTime = "2026-06-01";

std::vector<std::string> audit_demo(const std::vector<std::string>& extra) {
  return concat(concat({"audit", "--anchor", p(demo("root.pem")), "--time", kTime}, extra), {});
}

// Both demo CRLs: without the root's, the intermediate's revocation is unchecked (a warning).
std::vector<std::string> demo_crls() {
  return {"--crl", p(demo("intermediate.crl.pem")), "--crl", p(demo("root.crl.pem"))};
}

TEST(CliAudit, GoodUserExitsZero) {
  const RunResult r =
      cli(concat(audit_demo(demo_crls()), {p(demo("alice.pem")), p(demo("alice-chain.pem"))}));
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "Alice Demo <alice@example.org>: OK")) << show(r);
  EXPECT_TRUE(contains(r.out, "trusted: reaches the anchor Demo Root CA")) << show(r);
  EXPECT_TRUE(contains(r.out, "not revoked (CRL checked)")) << show(r);
}

TEST(CliAudit, DemoDirectoryShowsTheExpiredAndTheRevokedUserAndExitsOne) {
  // The directory's CRL files are consulted too: erin shows as revoked without --crl.
  const RunResult r = cli(concat(audit_demo({}), {p(test::certs_dir() / "demo")}));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(contains(r.out, "Dave Demo <dave@example.org>: ERROR")) << show(r);
  EXPECT_TRUE(contains(r.out, "expired on 2026-01-01")) << show(r);
  EXPECT_TRUE(contains(r.out, "Erin Demo <erin@example.org>: ERROR")) << show(r);
  EXPECT_TRUE(contains(r.out, "revoked: its issuer's CRL lists it")) << show(r);
  EXPECT_TRUE(contains(r.out, "Bob Demo <bob@example.org>: OK")) << show(r);
  EXPECT_TRUE(contains(r.out, "Carol Demo <carol@example.org>: OK")) << show(r);
}

TEST(CliAudit, JsonForMachines) {
  const RunResult r =
      cli(concat(audit_demo({"--format", "json"}), {p(test::certs_dir() / "demo")}));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("time"), "2026-06-01T00:00:00Z");
  EXPECT_EQ(doc.at("errors"), true);
  std::map<std::string, std::string> verdicts;
  for (const auto& e : doc.at("entities")) {
    verdicts[e.at("emails").empty() ? e.at("subject").get<std::string>()
                                    : e.at("emails").at(0).get<std::string>()] = e.at("verdict");
    for (const auto& chain : e.at("chains")) {
      EXPECT_TRUE(chain.contains("openssl")) << chain.dump();
      for (const auto& c : chain.at("certificates")) {
        EXPECT_TRUE(c.at("revocation").contains("ocsp"));
        for (const auto& f : c.at("findings")) {
          EXPECT_TRUE(f.contains("severity") && f.contains("code") && f.contains("text"));
        }
      }
    }
  }
  EXPECT_EQ(verdicts["alice@example.org"], "info");
  EXPECT_EQ(verdicts["dave@example.org"], "error");
  EXPECT_EQ(verdicts["erin@example.org"], "error");
}

TEST(CliAudit, WarnDaysMakesAWarningNotAnError) {
  const RunResult r = cli({"audit", "--anchor", p(demo("root.pem")), "--time", "2025-12-20",
                           "--warn-days", "30", "--crl", p(demo("intermediate.crl.pem")),
                           "--crl", p(demo("root.crl.pem")), p(demo("dave.pem")),
                           p(demo("intermediate.pem"))});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "Dave Demo <dave@example.org>: WARNING")) << show(r);
  EXPECT_TRUE(contains(r.out, "expires on 2026-01-01, in 12 days")) << show(r);
}

TEST(CliAudit, OutputFileAndDot) {
  test::TempDir dir;
  const RunResult r = cli(concat(audit_demo({"--format", "dot", "-o", p(dir / "demo.dot")}),
                                 {p(test::certs_dir() / "demo")}));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  EXPECT_TRUE(r.out.empty()) << show(r);
  const std::string dot = test::read(dir / "demo.dot");
  EXPECT_EQ(dot.rfind("digraph audit {", 0), 0u) << dot;
  EXPECT_TRUE(contains(dot, "EXPIRED")) << dot;
}

// The <text> lines and the fill colour of each node group of a Graphviz SVG.
struct SvgNode {
  std::string text, fill;
};
std::vector<SvgNode> svg_nodes(const std::string& svg) {
  // Between two markers, starting at FROM; npos when absent.
  auto between = [](const std::string& s, std::size_t from, const std::string& open,
                    const std::string& close, std::size_t& end) -> std::string {
    const std::size_t a = s.find(open, from);
    if (a == std::string::npos) {
      end = std::string::npos;
      return {};
    }
    const std::size_t b = s.find(close, a + open.size());
    end = b == std::string::npos ? std::string::npos : b + close.size();
    return b == std::string::npos ? std::string() : s.substr(a + open.size(), b - a - open.size());
  };
  std::vector<SvgNode> nodes;
  std::size_t at = 0;
  for (;;) {
    const std::size_t g = svg.find("class=\"node\">", at);
    if (g == std::string::npos) break;
    std::size_t end = 0;
    const std::string body = between(svg, g, ">", "</g>", end);
    if (end == std::string::npos) break;
    at = end;
    SvgNode n;
    std::size_t t = 0, t_end = 0;
    while (true) {
      const std::size_t open = body.find("<text", t);
      if (open == std::string::npos) break;
      const std::string line = between(body, open, ">", "</text>", t_end);
      if (t_end == std::string::npos) break;
      n.text += line + "\n";
      t = t_end;
    }
    std::size_t f_end = 0;
    n.fill = between(body, 0, "<path fill=\"", "\"", f_end);
    nodes.push_back(n);
  }
  return nodes;
}

TEST(CliAudit, SvgOfTheDemoHierarchyShowsRootIntermediateUsersAndMarksExpiredAndRevoked) {
  if (!test::have_program("dot")) {
    if (test::in_ci()) FAIL() << "Graphviz's dot is missing (scripts/setup.sh installs it)";
    GTEST_SKIP() << "Graphviz's dot is not installed";
  }
  const RunResult r = cli(concat(audit_demo({"--format", "svg"}), {p(test::certs_dir() / "demo")}));
  EXPECT_EQ(r.exit_code, 1) << show(r);
  ASSERT_TRUE(contains(r.out, "<svg")) << show(r);
  const auto nodes = svg_nodes(r.out);
  auto node = [&](const std::string& name) -> const SvgNode* {
    for (const auto& n : nodes) {
      if (n.text.rfind(name + "\n", 0) == 0) return &n;
    }
    return nullptr;
  };
  const SvgNode* root = node("Demo Root CA");
  const SvgNode* intermediate = node("Demo Intermediate CA");
  ASSERT_NE(root, nullptr) << r.out;
  ASSERT_NE(intermediate, nullptr) << r.out;
  EXPECT_TRUE(contains(root->text, "trust anchor"));
  for (const char* user : {"Alice Demo", "Bob Demo", "Carol Demo"}) {
    const SvgNode* n = node(user);
    ASSERT_NE(n, nullptr) << user;
    EXPECT_EQ(n->fill, "#c8e6c9") << user;  // ok
  }
  const SvgNode* dave = node("Dave Demo");
  const SvgNode* erin = node("Erin Demo");
  ASSERT_NE(dave, nullptr);
  ASSERT_NE(erin, nullptr);
  EXPECT_TRUE(contains(dave->text, "EXPIRED")) << dave->text;
  EXPECT_TRUE(contains(erin->text, "REVOKED")) << erin->text;
  EXPECT_EQ(dave->fill, "#ffcdd2");  // error
  EXPECT_EQ(erin->fill, "#ffcdd2");
  EXPECT_TRUE(contains(r.out, "legend")) << r.out;
}

TEST(CliAudit, SvgWithoutGraphvizSaysWhatToInstall) {
  // The same binary with a PATH on which there is no dot.
  test::TempDir dir;
  const RunResult r =
      test::run({"env", "PATH=" + p(dir.path()), SMIMEKIT_BINARY, "audit", "--anchor",
                 p(demo("root.pem")), "--format", "svg", p(demo("alice.pem"))});
  EXPECT_EQ(r.exit_code, 69) << show(r);
  EXPECT_TRUE(contains(r.err, "apt-get install graphviz")) << show(r);
  EXPECT_TRUE(contains(r.err, "--format dot")) << show(r);
  EXPECT_TRUE(r.out.empty()) << show(r);
}

TEST(CliAudit, SignedMessageAuditsItsSigner) {
  test::TempDir dir;
  test::write(dir / "msg.eml", test::sample_message());
  sign_file(demo_signer("carol"), dir / "msg.eml", dir / "signed.eml");
  // The audit is hard-fail: without CRLs (the demo certificates name no OCSP responder and
  // no distribution point) revocation cannot be established, and that is an error.
  const RunResult hard = cli(concat(audit_demo({}), {p(dir / "signed.eml")}));
  EXPECT_EQ(hard.exit_code, 1) << show(hard);
  EXPECT_TRUE(contains(hard.out, "Carol Demo <carol@example.org>: ERROR")) << show(hard);
  EXPECT_TRUE(contains(hard.out, "--revocation hard requires it")) << show(hard);
  // Soft-fail, asked for: unchecked revocation is a warning, and warnings exit 0.
  const RunResult r =
      cli(concat(audit_demo({"--revocation", "soft"}), {p(dir / "signed.eml")}));
  EXPECT_EQ(r.exit_code, 0) << show(r);
  EXPECT_TRUE(contains(r.out, "Carol Demo <carol@example.org>: WARNING")) << show(r);
  EXPECT_TRUE(contains(r.out, "revocation not checked")) << show(r);
  const RunResult with_crls = cli(concat(audit_demo(demo_crls()), {p(dir / "signed.eml")}));
  EXPECT_EQ(with_crls.exit_code, 0) << show(with_crls);
  EXPECT_TRUE(contains(with_crls.out, "Carol Demo <carol@example.org>: OK")) << show(with_crls);
  EXPECT_TRUE(contains(r.out, "`- Demo Intermediate CA")) << show(r);
}

// "a message's signers and certificates": a certificate the sender added beside their chain
// (an encryption certificate, say, or a colleague's) is audited too.
TEST(CliAudit, SignedMessageAuditsEveryCertificateItCarries) {
  test::TempDir dir;
  test::write(dir / "entity.txt", "Content-Type: text/plain\r\n\r\nHello\r\n");
  test::write(dir / "extra.pem", test::read(demo("intermediate.pem")) + test::read(demo("dave.pem")));
  const RunResult sign = test::run(
      {"openssl", "cms", "-sign", "-in", p(dir / "entity.txt"), "-signer", p(demo("carol.pem")),
       "-inkey", p(demo("carol.key")), "-certfile", p(dir / "extra.pem"), "-from",
       "carol@example.org", "-out", p(dir / "signed.eml")});
  ASSERT_EQ(sign.exit_code, 0) << show(sign);
  const RunResult r = cli(concat(audit_demo(demo_crls()), {p(dir / "signed.eml")}));
  EXPECT_TRUE(contains(r.out, "Carol Demo <carol@example.org>: OK")) << show(r);
  // Dave's certificate has expired: carried, not signing, and still an error of the audit.
  EXPECT_TRUE(contains(r.out, "Dave Demo <dave@example.org>: ERROR")) << show(r);
  EXPECT_EQ(r.exit_code, 1) << show(r);
}

TEST(CliAudit, BadInputGetsAClearError) {
  test::TempDir dir;
  // No TARGET audits the store; a store that is not there is named, and nothing is created.
  const RunResult none =
      cli({"audit", "--anchor", p(demo("root.pem")), "--store", p(dir / "no-store")});
  EXPECT_EQ(none.exit_code, 66) << show(none);
  EXPECT_TRUE(contains(none.err, p(dir / "no-store"))) << show(none);
  EXPECT_FALSE(std::filesystem::exists(dir / "no-store"));
  EXPECT_TRUE(contains(none.err, "smimekit certs import")) << show(none);

  const RunResult format = cli(concat(audit_demo({"--format", "pdf"}), {p(demo("alice.pem"))}));
  EXPECT_EQ(format.exit_code, 64) << show(format);
  EXPECT_TRUE(contains(format.err, "--format pdf")) << show(format);

  const RunResult time = cli({"audit", "--time", "yesterday", p(demo("alice.pem"))});
  EXPECT_EQ(time.exit_code, 64) << show(time);
  EXPECT_TRUE(contains(time.err, "--time yesterday is not a date")) << show(time);

  const RunResult days = cli(concat(audit_demo({"--warn-days", "-3"}), {p(demo("alice.pem"))}));
  EXPECT_EQ(days.exit_code, 64) << show(days);

  const RunResult missing = cli(concat(audit_demo({}), {p(dir / "nope.pem")}));
  EXPECT_EQ(missing.exit_code, 66) << show(missing);
  EXPECT_TRUE(contains(missing.err, "nope.pem")) << show(missing);

  static constexpr char kGarbage[] = "\x00\x01\x02 not a certificate";
  test::write(dir / "garbage.pem", std::string(kGarbage, sizeof kGarbage - 1));
  const RunResult garbage = cli(concat(audit_demo({}), {p(dir / "garbage.pem")}));
  EXPECT_EQ(garbage.exit_code, 65) << show(garbage);
  EXPECT_TRUE(contains(garbage.err, "neither a certificate")) << show(garbage);

  test::write(dir / "plain.eml", test::sample_message());
  const RunResult plain = cli(concat(audit_demo({}), {p(dir / "plain.eml")}));
  EXPECT_EQ(plain.exit_code, 65) << show(plain);
  EXPECT_TRUE(contains(plain.err, "no signer certificate")) << show(plain);

  std::filesystem::create_directory(dir / "empty");
  test::write(dir / "empty" / "notes.txt", "nothing here\n");
  const RunResult empty = cli(concat(audit_demo({}), {p(dir / "empty")}));
  EXPECT_EQ(empty.exit_code, 65) << show(empty);
  EXPECT_TRUE(contains(empty.err, "holds no certificate")) << show(empty);

  const RunResult anchor = cli({"audit", "--anchor", p(dir / "no-root.pem"), p(demo("alice.pem"))});
  EXPECT_EQ(anchor.exit_code, 66) << show(anchor);
  EXPECT_TRUE(contains(anchor.err, "no-root.pem")) << show(anchor);

  const RunResult out =
      cli(concat(audit_demo({"-o", p(dir / "missing" / "out.txt")}), {p(demo("alice.pem"))}));
  EXPECT_EQ(out.exit_code, 74) << show(out);
  EXPECT_TRUE(contains(out.err, "out.txt")) << show(out);

  const RunResult no_anchor = cli({"audit", p(demo("alice.pem"))});
  EXPECT_EQ(no_anchor.exit_code, 1) << show(no_anchor);
  EXPECT_TRUE(contains(no_anchor.err, "no trust anchors given")) << show(no_anchor);
}

}  // namespace
}  // namespace smimekit::clitest

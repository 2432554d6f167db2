// smimekit demo: the whole job on its embedded default — Alice signs a message, it is
// verified against the demo root, then a forged copy is shown failing.
#include <fmt/format.h>

#include <memory>

#include "cli.h"
#include "commands.h"
#include "demo_certs.h"
#include "smimekit/mail.h"

namespace smimekit::cli {

namespace {

constexpr std::string_view kMessage =
    "From: Alice Demo <alice@example.org>\n"
    "To: Bob Demo <bob@example.org>\n"
    "Subject: Quarterly figures\n"
    "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <demo-1@example.org>\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hello Bob,\n"
    "\n"
    "the figures are final: revenue 1,250,000 EUR.\n"
    "\n"
    "Alice\n";

int run_demo() {
  const Identity alice =
      make_identity(parse_private_key(demo::kAliceKey, "the demo key", nullptr),
                    parse_certificates(demo::kAliceCert, "the demo certificate").front(),
                    parse_certificates(demo::kIntermediate, "the demo intermediate"));
  OpenOptions options;
  options.trust.anchors = parse_certificates(demo::kRoot, "the demo root");
  const Opener opener(std::move(options));

  fmt::print("== 1. Alice signs a message (demo identity {}, {})\n\n",
             alice.certificate.email_addresses().front(), alice.certificate.key_description());
  const std::string signed_message = sign(kMessage, alice);
  fmt::print("{}\n", signed_message);

  fmt::print("== 2. Bob verifies it against the demo root\n\n");
  const Report report = opener.open(signed_message);
  fmt::print("   {}\n\n", summarize(report));

  fmt::print("== 3. Someone changes the amount on the way\n\n");
  std::string forged = signed_message;
  const auto at = forged.find("1,250,000");
  forged.replace(at, 9, "9,250,000");
  const Report forged_report = opener.open(forged);
  fmt::print("   {}\n\n", summarize(forged_report));

  const bool as_expected =
      report.verdict == Verdict::Valid && forged_report.verdict == Verdict::Invalid;
  fmt::print("{}\n", as_expected ? "demo finished: the signed message is VALID, the forged one is not"
                                 : "demo FAILED: the verdicts are not what they should be");
  return as_expected ? kOk : kSoftware;
}

}  // namespace

Verb setup_demo(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "demo", "sign a message with the built-in demo identity and verify it");
  return {app, [] { return run_demo(); }};
}

}  // namespace smimekit::cli

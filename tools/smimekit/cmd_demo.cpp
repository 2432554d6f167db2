// smimekit demo: the whole job on its embedded default. A private Dovecot on 127.0.0.1 holds
// Bob's mailbox; Alice's signed and encrypted message lands in it beside a forged and an
// unsigned one; `fetch` takes them over STLS with the certificate checked, opens each, and
// the report says which one to trust.
#include <openssl/rand.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "demo_certs.h"
#include "smimekit/fetch.h"
#include "smimekit/files.h"
#include "smimekit/mail.h"
#include "testbed/dovecot.h"

namespace smimekit::cli {

namespace {

constexpr std::string_view kQuarterly =
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

constexpr std::string_view kBankDetails =
    "From: Alice Demo <alice@example.org>\n"
    "To: Bob Demo <bob@example.org>\n"
    "Subject: New bank details\n"
    "Date: Thu, 26 Nov 2026 11:00:00 +0000\n"
    "Message-ID: <demo-3@example.org>\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Bob, please pay the invoice to our new account DE00 1234 5678 9000.\n";

/// A fresh private directory for the server and the mailbox, removed at the end.
class WorkDir {
 public:
  WorkDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "smimekit-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error(ErrorCode::Io, "cannot create a temporary directory for the demo");
    }
    m_path = pattern;
    // Dovecot's unprivileged processes must be able to pass through to their own files.
    std::filesystem::permissions(m_path,
                                 std::filesystem::perms::group_exec | std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
  }
  ~WorkDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

std::string random_password() {
  unsigned char bytes[18];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error(ErrorCode::Crypto, "no random bytes");
  std::string out;
  for (const unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string first_line(const std::filesystem::path& file) {
  const std::string text = read_file(file);
  return text.substr(0, text.find_first_of("\r\n"));
}

int run_demo() {
  const std::vector<Certificate> chain = parse_certificates(demo::kIntermediate, "the demo intermediate");
  const Identity alice =
      make_identity(parse_private_key(demo::kAliceKey, "the demo key", nullptr),
                    parse_certificates(demo::kAliceCert, "the demo certificate").front(), chain);
  const Identity bob = make_identity(parse_private_key(demo::kBobKey, "the demo key", nullptr),
                                     parse_certificates(demo::kBobCert, "the demo certificate").front(),
                                     chain);
  const WorkDir work;

  fmt::print("== 1. A private Dovecot on 127.0.0.1 holds Bob's mailbox\n\n");
  const std::string password = random_password();
  testbed::DovecotOptions server_options;
  server_options.work_dir = work.path() / "server";
  server_options.tls_chain_pem = demo::kServerChain;
  server_options.tls_key_pem = demo::kServerKey;
  server_options.users.push_back({"bob", password});
  testbed::Dovecot server = testbed::Dovecot::start(server_options);
  fmt::print("   POP3 with STLS on 127.0.0.1 port {}, certificate for 'localhost' from the demo CA\n\n",
             server.pop3_port());

  fmt::print("== 2. Three messages arrive for Bob\n\n");
  const std::string sealed = sign_and_encrypt(kQuarterly, alice, {bob.certificate, alice.certificate});
  server.deliver("bob", sealed);
  fmt::print("   1. from Alice, signed and encrypted for Bob (AES-256-GCM)\n");
  std::string forged = sign(kBankDetails, alice);
  forged.replace(forged.find("9000"), 4, "6666");
  server.deliver("bob", forged);
  fmt::print("   2. signed by Alice, but the account number was changed on the way\n");
  server.deliver("bob", std::string(kBankDetails));
  fmt::print("   3. claims to be from Alice, not signed at all\n\n");

  fmt::print("== 3. Bob fetches them over STLS and smimekit opens each one\n\n");
  const std::filesystem::path root_file = work.path() / "demo-root.pem";
  write_file_atomic(root_file, demo::kRoot, 0600);
  FetchOptions options;
  options.server.host = "127.0.0.1";
  options.server.port = server.pop3_port();
  options.server.tls = pop3::TlsMode::StartTls;
  options.server.tls_name = "localhost";
  options.server.cacert = root_file.string();
  options.credentials.user = "bob";
  options.credentials.password = [&password] { return Secret(password); };
  options.maildir = work.path() / "bob-inbox";
  options.report = work.path() / "report.jsonl";
  options.open.trust.anchors = parse_certificates(demo::kRoot, "the demo root");
  options.open.identities.push_back(bob);
  options.authserv_id = "demo.smimekit";

  std::vector<Verdict> verdicts;
  const FetchSummary summary = fetch(options, {}, [&](const FetchedMessage& m) {
    verdicts.push_back(m.report.verdict);
    fmt::print("   {}. {}\n      {}\n      {}\n\n", verdicts.size(), m.report.subject,
               summarize(m.report), first_line(m.file));
  });
  fmt::print("   {} (logged in with {}); the report is one JSON line per message\n\n",
             summary.text(), summary.mechanism);
  server.stop();

  const bool as_expected = verdicts == std::vector<Verdict>{Verdict::Valid, Verdict::Invalid,
                                                            Verdict::Unsigned} &&
                           summary.decrypted == 1;
  fmt::print("{}\n", as_expected
                         ? "demo finished: only Alice's signed and encrypted message is VALID"
                         : "demo FAILED: the verdicts are not what they should be");
  return as_expected ? kOk : kSoftware;
}

}  // namespace

Verb setup_demo(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "demo", "fetch signed, forged and encrypted demo mail from a private Dovecot and check it");
  return {app, [] { return run_demo(); }};
}

}  // namespace smimekit::cli

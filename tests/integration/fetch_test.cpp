// smimekit fetch end to end, against a real Dovecot on loopback (lib/testbed/dovecot.h): what
// lands in the Maildir and in the report for each kind of message, over STLS and POP3S;
// --delete; the refusals that must come before any password is sent; and the faults the
// design promises to survive without losing or doubling a message (docs/security.md): a
// connection cut in the middle of a RETR, SIGKILL at any moment, a full disk.
//
// Messages are told apart by their Message-ID ("<TAG@fetch.example.org>"); the delivered
// files also carry the UIDL in their name (",U=TAG-HEX"), which is counted as well.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cli_helpers.h"
#include "smimekit/certificate.h"
#include "smimekit/fetch.h"
#include "smimekit/mail.h"
#include "support/tcp_proxy.h"
#include "testbed/dovecot.h"

extern char** environ;

namespace smimekit {
namespace {

namespace fs = std::filesystem;
using namespace clitest;
using namespace std::chrono_literals;
using nlohmann::json;
using test::TempDir;

constexpr const char* kUser = "bob";
constexpr const char* kPassword = "b0b-pop3-Secret";
// The child gets the passwords through its environment, never on its command line.
constexpr const char* kPassVar = "SMIMEKIT_TEST_POP3_PASS";
constexpr const char* kP12Var = "SMIMEKIT_TEST_P12_PASS";

// ---------------------------------------------------------------------------------------
// Messages

// A plain message from Alice to Bob, told apart by TAG in its Subject and Message-ID;
// FILLER lines of text make it bigger.
std::string plain_message(const std::string& tag, const std::string& line = "",
                          std::size_t filler = 0) {
  std::string m = fmt::format(
      "From: Alice Demo <alice@example.org>\n"
      "To: Bob Demo <bob@example.org>\n"
      "Subject: fetch test {}\n"
      "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
      "Message-ID: <{}@fetch.example.org>\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Hello Bob,\n"
      "\n"
      "{}\n",
      tag, tag, line.empty() ? "this is message " + tag + "." : line);
  for (std::size_t i = 0; i < filler; ++i) {
    m += fmt::format("line {:4} of {}: the quick brown fox jumps over the lazy dog\n", i, tag);
  }
  m += "\nAlice\n";
  return m;
}

std::string id_of(const std::string& tag) {
  return "<" + tag + "@fetch.example.org>";
}

// The Message-ID of MESSAGE (LF or CRLF line ends), or "" when its header has none.
std::string message_id(const std::string& message) {
  const std::string header = test::split_header(message).header;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t eol = header.find('\n', pos);
    if (eol == std::string::npos) eol = header.size();
    std::string line = header.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > 11 && ::strncasecmp(line.c_str(), "Message-ID:", 11) == 0) {
      const std::size_t first = line.find_first_not_of(" \t", 11);
      return first == std::string::npos ? "" : line.substr(first);
    }
  }
  return "";
}

// Alice signs, Bob can decrypt; both from certs/demo, loaded once.
struct People {
  Identity alice;
  Certificate bob;
};

const People& people() {
  static const People p = [] {
    std::vector<Certificate> chain = load_certificates(demo("alice-chain.pem"));
    Identity alice = make_identity(load_private_key(demo("alice.key"), nullptr),
                                   load_certificates(demo("alice.pem")).front(), std::move(chain));
    return People{std::move(alice), load_certificates(demo("bob.pem")).front()};
  }();
  return p;
}

std::string signed_message(const std::string& tag, std::size_t filler = 0) {
  return sign(plain_message(tag, "", filler), people().alice);
}

// One message of the mixed mailbox, and what fetch must make of it.
struct Sample {
  std::string tag;
  std::string bytes;               // as handed to the server
  std::set<std::string> verdicts;  // the report verdicts that are right for it
  std::set<std::string> results;   // the smime= results in Authentication-Results, likewise
  bool sealed = false;             // signed and encrypted for Bob
};

// Signed, signed-and-encrypted for Bob, unsigned, forged (signed, then changed), not a
// message at all, and an encrypted message cut off in the middle of its base64.
const std::vector<Sample>& mixed_mailbox() {
  static const std::vector<Sample> samples = [] {
    std::vector<Sample> s;
    s.push_back({"signed", signed_message("signed"), {"valid"}, {"pass"}, false});
    s.push_back({"sealed",
                 sign_and_encrypt(plain_message("sealed", "the figures are final: 1,250,000 EUR."),
                                  people().alice, {people().bob, people().alice.certificate}),
                 {"valid"},
                 {"pass"},
                 true});
    s.push_back({"unsigned", plain_message("unsigned"), {"unsigned"}, {"none"}, false});
    std::string forged =
        sign(plain_message("forged", "please pay to account DE00 1234 5678 9000."), people().alice);
    const auto at = forged.find("9000");
    forged.replace(at, 4, "6666");
    s.push_back({"forged", forged, {"invalid"}, {"fail"}, false});
    s.push_back({"garbage",
                 "garbage without headers\nand nothing else\n",
                 {"error"},
                 {"permerror"},
                 false});
    // The enveloped data cut after half of its base64 lines: the CMS structure is incomplete.
    std::string cut = sign_and_encrypt(plain_message("truncated"), people().alice,
                                       {people().bob, people().alice.certificate});
    const test::Split split = test::split_header(cut);
    const auto line_count = std::count(split.body.begin(), split.body.end(), '\n');
    std::size_t keep = 0;
    for (std::ptrdiff_t n = 0; n < line_count / 2; ++n) keep = split.body.find('\n', keep) + 1;
    cut = split.header + split.body.substr(0, keep);
    s.push_back({"truncated", cut, {"error", "invalid"}, {"fail", "permerror"}, false});
    return s;
  }();
  return samples;
}

// ---------------------------------------------------------------------------------------
// What was delivered

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The messages of a Maildir: new/ and cur/.
std::vector<fs::path> messages_in(const fs::path& maildir) {
  std::vector<fs::path> out = files_in(maildir / "new");
  const std::vector<fs::path> cur = files_in(maildir / "cur");
  out.insert(out.end(), cur.begin(), cur.end());
  return out;
}

// What fetch delivered, split into the Authentication-Results field it put on top (with its
// continuation lines and line end) and the message as the server sent it.
struct Stored {
  std::string field;
  std::string rest;
};

Stored split_stored(const std::string& text) {
  std::size_t pos = 0;
  do {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) return {text, ""};
    pos = eol + 1;
  } while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'));
  return {text.substr(0, pos), text.substr(pos)};
}

// The result of the smime method in an Authentication-Results FIELD ("pass", "fail", ...).
std::string smime_result(const std::string& field) {
  const auto at = field.find("; smime=");
  if (at == std::string::npos) return "(no smime result)";
  const auto begin = at + 8;
  const auto end = field.find_first_not_of("abcdefghijklmnopqrstuvwxyz", begin);
  return field.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// How many files of MAILDIR hold each Message-ID ("" for messages without one).
std::map<std::string, int> count_message_ids(const fs::path& maildir) {
  std::map<std::string, int> count;
  for (const auto& f : messages_in(maildir)) ++count[message_id(split_stored(test::read(f)).rest)];
  return count;
}

// How many files of MAILDIR carry each ",U=TAG-HEX" field in their name.
std::map<std::string, int> count_uidls(const fs::path& maildir) {
  std::map<std::string, int> count;
  for (const auto& f : messages_in(maildir)) {
    const std::string name = f.filename().string();
    const auto at = name.find(",U=");
    if (at == std::string::npos) {
      ++count["(no U= field in " + name + ")"];
      continue;
    }
    const auto end = name.find_first_of(",:", at + 3);
    ++count[name.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3)];
  }
  return count;
}

// Checks that MAILDIR holds each of IDS exactly once and nothing else, and that no two files
// carry the same UIDL.
void expect_each_once(const fs::path& maildir, const std::set<std::string>& ids) {
  const std::map<std::string, int> count = count_message_ids(maildir);
  std::set<std::string> missing;
  for (const auto& id : ids) {
    const auto it = count.find(id);
    if (it == count.end()) missing.insert(id);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " messages never delivered, the first "
                               << *missing.begin();
  for (const auto& [id, n] : count) {
    EXPECT_EQ(n, 1) << "message " << id << " delivered " << n << " times";
    EXPECT_TRUE(ids.count(id) == 1) << "unexpected message " << id << " in " << maildir;
  }
  for (const auto& [uidl, n] : count_uidls(maildir)) {
    EXPECT_EQ(n, 1) << "UIDL field " << uidl << " on " << n << " files";
  }
  EXPECT_EQ(messages_in(maildir).size(), ids.size());
}

std::vector<json> report_lines(const fs::path& path) {
  std::vector<json> out;
  if (!fs::exists(path)) return out;
  for (const auto& line : lines(test::read(path))) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// The summary of --json: the last line of standard output.
json summary_of(const RunResult& r) {
  const auto out = lines(r.out);
  if (out.empty()) return json::object();
  try {
    return json::parse(out.back());
  } catch (const json::exception&) {
    ADD_FAILURE() << "the summary is not JSON: " << out.back();
    return json::object();
  }
}

std::size_t count(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<std::size_t>() : 9999;
}

// The messages (files of new/ and cur/) in USER's maildrop on the server.
std::vector<fs::path> on_server(const testbed::Dovecot& server) {
  return messages_in(server.maildir(kUser));
}

// How many messages the server keeps once it has settled: a client killed right after its
// QUIT leaves Dovecot expunging what that QUIT committed, so the maildrop is read until it
// stops changing (three equal counts 100 ms apart, at most 10 s).
std::size_t settled_on_server(const testbed::Dovecot& server) {
  std::size_t n = on_server(server).size();
  int same = 0;
  for (int i = 0; i < 100 && same < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::size_t m = on_server(server).size();
    same = m == n ? same + 1 : 0;
    n = m;
  }
  return n;
}

std::set<std::string> ids_on_server(const testbed::Dovecot& server) {
  std::set<std::string> ids;
  for (const auto& f : on_server(server)) ids.insert(message_id(test::read(f)));
  return ids;
}

// Checks a Maildir that one fetch of the mixed mailbox filled: one file per sample, its bytes
// after the Authentication-Results field equal to what the server was given (line ends
// aside), the field's result, and each file's report line. With DECRYPTED, the sealed message
// must be stored decrypted.
void expect_mixed_delivery(const fs::path& maildir, const fs::path& report, bool decrypted,
                           const std::string& authserv_id = "") {
  const std::vector<Sample>& samples = mixed_mailbox();
  const std::vector<fs::path> files = messages_in(maildir);
  ASSERT_EQ(files.size(), samples.size()) << "in " << maildir;

  std::map<std::string, json> by_file;
  for (const json& line : report_lines(report)) by_file[line.value("file", "")] = line;
  EXPECT_EQ(by_file.size(), samples.size()) << test::read(report);

  std::map<std::string, int> matched;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const Stored stored = split_stored(test::read(file));
    const Sample* sample = nullptr;
    for (const Sample& s : samples) {
      if (test::to_lf(stored.rest) == test::to_lf(s.bytes)) sample = &s;
      if (decrypted && s.sealed && message_id(stored.rest) == id_of(s.tag)) sample = &s;
    }
    ASSERT_NE(sample, nullptr) << "delivered bytes are none of the messages given to the server:\n"
                               << stored.field << stored.rest.substr(0, 2000);
    ++matched[sample->tag];
    SCOPED_TRACE(sample->tag);

    // The field on top: RFC 8601 with the smime method of RFC 7281.
    EXPECT_EQ(stored.field.rfind("Authentication-Results: " + authserv_id, 0), 0u) << stored.field;
    EXPECT_EQ(stored.field.substr(stored.field.size() - 2), "\r\n") << stored.field;
    EXPECT_EQ(sample->results.count(smime_result(stored.field)), 1u) << stored.field;
    EXPECT_EQ(count_of(stored.field, "smime="), 1u) << "one result per message: " << stored.field;
    if (decrypted && sample->sealed) {
      EXPECT_TRUE(contains(stored.rest, "the figures are final: 1,250,000 EUR.")) << stored.rest;
      EXPECT_FALSE(contains(stored.rest, "pkcs7-mime")) << stored.rest;
      // What was stored is Alice's signed message, which verifies on its own.
      const RunResult v = verify_demo({}, {p(file)});
      EXPECT_EQ(v.exit_code, 0) << show(v);
    } else {
      // Stored as the server sent it: CRLF line ends, byte for byte otherwise.
      EXPECT_EQ(stored.rest, test::to_crlf(test::to_lf(sample->bytes)));
    }

    const auto it = by_file.find(file.string());
    ASSERT_NE(it, by_file.end()) << "no report line for the file";
    const json& line = it->second;
    EXPECT_EQ(sample->verdicts.count(line.value("verdict", "")), 1u) << line.dump();
    EXPECT_FALSE(line.value("uidl", "").empty()) << line.dump();
    if (sample->sealed) {
      EXPECT_TRUE(line.value("encrypted", false)) << line.dump();
    }
    if (sample->tag != "garbage") {
      EXPECT_EQ(line.value("subject", ""), "fetch test " + sample->tag) << line.dump();
    }
  }
  for (const Sample& s : samples) EXPECT_EQ(matched[s.tag], 1) << s.tag;
}

void expect_mixed_summary(const RunResult& r) {
  const json s = summary_of(r);
  EXPECT_EQ(count(s, "on_server"), 6u) << s.dump();
  EXPECT_EQ(count(s, "fetched"), 6u) << s.dump();
  EXPECT_EQ(count(s, "valid"), 2u) << s.dump();
  EXPECT_EQ(count(s, "unsigned"), 1u) << s.dump();
  EXPECT_EQ(count(s, "invalid") + count(s, "unreadable"), 3u) << s.dump();
  EXPECT_GE(count(s, "unreadable"), 1u) << s.dump();  // garbage
  EXPECT_EQ(count(s, "decrypted"), 1u) << s.dump();
  EXPECT_EQ(count(s, "deleted"), 0u) << s.dump();
  EXPECT_FALSE(s.value("mechanism", "").empty()) << s.dump();
}

// ---------------------------------------------------------------------------------------
// Processes, the log, a small file system

// The smimekit binary as a child that can be killed at any moment; its output goes to a file.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
        const fs::path& output) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    for (const auto& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = ::posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      m_pid = -1;
      ADD_FAILURE() << "cannot start " << args[0] << ": " << std::strerror(rc);
    }
  }
  ~Child() { kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // True once the child has ended (by itself or killed).
  bool finished() {
    if (m_pid < 0) return true;
    if (::waitpid(m_pid, &m_status, WNOHANG) == m_pid) m_pid = -1;
    return m_pid < 0;
  }
  // SIGKILL now; true when it was still running.
  bool kill() {
    if (finished()) return false;
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, &m_status, 0);
    m_pid = -1;
    return true;
  }
  [[nodiscard]] int status() const { return m_status; }

 private:
  pid_t m_pid = -1;
  int m_status = 0;
};

// A tmpfs mounted for the life of the object (tests run as root; elsewhere mounting fails and
// the test is skipped).
class SmallDisk {
 public:
  SmallDisk(fs::path dir, std::size_t bytes) : m_dir(std::move(dir)) {
    fs::create_directories(m_dir);
    const std::string options = fmt::format("size={},mode=0700", bytes);
    m_mounted = ::mount("tmpfs", m_dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!m_mounted) m_error = std::strerror(errno);
  }
  ~SmallDisk() {
    if (m_mounted && ::umount(m_dir.c_str()) != 0) ::umount2(m_dir.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  [[nodiscard]] bool mounted() const { return m_mounted; }
  [[nodiscard]] const std::string& error() const { return m_error; }
  // Makes room: the same file system, BYTES large.
  bool grow(std::size_t bytes) {
    const std::string options = fmt::format("size={},mode=0700", bytes);
    return ::mount("tmpfs", m_dir.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

 private:
  fs::path m_dir;
  bool m_mounted = false;
  std::string m_error;
};

// ---------------------------------------------------------------------------------------
// The fixture: a scratch directory, a Dovecot per test, the CLI with the passwords in its
// environment.

class Fetch : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/sbin/dovecot") && !test::have_program("dovecot")) {
      if (test::in_ci()) FAIL() << "dovecot is not installed (dovecot-core, dovecot-pop3d)";
      GTEST_SKIP() << "dovecot is not installed (dovecot-core, dovecot-pop3d)";
    }
  }

  testbed::Dovecot start_dovecot(const std::string& name, bool tls = true,
                                 bool untrusted_certificate = false) const {
    testbed::DovecotOptions o;
    o.work_dir = m_dir / name;
    const std::string prefix = untrusted_certificate ? "untrusted-server" : "pop3-server";
    const auto file = [&](const std::string& f) {
      return untrusted_certificate ? test_cert(f) : demo(f);
    };
    o.tls_chain_pem = test::read(file(prefix + "-chain.pem"));
    o.tls_key_pem = test::read(file(prefix + ".key"));
    o.tls = tls;
    o.users.push_back({kUser, kPassword});
    return testbed::Dovecot::start(std::move(o));
  }

  static std::string stls_url(std::uint16_t port) {
    return fmt::format("pop3://{}@127.0.0.1:{}", kUser, port);
  }
  static std::string pop3s_url(std::uint16_t port) {
    return fmt::format("pop3s://{}@127.0.0.1:{}", kUser, port);
  }

  static std::vector<std::string> passwords_env() {
    return {std::string(kPassVar) + "=" + kPassword, std::string(kP12Var) + "=demo"};
  }

  // `smimekit fetch ARGS...` with the passwords in the child's environment.
  static RunResult fetch_cli(const std::vector<std::string>& args,
                             const std::vector<std::string>& env = passwords_env()) {
    std::vector<std::string> full{"env"};
    full.insert(full.end(), env.begin(), env.end());
    full.push_back(SMIMEKIT_BINARY);
    full.push_back("fetch");
    full.insert(full.end(), args.begin(), args.end());
    return test::run(full);
  }

  // The options every fetch here needs: where to deliver and report, the demo CA for the
  // server, the password from the environment, the demo root for signatures, JSON summary.
  static std::vector<std::string> common(const fs::path& maildir, const fs::path& report) {
    return {"--maildir", p(maildir),          "--report", p(report),
            "--cacert",  p(demo("root.pem")), "--pass",   std::string("env:") + kPassVar,
            "--anchor",  p(demo("root.pem")), "--json"};
  }

  static std::vector<std::string> bob_p12() {
    return {"--p12", p(demo("bob.p12")), "--key-pass", std::string("env:") + kP12Var};
  }

  // The same fetch through the library.
  FetchOptions library_options(std::uint16_t port, const fs::path& maildir) const {
    FetchOptions o;
    o.server.host = "127.0.0.1";
    o.server.port = port;
    o.server.tls = pop3::TlsMode::StartTls;
    o.server.cacert = p(demo("root.pem"));
    o.credentials.user = kUser;
    o.credentials.password = [] { return Secret(kPassword); };
    o.maildir = maildir;
    o.report = m_dir / "library-report.jsonl";
    o.open.trust.anchors = load_certificates(demo("root.pem"));
    o.authserv_id = "fetch-test.example";
    return o;
  }

  static void deliver_mixed(const testbed::Dovecot& server) {
    for (const Sample& s : mixed_mailbox()) server.deliver(kUser, s.bytes);
  }

  TempDir m_dir;
};

// Case 1 ---------------------------------------------------------------------------------

TEST_F(Fetch, MixedMailboxOverStlsVerdictsHeadersReportAndBytes) {
  const testbed::Dovecot server = start_dovecot("server");
  deliver_mixed(server);
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";

  const RunResult r =
      fetch_cli(concat(concat({stls_url(server.pop3_port())}, common(maildir, report)), bob_p12()));
  ASSERT_EQ(r.exit_code, 0) << show(r);
  expect_mixed_summary(r);
  expect_mixed_delivery(maildir, report, false);
  EXPECT_EQ(on_server(server).size(), 6u) << "nothing may be deleted without --delete";
  // No password on the command line, and none in what was printed.
  EXPECT_FALSE(contains(r.out + r.err, kPassword)) << show(r);
}

TEST_F(Fetch, MixedMailboxOverPop3sStoresDecrypted) {
  const testbed::Dovecot server = start_dovecot("server");
  deliver_mixed(server);
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";

  const RunResult r = fetch_cli(
      concat(concat({pop3s_url(server.pop3s_port())}, common(maildir, report)),
             {"--key", p(demo("bob.key")), "--cert", p(demo("bob.pem")), "--store-decrypted"}));
  ASSERT_EQ(r.exit_code, 0) << show(r);
  expect_mixed_summary(r);
  expect_mixed_delivery(maildir, report, true);
}

TEST_F(Fetch, LibraryFetchReportsEachMessageAndNamesTheAuthservId) {
  const testbed::Dovecot server = start_dovecot("server");
  deliver_mixed(server);
  const fs::path maildir = m_dir / "Maildir";
  FetchOptions options = library_options(server.pop3_port(), maildir);
  options.open.identities.push_back(load_pkcs12(demo("bob.p12"), Secret("demo")));

  std::vector<FetchedMessage> seen;
  const FetchSummary summary =
      fetch(options, {}, [&](const FetchedMessage& m) { seen.push_back(m); });
  EXPECT_EQ(summary.fetched, 6u);
  EXPECT_EQ(summary.valid, 2u);
  EXPECT_EQ(summary.decrypted, 1u);
  ASSERT_EQ(seen.size(), 6u);
  for (const FetchedMessage& m : seen) {
    EXPECT_TRUE(fs::exists(m.file)) << m.file;
    EXPECT_FALSE(m.uidl.empty());
  }
  expect_mixed_delivery(maildir, options.report, false, "fetch-test.example;");
}

// Case 2 ---------------------------------------------------------------------------------

TEST_F(Fetch, SecondRunFetchesNothingAndThenOnlyWhatIsNew) {
  const testbed::Dovecot server = start_dovecot("server");
  for (int i = 0; i < 3; ++i) server.deliver(kUser, signed_message(fmt::format("again-{}", i)));
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";
  const auto args = concat({stls_url(server.pop3_port())}, common(maildir, report));

  const RunResult first = fetch_cli(args);
  ASSERT_EQ(first.exit_code, 0) << show(first);
  EXPECT_EQ(count(summary_of(first), "fetched"), 3u) << show(first);

  const RunResult second = fetch_cli(args);
  ASSERT_EQ(second.exit_code, 0) << show(second);
  EXPECT_EQ(count(summary_of(second), "fetched"), 0u) << show(second);
  EXPECT_EQ(count(summary_of(second), "on_server"), 3u) << show(second);
  EXPECT_EQ(messages_in(maildir).size(), 3u);

  const std::string late = signed_message("again-late");
  server.deliver(kUser, late);
  const RunResult third = fetch_cli(args);
  ASSERT_EQ(third.exit_code, 0) << show(third);
  EXPECT_EQ(count(summary_of(third), "fetched"), 1u) << show(third);
  EXPECT_EQ(count(summary_of(third), "valid"), 1u) << show(third);
  expect_each_once(maildir,
                   {id_of("again-0"), id_of("again-1"), id_of("again-2"), id_of("again-late")});
  // The one fetched last is the new message, byte for byte.
  const std::vector<json> report_json = report_lines(report);
  ASSERT_EQ(report_json.size(), 4u);
  const Stored stored = split_stored(test::read(report_json.back().value("file", "")));
  EXPECT_EQ(stored.rest, test::to_crlf(late));
}

// fetch harvests the certificates of VALID signers into the store, unless --no-harvest.
TEST_F(Fetch, HarvestsValidSignersIntoTheStoreUnlessTold) {
  const testbed::Dovecot server = start_dovecot("server");
  deliver_mixed(server);
  const fs::path store = m_dir / "store";
  RunResult r =
      test::run({SMIMEKIT_BINARY, "anchors", "add", p(demo("root.pem")), "--store", p(store)});
  ASSERT_EQ(r.exit_code, 0) << show(r);

  r = fetch_cli(concat(
      concat({stls_url(server.pop3_port())}, common(m_dir / "Maildir", m_dir / "report.jsonl")),
      {"--store", p(store), "--no-harvest"}));
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(r.err.find("harvested"), std::string::npos) << show(r);
  r = test::run({SMIMEKIT_BINARY, "certs", "list", "--store", p(store)});
  EXPECT_TRUE(r.out.empty()) << show(r);

  // A second Maildir has seen nothing yet, so everything is fetched again, now harvesting.
  r = fetch_cli(concat(
      concat({stls_url(server.pop3_port())}, common(m_dir / "Maildir2", m_dir / "report2.jsonl")),
      {"--store", p(store)}));
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_NE(r.err.find("harvested alice@example.org"), std::string::npos) << show(r);
  r = test::run({SMIMEKIT_BINARY, "certs", "find", "alice@example.org", "--store", p(store)});
  EXPECT_EQ(r.exit_code, 0) << show(r);
  // Only the valid signer: the forged and unsigned messages brought nobody in.
  r = test::run({SMIMEKIT_BINARY, "certs", "list", "--store", p(store)});
  std::size_t user_lines = 0;
  for (const auto& line : lines(r.out))
    user_lines += line.find("@example.org") != std::string::npos;
  EXPECT_EQ(user_lines, 1u) << show(r);
}

// Case 3 ---------------------------------------------------------------------------------

TEST_F(Fetch, DeleteRemovesExactlyTheDeliveredMessages) {
  const testbed::Dovecot server = start_dovecot("server");
  for (int i = 0; i < 4; ++i) server.deliver(kUser, signed_message(fmt::format("del-{}", i)));
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";
  const auto args = concat({stls_url(server.pop3_port())}, common(maildir, report));

  // Without --delete: everything stays on the server.
  const RunResult keep = fetch_cli(args);
  ASSERT_EQ(keep.exit_code, 0) << show(keep);
  EXPECT_EQ(on_server(server).size(), 4u);

  // Two more arrive; a fetch with deletion takes them and deletes all six (four of them
  // delivered by the run before). A seventh arrives while it runs, after the listing: it was
  // never delivered, so it must stay.
  server.deliver(kUser, signed_message("del-4"));
  server.deliver(kUser, signed_message("del-5"));
  FetchOptions options = library_options(server.pop3_port(), maildir);
  options.remove_after_delivery = true;
  bool added = false;
  const FetchSummary summary = fetch(options, {}, [&](const FetchedMessage&) {
    if (!added) server.deliver(kUser, signed_message("del-late"));
    added = true;
  });
  EXPECT_TRUE(added);
  EXPECT_EQ(summary.on_server, 6u);
  EXPECT_EQ(summary.fetched, 2u);
  EXPECT_EQ(summary.removed, 6u);
  EXPECT_EQ(ids_on_server(server), std::set<std::string>{id_of("del-late")})
      << "the server must keep exactly the message it got after the listing";

  // The CLI with --delete takes the late one and leaves the maildrop empty.
  const RunResult rest = fetch_cli(concat(args, {"--delete"}));
  ASSERT_EQ(rest.exit_code, 0) << show(rest);
  EXPECT_EQ(count(summary_of(rest), "fetched"), 1u) << show(rest);
  EXPECT_EQ(count(summary_of(rest), "deleted"), 1u) << show(rest);
  EXPECT_TRUE(on_server(server).empty());
  expect_each_once(maildir, {id_of("del-0"), id_of("del-1"), id_of("del-2"), id_of("del-3"),
                             id_of("del-4"), id_of("del-5"), id_of("del-late")});
}

// Case 4 ---------------------------------------------------------------------------------

// What Dovecot 2.3 logs when a login session ends without any authentication:
//   pop3-login: Info: Disconnected: Connection closed (no auth attempts in 0 secs): user=<>,
//     rip=127.0.0.2, lip=127.0.0.1, session=<...>
// (rip=127.0.0.2 is the testbed's relay in front of the plain port, 127.0.0.1 is POP3S), with
// "TLS handshaking: SSL_accept() failed: ... alert unknown ca" when the client refused the
// certificate; and when there was one:
//   pop3-login: Info: Disconnected: ... (auth failed, 1 attempts in 2 secs): user=<bob>, ...
//   pop3-login: Info: Login: user=<bob>, method=SCRAM-SHA-256, ...
// The testbed's own probes at start-up log "no auth attempts" lines too, a little after
// start() returned: quiet_log_size() waits for them, and only what was logged after BEFORE
// (a size of the log) counts. Waits until SESSIONS login sessions ended
// there, then checks that none of them (nor anything else) tried to authenticate, and
// returns the new part of the log.
std::size_t quiet_log_size(const testbed::Dovecot& server) {
  std::string log = server.log();
  for (int quiet = 0, i = 0; quiet < 6 && i < 60; ++i) {
    std::this_thread::sleep_for(50ms);
    std::string now = server.log();
    quiet = now == log ? quiet + 1 : 0;
    log = std::move(now);
  }
  return log.size();
}

std::string expect_no_login_attempt(const testbed::Dovecot& server, std::size_t before,
                                    std::size_t sessions) {
  std::string log, fresh;
  for (int i = 0; i < 100; ++i) {
    log = server.log();
    fresh = log.substr(std::min(before, log.size()));
    if (count_of(fresh, "no auth attempts") >= sessions) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(count_of(fresh, "no auth attempts"), sessions) << fresh;
  EXPECT_EQ(count_of(fresh, "pop3-login:"), sessions) << fresh;
  EXPECT_EQ(count_of(fresh, "user=<>"), sessions) << fresh;
  EXPECT_FALSE(contains(log, "user=<bob>")) << log;
  EXPECT_FALSE(contains(log, "auth failed")) << log;
  EXPECT_FALSE(contains(log, "Login: ")) << log;
  return fresh;
}

TEST_F(Fetch, UntrustedServerCertificateIsRefusedBeforeLogin) {
  const testbed::Dovecot server = start_dovecot("server", true, true);
  server.deliver(kUser, signed_message("untrusted"));
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";
  const std::size_t before = quiet_log_size(server);

  const RunResult stls = fetch_cli(concat({stls_url(server.pop3_port())}, common(maildir, report)));
  EXPECT_EQ(stls.exit_code, 69) << show(stls);
  EXPECT_TRUE(contains(stls.err, "smimekit: error:")) << show(stls);
  EXPECT_TRUE(contains(stls.err, "not trusted")) << show(stls);

  const RunResult tls =
      fetch_cli(concat({pop3s_url(server.pop3s_port())}, common(maildir, report)));
  EXPECT_EQ(tls.exit_code, 69) << show(tls);

  // Both sessions ended in the TLS handshake. The client's "unknown ca" alert reaches Dovecot
  // on the POP3S port; behind the testbed's relay of the plain port it sometimes does not
  // (Dovecot then logs "TLS handshaking: Connection closed"), so it is asked for once.
  const std::string fresh = expect_no_login_attempt(server, before, 2);
  EXPECT_EQ(count_of(fresh, "TLS handshaking"), 2u) << fresh;
  EXPECT_TRUE(contains(fresh, "alert unknown ca")) << fresh;
  EXPECT_TRUE(messages_in(maildir).empty());
  EXPECT_EQ(on_server(server).size(), 1u);
}

TEST_F(Fetch, ServerWithoutStlsIsRefusedBeforeLogin) {
  const testbed::Dovecot server = start_dovecot("server", false);
  server.deliver(kUser, signed_message("plain"));
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";
  const std::size_t before = quiet_log_size(server);

  const RunResult r = fetch_cli(concat({stls_url(server.pop3_port())}, common(maildir, report)));
  EXPECT_EQ(r.exit_code, 69) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_TRUE(contains(r.err, "STLS")) << show(r);
  const std::string fresh = expect_no_login_attempt(server, before, 1);
  EXPECT_TRUE(contains(fresh, "rip=127.0.0.2")) << "the session on the plain port: " << fresh;
  EXPECT_TRUE(messages_in(maildir).empty());
}

TEST_F(Fetch, WrongPasswordExits77) {
  const testbed::Dovecot server = start_dovecot("server");
  server.deliver(kUser, signed_message("wrong-password"));
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";

  const RunResult r = fetch_cli(concat({stls_url(server.pop3_port())}, common(maildir, report)),
                                {std::string(kPassVar) + "=not-the-password"});
  EXPECT_EQ(r.exit_code, 77) << show(r);
  EXPECT_TRUE(contains(r.err, "smimekit: error:")) << show(r);
  EXPECT_FALSE(contains(r.out + r.err, "not-the-password")) << show(r);
  // One refusal ends the run: no second mechanism is tried (docs/security.md).
  std::string log;
  for (int i = 0; i < 100 && !contains(log, "auth failed"); ++i) {
    std::this_thread::sleep_for(50ms);
    log = server.log();
  }
  EXPECT_TRUE(contains(log, "(auth failed, 1 attempts")) << log;
  EXPECT_EQ(count_of(log, "user=<bob>"), 1u) << log;
  EXPECT_TRUE(messages_in(maildir).empty());
  EXPECT_EQ(on_server(server).size(), 1u);
}

// Case 5 ---------------------------------------------------------------------------------

TEST_F(Fetch, ConnectionCutInTheMiddleOfRetrKeepsWhatArrivedWhole) {
  const testbed::Dovecot server = start_dovecot("server");
  std::set<std::string> ids;
  std::map<std::string, std::string> originals;
  for (int i = 0; i < 30; ++i) {
    const std::string tag = fmt::format("cut-{:02}", i);
    const std::string m = signed_message(tag, 40);
    server.deliver(kUser, m);
    ids.insert(id_of(tag));
    originals[id_of(tag)] = m;
  }
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";

  // The account is user@host:port, so both runs go through the same proxy port: the first
  // connection is cut after 60000 bytes from the server (the TLS handshake, the listing and
  // half a dozen of the ~8 KB messages, in the middle of the next RETR), the second run's
  // passes untouched.
  test::TcpProxy proxy(server.pop3_port());
  proxy.cut_after_server_bytes(60000);
  const auto args = concat({stls_url(proxy.port())}, common(maildir, report));

  const RunResult cut = fetch_cli(concat(args, {"--delete"}));
  EXPECT_EQ(cut.exit_code, 75) << show(cut);
  const std::size_t first = messages_in(maildir).size();
  std::cout << "[ cut      ] " << first << " of 30 messages delivered before the cut\n";
  EXPECT_GE(first, 1u) << "the messages received whole before the cut must be delivered";
  EXPECT_LT(first, 30u) << "the cut came too late to test anything";
  EXPECT_EQ(on_server(server).size(), 30u) << "a run that failed must delete nothing";
  // Messages are retrieved in order, so what arrived whole is the first FIRST of them.
  std::set<std::string> arrived;
  for (std::size_t i = 0; i < first; ++i) arrived.insert(id_of(fmt::format("cut-{:02}", i)));
  for (const fs::path& f : messages_in(maildir)) {
    const Stored stored = split_stored(test::read(f));
    const auto it = originals.find(message_id(stored.rest));
    ASSERT_NE(it, originals.end()) << "not a whole message: " << f;
    EXPECT_EQ(stored.rest, test::to_crlf(it->second)) << "a partial message delivered: " << f;
    EXPECT_EQ(arrived.count(it->first), 1u) << it->first << " delivered, but one before it not";
  }

  EXPECT_EQ(proxy.cuts(), 1u);
  proxy.clear_cut();
  const RunResult rest = fetch_cli(concat(args, {"--delete"}));
  ASSERT_EQ(rest.exit_code, 0) << show(rest);
  EXPECT_EQ(count(summary_of(rest), "fetched"), 30u - first) << show(rest);
  EXPECT_EQ(count(summary_of(rest), "deleted"), 30u) << show(rest);
  expect_each_once(maildir, ids);
  EXPECT_TRUE(on_server(server).empty());
}

// Case 6 ---------------------------------------------------------------------------------

// A fetch killed with SIGKILL at some point, then run again to completion.
struct KillPoint {
  std::string name;
  std::chrono::milliseconds after{0};  // kill this long after the start, or
  int staged = 0;                      // once this many files were created in tmp/, or
  int delivered = 0;                   // once this many files were renamed into new/, or
  bool recorded = false;               // once the UIDL state was renamed into place
};

TEST_F(Fetch, SigkillAtAnyMomentLosesNothingAndDoublesNothing) {
  const testbed::Dovecot server = start_dovecot("server");
  // 200 signed messages of ~8 KB: opening each verifies a signature and a chain, which makes
  // the fetch last long enough (some 0.3-0.5 s here) to be hit in its middle.
  std::vector<std::string> mailbox;
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    const std::string tag = fmt::format("kill-{:03}", i);
    mailbox.push_back(signed_message(tag, 40));
    ids.insert(id_of(tag));
  }

  // The time points hit the login, the retrieval or the commit depending on the machine (on
  // the development machine: 20 ms the TLS handshake or the login, 250-400 ms the retrieval,
  // with 50-150 messages staged; the login alone takes some 200 ms). The file points hit the
  // middle whatever the speed: while messages are staged in tmp/; while the batch is renamed
  // into new/ (the journal's window: on the first rename, and after 100); and after the UIDLs
  // were recorded but before QUIT. The whole fetch is one batch (the CLI has no batch option;
  // the default is 512 messages). A point that misses (the fetch was already over) still
  // leaves a valid test of a rerun; each point prints what it hit.
  const std::vector<KillPoint> points = {
      {"after 20 ms", 20ms},
      {"after 250 ms", 250ms},
      {"after 320 ms", 320ms},
      {"after 400 ms", 400ms},
      {"100 files staged in tmp/", 0ms, 100},
      {"first file renamed into new/", 0ms, 0, 1},
      {"100 files renamed into new/", 0ms, 0, 100},
      {"UIDLs recorded, before QUIT", 0ms, 0, 0, true},
  };
  int round = 0;
  for (const KillPoint& point : points) {
    SCOPED_TRACE(point.name);
    for (const std::string& m : mailbox) server.deliver(kUser, m);
    const fs::path maildir = m_dir / fmt::format("Maildir-{}", round++);
    const fs::path report = maildir.string() + ".jsonl";
    for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(maildir / sub);
    fs::permissions(maildir, fs::perms::owner_all);
    const auto args =
        concat(concat({stls_url(server.pop3_port())}, common(maildir, report)), {"--delete"});

    const int watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(watch, 0) << std::strerror(errno);
    const int tmp_watch = ::inotify_add_watch(watch, (maildir / "tmp").c_str(), IN_CREATE);
    const int new_watch =
        ::inotify_add_watch(watch, (maildir / "new").c_str(), IN_MOVED_TO | IN_CREATE);
    const int root_watch = ::inotify_add_watch(watch, maildir.c_str(), IN_MOVED_TO);
    ASSERT_TRUE(tmp_watch >= 0 && new_watch >= 0 && root_watch >= 0) << std::strerror(errno);

    std::vector<std::string> child_args{SMIMEKIT_BINARY, "fetch"};
    child_args.insert(child_args.end(), args.begin(), args.end());
    const auto started = std::chrono::steady_clock::now();
    Child child(child_args, passwords_env(), maildir.string() + ".out");
    int staged = 0, arrived = 0;
    bool recorded = false, killed = false;
    while (!child.finished()) {
      const auto elapsed = std::chrono::steady_clock::now() - started;
      if ((point.after > 0ms && elapsed >= point.after) ||
          (point.staged > 0 && staged >= point.staged) ||
          (point.delivered > 0 && arrived >= point.delivered) || (point.recorded && recorded)) {
        killed = child.kill();
        break;
      }
      ASSERT_LT(elapsed, 60s) << "the fetch hangs";
      pollfd pfd{watch, POLLIN, 0};
      ::poll(&pfd, 1, 1);
      alignas(inotify_event) char buf[16384];
      for (ssize_t n; (n = ::read(watch, buf, sizeof buf)) > 0;) {
        for (char* at = buf; at < buf + n;) {
          const auto* event = reinterpret_cast<const inotify_event*>(at);
          if (event->wd == tmp_watch) ++staged;
          if (event->wd == new_watch) ++arrived;
          if (event->wd == root_watch && event->len > 0 &&
              std::string_view(event->name).rfind("smimekit-uidls.", 0) == 0 &&
              !std::string_view(event->name).ends_with(".tmp")) {
            recorded = true;
          }
          at += sizeof(inotify_event) + event->len;
        }
      }
    }
    ::close(watch);
    const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    const std::size_t in_new = files_in(maildir / "new").size();
    const std::size_t left = settled_on_server(server);
    std::cout << "[ kill     ] " << point.name << ": "
              << (killed ? "killed" : "MISSED, the fetch had ended") << " at " << at.count()
              << " ms with " << files_in(maildir / "tmp").size() << " files in tmp/, " << in_new
              << " in new/, " << left << " on the server\n";
    if (!killed) {
      EXPECT_TRUE(WIFEXITED(child.status()) && WEXITSTATUS(child.status()) == 0)
          << test::read(maildir.string() + ".out");
    }

    // The rerun settles what the killed run left: every file that reached new/ counts as
    // delivered, everything else is fetched again; then all of it is deleted on the server.
    const RunResult again = fetch_cli(args);
    ASSERT_EQ(again.exit_code, 0) << show(again);
    EXPECT_EQ(count(summary_of(again), "fetched"), 200u - in_new) << show(again);
    EXPECT_EQ(count(summary_of(again), "deleted"), left) << show(again);
    expect_each_once(maildir, ids);
    EXPECT_TRUE(files_in(maildir / "tmp").empty()) << "staged files left behind";
    EXPECT_TRUE(on_server(server).empty()) << on_server(server).size() << " left on the server";
  }
}

// Case 7 ---------------------------------------------------------------------------------

TEST_F(Fetch, FullDiskExits74DeletesNothingAndTheNextRunCompletes) {
  const testbed::Dovecot server = start_dovecot("server");
  std::set<std::string> ids;
  std::map<std::string, std::string> originals;
  std::size_t largest = 0;
  for (int i = 0; i < 30; ++i) {
    const std::string tag = fmt::format("full-{:02}", i);
    const std::string m = signed_message(tag, 200);  // ~20 KB
    server.deliver(kUser, m);
    ids.insert(id_of(tag));
    originals[id_of(tag)] = m;
    largest = std::max(largest, test::to_crlf(m).size() + 512);
  }
  // Room for ten stored messages and three pages more: the eleventh does not fit.
  const std::size_t page = 4096;
  const std::size_t size = ((largest + page - 1) / page) * page * 10 + 3 * page;
  SmallDisk disk(m_dir / "disk", size);
  if (!disk.mounted())
    GTEST_SKIP() << "cannot mount a small tmpfs to fill (needs root): " << disk.error();
  const fs::path maildir = m_dir / "disk" / "Maildir", report = m_dir / "report.jsonl";
  const auto args =
      concat(concat({stls_url(server.pop3_port())}, common(maildir, report)), {"--delete"});

  const RunResult full = fetch_cli(args);
  EXPECT_EQ(full.exit_code, 74) << show(full);
  EXPECT_TRUE(contains(full.err, "smimekit: error:")) << show(full);
  EXPECT_EQ(on_server(server).size(), 30u) << "a run that failed must delete nothing";
  const std::vector<fs::path> fitted = messages_in(maildir);
  std::cout << "[ full     ] " << fitted.size() << " of 30 messages fitted on the " << size
            << "-byte file system\n";
  EXPECT_GE(fitted.size(), 1u) << "the messages that fit must be delivered";
  EXPECT_LT(fitted.size(), 30u) << "the disk did not fill";
  for (const fs::path& f : fitted) {
    const Stored stored = split_stored(test::read(f));
    const auto it = originals.find(message_id(stored.rest));
    ASSERT_NE(it, originals.end()) << "not a whole message: " << f;
    EXPECT_EQ(stored.rest, test::to_crlf(it->second)) << "a partial file in new/: " << f;
  }
  EXPECT_TRUE(files_in(maildir / "tmp").empty()) << "staged files left on the full disk";

  ASSERT_TRUE(disk.grow(16 * 1024 * 1024)) << std::strerror(errno);
  const RunResult rest = fetch_cli(args);
  ASSERT_EQ(rest.exit_code, 0) << show(rest);
  EXPECT_EQ(count(summary_of(rest), "fetched"), 30u - fitted.size()) << show(rest);
  expect_each_once(maildir, ids);
  EXPECT_TRUE(on_server(server).empty());
}

// Case 8 ---------------------------------------------------------------------------------

TEST_F(Fetch, ConfigFileAccountWithPasswordCommand) {
  const testbed::Dovecot server = start_dovecot("server");
  deliver_mixed(server);
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";
  const fs::path secret = m_dir / "pop3.pass";
  test::write(secret, std::string(kPassword) + "\n");
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  const fs::path config = m_dir / "config.toml";
  test::write(config,
              fmt::format(R"([account.other]
url = "pop3s://carol@mail.example.org"
maildir = "{0}/elsewhere"

[account.bob]
host = "127.0.0.1"
port = {1}
tls = "starttls"
user = "bob"
password_command = "cat {2}"
cacert = "{3}"
maildir = "{4}"
report = "{5}"
anchors = ["{3}"]
p12 = "{6}"
p12_password = "env:{7}"
)",
                          p(m_dir.path()), server.pop3_port(), p(secret), p(demo("root.pem")),
                          p(maildir), p(report), p(demo("bob.p12")), kP12Var));
  // No password in the file: readable by others is fine.
  fs::permissions(config, fs::perms(0644));
  const RunResult r = fetch_cli({"--config", p(config), "--account", "bob", "--json"},
                                {std::string(kP12Var) + "=demo"});
  ASSERT_EQ(r.exit_code, 0) << show(r);
  expect_mixed_summary(r);
  expect_mixed_delivery(maildir, report, false);
}

TEST_F(Fetch, ConfigFileHoldingAPasswordMustBePrivate) {
  const testbed::Dovecot server = start_dovecot("server");
  deliver_mixed(server);
  const fs::path maildir = m_dir / "Maildir", report = m_dir / "report.jsonl";
  const fs::path config = m_dir / "config.toml";
  test::write(config, fmt::format(R"([account.bob]
url = "pop3://bob@127.0.0.1:{0}"
password = "pass:{1}"
cacert = "{2}"
maildir = "{3}"
report = "{4}"
anchors = ["{2}"]
)",
                                  server.pop3_port(), kPassword, p(demo("root.pem")), p(maildir),
                                  p(report)));

  fs::permissions(config, fs::perms(0644));
  const RunResult open = fetch_cli({"--config", p(config), "--account", "bob", "--json"}, {});
  EXPECT_EQ(open.exit_code, 64) << show(open);
  EXPECT_TRUE(contains(open.err, "smimekit: error:")) << show(open);
  EXPECT_FALSE(contains(open.out + open.err, kPassword)) << show(open);
  EXPECT_TRUE(messages_in(maildir).empty());
  EXPECT_FALSE(contains(server.log(), "user=<bob>"))
      << "the password of a refused file must not be used";

  fs::permissions(config, fs::perms(0600));
  const RunResult ok = fetch_cli({"--config", p(config), "--account", "bob", "--json"}, {});
  ASSERT_EQ(ok.exit_code, 0) << show(ok);
  EXPECT_EQ(count(summary_of(ok), "fetched"), 6u) << show(ok);
  EXPECT_EQ(messages_in(maildir).size(), 6u);
}

// Every login method smimekit offers works against the real server, over TLS only, and the
// summary names the one used. APOP is used only when named.
TEST_F(Fetch, EachLoginMechanismWorksWhenNamed) {
  const testbed::Dovecot server = start_dovecot("server");
  server.deliver(kUser, signed_message("mechanisms"));
  for (const std::string mechanism : {"SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5", "USER", "APOP"}) {
    const fs::path maildir = m_dir / ("Maildir-" + mechanism);
    const RunResult r = fetch_cli(concat({stls_url(server.pop3_port()), "--mechanism", mechanism},
                                         common(maildir, m_dir / ("report-" + mechanism))));
    ASSERT_EQ(r.exit_code, 0) << mechanism << "\n" << show(r);
    const json summary = summary_of(r);
    EXPECT_EQ(summary["mechanism"], mechanism) << show(r);
    EXPECT_EQ(count(summary, "fetched"), 1u) << show(r);
  }
  // With nothing named, the strongest the server offers.
  const RunResult r = fetch_cli(concat({stls_url(server.pop3_port())},
                                       common(m_dir / "Maildir-default", m_dir / "report-default")));
  ASSERT_EQ(r.exit_code, 0) << show(r);
  EXPECT_EQ(summary_of(r)["mechanism"], "SCRAM-SHA-256") << show(r);
}

}  // namespace
}  // namespace smimekit

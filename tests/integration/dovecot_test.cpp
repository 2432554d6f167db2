// The Dovecot testbed itself, checked with nothing of smimekit's POP3 code: a raw socket,
// `openssl s_client` and the fault proxy. If these fail, the fetch tests cannot be trusted.
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "smimekit/error.h"
#include "support/tcp_proxy.h"
#include "support/test_support.h"
#include "testbed/dovecot.h"

namespace smimekit {
namespace {

using test::demo;
using test::test_cert;
using testbed::Dovecot;
using testbed::DovecotOptions;

constexpr const char* kPassword = "bob-pop3-secret";

#define REQUIRE_DOVECOT()                                                                   \
  if (::access("/usr/sbin/dovecot", X_OK) != 0) {                                           \
    if (test::in_ci()) FAIL() << "dovecot is not installed (scripts/setup.sh installs it)"; \
    GTEST_SKIP() << "dovecot is not installed (scripts/setup.sh installs it)";              \
  }

DovecotOptions options(const std::filesystem::path& work, const std::string& cert = "demo") {
  DovecotOptions o;
  o.work_dir = work;
  if (cert == "demo") {
    o.tls_chain_pem = test::read(demo("pop3-server-chain.pem"));
    o.tls_key_pem = test::read(demo("pop3-server.key"));
  } else {
    o.tls_chain_pem = test::read(test_cert("untrusted-server-chain.pem"));
    o.tls_key_pem = test::read(test_cert("untrusted-server.key"));
  }
  o.users.push_back({"bob", kPassword});
  return o;
}

/// A POP3 conversation over a plain socket, with a 5 s limit on every read.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (m_fd < 0 || ::connect(m_fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      throw std::runtime_error("cannot connect to port " + std::to_string(port) + ": " +
                               std::strerror(errno));
    }
  }
  ~RawClient() { ::close(m_fd); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& command) {
    const std::string line = command + "\r\n";
    if (::send(m_fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error("cannot send " + command);
    }
  }
  /// One line without its CRLF.
  std::string line() {
    std::size_t end;
    while ((end = m_buffer.find("\r\n")) == std::string::npos) {
      if (!fill()) throw std::runtime_error("connection closed; got: " + m_buffer);
    }
    std::string out = m_buffer.substr(0, end);
    m_buffer.erase(0, end + 2);
    return out;
  }
  /// The status line and the lines of a multi-line answer up to the ".".
  std::string multiline() {
    std::string out = line() + "\n";
    if (out.rfind("+OK", 0) != 0) return out;
    for (std::string l = line(); l != "."; l = line()) out += l + "\n";
    return out;
  }
  /// Everything until the server closes.
  std::string rest() {
    while (fill()) {
    }
    return std::exchange(m_buffer, {});
  }

 private:
  bool fill() {
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) throw std::runtime_error("no answer within 5 s");
    char buf[4096];
    const ssize_t n = ::read(m_fd, buf, sizeof buf);
    if (n <= 0) return false;
    m_buffer.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int m_fd;
  std::string m_buffer;
};

/// `openssl s_client -starttls pop3` to PORT, checking the server against the demo root,
/// with COMMANDS typed in.
test::RunResult starttls_session(std::uint16_t port, const std::string& commands) {
  return test::run({"openssl", "s_client", "-starttls", "pop3", "-connect",
                    "127.0.0.1:" + std::to_string(port), "-CAfile", demo("root.pem").string(),
                    "-verify_return_error", "-verify_hostname", "localhost", "-quiet", "-crlf"},
                   commands);
}

std::string show(const test::RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out + "\n--- stderr:\n" +
         r.err;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

const std::string kLogin = std::string("CAPA\nUSER bob\nPASS ") + kPassword + "\nSTAT\nQUIT\n";
const std::regex kTwoMessages(R"(\+OK 2 [0-9]+\r?\n)");

/// Processes in process group PGID (the Dovecot master's pid) that are not zombies.
std::vector<pid_t> living_members(pid_t pgid) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (const dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || ::getpgid(pid) != pgid) continue;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const std::size_t state = stat.rfind(')');  // the name in parentheses may hold spaces
    if (state != std::string::npos && stat.compare(state, 3, ") Z") != 0) out.push_back(pid);
  }
  ::closedir(proc);
  return out;
}

/// The pid of the master running with CONFIG, or -1.
pid_t master_of(const std::filesystem::path& config) {
  pid_t found = -1;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (const dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (contains(cmdline, std::string(1, '\0') + config.string())) found = pid;
  }
  ::closedir(proc);
  return found;
}

TEST(Dovecot, RefusesLoginsBeforeStlsAndServesMailAfterIt) {
  REQUIRE_DOVECOT();
  const test::TempDir dir;
  const auto started = std::chrono::steady_clock::now();
  Dovecot server = Dovecot::start(options(dir / "server"));
  const auto start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  RecordProperty("start_ms", std::to_string(start_ms));
  ASSERT_NE(server.pop3_port(), 0);
  ASSERT_NE(server.pop3s_port(), 0);
  EXPECT_NE(server.pop3_port(), server.pop3s_port());

  server.deliver("bob", test::sample_message());
  server.deliver("bob", test::sample_message("Carol Demo <carol@example.org>"));
  const std::filesystem::path inbox = server.maildir("bob");
  EXPECT_EQ(inbox, dir / "server" / "mail" / "bob");
  int delivered = 0;
  for (const auto& entry : std::filesystem::directory_iterator(inbox / "new")) {
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_NE(st.st_uid, 0u) << "Dovecot does not read mail as root";
    ++delivered;
  }
  EXPECT_EQ(delivered, 2);
  EXPECT_TRUE(std::filesystem::is_empty(inbox / "tmp"));

  {
    RawClient plain(server.pop3_port());
    EXPECT_EQ(plain.line().rfind("+OK", 0), 0u);
    plain.send("CAPA");
    const std::string caps = plain.multiline();
    EXPECT_TRUE(contains(caps, "\nSTLS\n")) << caps;
    EXPECT_TRUE(contains(caps, "\nPIPELINING\n")) << caps;
    // RFC 2595: no plaintext mechanism is offered before TLS.
    EXPECT_FALSE(contains(caps, "PLAIN")) << caps;
    plain.send("USER bob");
    const std::string refused = plain.line();
    EXPECT_EQ(refused.rfind("-ERR", 0), 0u) << refused;
    plain.send("QUIT");
  }

  const test::RunResult tls = starttls_session(server.pop3_port(), kLogin);
  ASSERT_EQ(tls.exit_code, 0) << show(tls);
  EXPECT_TRUE(contains(tls.out, "SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256")) << show(tls);
  EXPECT_TRUE(contains(tls.out, "PIPELINING")) << show(tls);
  EXPECT_TRUE(std::regex_search(tls.out, kTwoMessages)) << show(tls);

  {
    test::TcpProxy proxy(server.pop3_port());
    const test::RunResult proxied = starttls_session(proxy.port(), kLogin);
    ASSERT_EQ(proxied.exit_code, 0) << show(proxied);
    EXPECT_TRUE(std::regex_search(proxied.out, kTwoMessages)) << show(proxied);
    EXPECT_EQ(proxy.connections(), 1u);
    EXPECT_GT(proxy.server_to_client_bytes(), 1000u);  // the certificates, at least
    EXPECT_GT(proxy.client_to_server_bytes(), 100u);
    EXPECT_EQ(proxy.cuts(), 0u);

    proxy.cut_after_server_bytes(10);
    RawClient cut(proxy.port());
    EXPECT_EQ(cut.rest(), "+OK Doveco");
    EXPECT_EQ(proxy.cuts(), 1u);
    proxy.clear_cut();
    RawClient whole(proxy.port());
    EXPECT_EQ(whole.line().rfind("+OK", 0), 0u);
  }

  const std::string log = server.log();
  EXPECT_TRUE(std::filesystem::file_size(dir / "server" / "dovecot.log") > 0);
  EXPECT_TRUE(contains(log, "starting up for pop3")) << log;
  EXPECT_TRUE(contains(log, "Login: user=<bob>, method=PLAIN")) << log;
  EXPECT_FALSE(contains(log, "Error:")) << log;
}

TEST(Dovecot, RejectsAnUntrustedCertificateOnlyForTrust) {
  REQUIRE_DOVECOT();
  const test::TempDir dir;
  // A work directory too deep for Dovecot's sockets: they go to a directory of their own.
  const std::filesystem::path deep = dir / std::string(40, 'd') / std::string(40, 'e') / "server";
  const Dovecot server = Dovecot::start(options(deep, "untrusted"));
  const test::RunResult r = starttls_session(server.pop3_port(), kLogin);
  EXPECT_NE(r.exit_code, 0) << show(r);
  EXPECT_FALSE(std::regex_search(r.out, kTwoMessages)) << show(r);
  // The name matches; only the issuer is unknown.
  EXPECT_TRUE(contains(r.out + r.err, "unable to get local issuer certificate")) << show(r);
}

TEST(Dovecot, TwoServersAtOnceOneWithoutTls) {
  REQUIRE_DOVECOT();
  const test::TempDir dir;
  DovecotOptions no_tls = options(dir / "plain");
  no_tls.tls = false;
  no_tls.tls_chain_pem.clear();
  no_tls.tls_key_pem.clear();
  const Dovecot first = Dovecot::start(options(dir / "tls"));
  const Dovecot second = Dovecot::start(no_tls);
  EXPECT_EQ(second.pop3s_port(), 0);
  EXPECT_NE(first.pop3_port(), second.pop3_port());

  second.deliver("bob", test::sample_message());
  RawClient plain(second.pop3_port());
  EXPECT_EQ(plain.line().rfind("+OK", 0), 0u);
  plain.send("CAPA");
  const std::string caps = plain.multiline();
  EXPECT_FALSE(contains(caps, "STLS")) << caps;
  // A badly set-up server: the password goes in the clear, and it is taken.
  plain.send("USER bob");
  EXPECT_EQ(plain.line().rfind("+OK", 0), 0u);
  plain.send(std::string("PASS ") + kPassword);
  EXPECT_EQ(plain.line().rfind("+OK", 0), 0u);
  plain.send("STAT");
  EXPECT_EQ(plain.line().rfind("+OK 1 ", 0), 0u);
  plain.send("QUIT");

  RawClient other(first.pop3_port());
  EXPECT_EQ(other.line().rfind("+OK", 0), 0u);
}

TEST(Dovecot, StopLeavesNoProcessBehind) {
  REQUIRE_DOVECOT();
  const test::TempDir dir;
  Dovecot server = Dovecot::start(options(dir / "server"));
  const pid_t master = master_of(dir / "server" / "dovecot.conf");
  ASSERT_GT(master, 0);
  EXPECT_GE(living_members(master).size(), 3u);  // master, log, config, auth, ...
  const std::uint16_t port = server.pop3_port();
  const auto stopping = std::chrono::steady_clock::now();
  server.stop();
  const auto stop_time = std::chrono::steady_clock::now() - stopping;
  RecordProperty(
      "stop_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(stop_time).count()));
  // Bounded: 2 s of grace after SIGTERM, then SIGKILL (kStopTimeout), plus scheduling on a
  // loaded machine; a graceful stop takes well under a second.
  EXPECT_LT(stop_time, std::chrono::seconds(5));
  // Zombies do not count: they are dead, and reaping orphans is the job of pid 1.
  EXPECT_TRUE(living_members(master).empty());
  EXPECT_EQ(::kill(master, 0), -1);
  EXPECT_THROW(RawClient{port}, std::runtime_error);
  server.stop();  // again: nothing to do
}

TEST(Dovecot, RefusesWhatItCannotSetUp) {
  const test::TempDir dir;
  DovecotOptions no_pipelining = options(dir / "a");
  no_pipelining.pipelining = false;
  try {
    (void)Dovecot::start(no_pipelining);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == ErrorCode::Unsupported || e.code() == ErrorCode::Usage) << e.what();
  }
  if (::geteuid() == 0 && ::access("/usr/sbin/dovecot", X_OK) == 0) {
    // Dovecot's unprivileged processes could not reach the users file or the Maildirs.
    const std::filesystem::path locked = dir / "locked";
    std::filesystem::create_directory(locked);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_all);
    try {
      (void)Dovecot::start(options(locked / "server"));
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Usage) << e.what();
      EXPECT_TRUE(contains(e.what(), locked.string() + " has mode 0700")) << e.what();
    }
  }
  DovecotOptions colon = options(dir / "b");
  colon.users.push_back({"carol", "pass:word"});
  try {
    (void)Dovecot::start(colon);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    // Unsupported when dovecot is missing: that check comes first.
    EXPECT_TRUE(e.code() == ErrorCode::Usage || e.code() == ErrorCode::Unsupported) << e.what();
  }
}

}  // namespace
}  // namespace smimekit

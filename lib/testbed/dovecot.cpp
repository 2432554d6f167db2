// The private Dovecot of the tests and the demo.
//
// Three things here are not obvious from Dovecot's documentation:
//
// - Dovecot 2.3 treats every connection whose remote address equals its local address as
//   secured (login-common: `secured = ssl || trusted || remote_ip == local_ip`), so on
//   127.0.0.1 it would accept USER/PASS before STLS whatever disable_plaintext_auth and
//   ssl = required say. The plain port therefore goes through a small relay in this process
//   that connects to Dovecot from 127.0.0.2: Dovecot then sees a remote client and enforces
//   TLS like a real server. Its log shows rip=127.0.0.2 for that port. POP3S needs no relay.
// - Run as root, Dovecot starts as root and drops to default_internal_user (auth, stats,
//   anvil), default_login_user (pop3-login) and the mail user (pop3). Mail for uid 0 is
//   refused, so the mail user is "nobody"; the Maildirs and delivered messages belong to it.
//   Those unprivileged processes must be able to enter the work directory.
// - The master is the child's process group leader and gets SIGTERM when this process dies
//   (PR_SET_PDEATHSIG), so no Dovecot outlives a crashed test; stop() kills whatever of the
//   group is left after the master exits.
#include "testbed/dovecot.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <list>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "smimekit/error.h"
#include "smimekit/files.h"

extern char** environ;

namespace smimekit::testbed {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kDovecot = "/usr/sbin/dovecot";
constexpr const char* kPop3Binaries[] = {"/usr/lib/dovecot/pop3", "/usr/lib/dovecot/pop3-login"};
constexpr auto kStartTimeout = 20s;
// Dovecot stops in about half a second; a process caught starting up can hold it much longer.
constexpr auto kStopTimeout = 2s;
constexpr int kStartAttempts = 5;
// Unix socket paths hold 108 bytes; Dovecot's longest name below base_dir is about 25.
constexpr std::size_t kMaxBaseDir = 70;
// The address the relay connects from, so Dovecot does not take the client for itself.
constexpr const char* kRelaySource = "127.0.0.2";

[[noreturn]] void io_error(const std::string& what) {
  throw Error(ErrorCode::Io, fmt::format("{}: {}", what, std::strerror(errno)));
}

/// A file descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  [[nodiscard]] int get() const noexcept { return m_fd; }
  [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }
  void reset() noexcept {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

 private:
  int m_fd = -1;
};

sockaddr_in loopback(const char* address, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, address, &sa.sin_addr);
  return sa;
}

std::uint16_t local_port(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) io_error("getsockname");
  return ntohs(sa.sin_port);
}

/// A TCP socket bound to ADDRESS:PORT (0: any free port).
Fd bound_socket(const char* address, std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) io_error("cannot create a socket");
  const sockaddr_in sa = loopback(address, port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    io_error(fmt::format("cannot bind {}:{}", address, port));
  }
  return fd;
}

/// A port that was free a moment ago. Dovecot binds it itself, so another process may take it
/// in between; start() retries when that happens.
std::uint16_t free_port() {
  return local_port(bound_socket("127.0.0.1", 0).get());
}

/// Connects to 127.0.0.1:PORT; an invalid Fd when nothing listens there.
Fd connect_loopback(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) io_error("cannot create a socket");
  const sockaddr_in sa = loopback("127.0.0.1", port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) return Fd();
  return fd;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// ---------------------------------------------------------------------------------------------

/// Forwards 127.0.0.1:port() to Dovecot's plain port, connecting from 127.0.0.2 (see the top
/// of the file). One thread, poll() over every connection; half-closes are passed on.
class Relay {
 public:
  explicit Relay(std::uint16_t target) : m_target(target) {
    m_listener = bound_socket("127.0.0.1", 0);
    if (::listen(m_listener.get(), 64) != 0) io_error("cannot listen on 127.0.0.1");
    set_nonblocking(m_listener.get());
    m_port = local_port(m_listener.get());
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) io_error("cannot create a pipe");
    m_wake_read = Fd(wake[0]);
    m_wake_write = Fd(wake[1]);
    m_thread = std::thread([this] { run(); });
  }
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;
  ~Relay() {
    const char stop = 'x';
    while (::write(m_wake_write.get(), &stop, 1) < 0 && errno == EINTR) {
    }
    m_thread.join();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

 private:
  struct Side {
    Fd fd;
    std::string pending;  // read from the other side, not yet written to this one
    bool read_done = false;
    bool write_shut = false;
  };
  struct Link {
    Side client, server;
  };
  static constexpr std::size_t kMaxPending = 256 * 1024;

  void accept_one() {
    Fd client(::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;
    Fd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!server.valid()) return;
    const sockaddr_in from = loopback(kRelaySource, 0);
    const sockaddr_in to = loopback("127.0.0.1", m_target);
    if (::bind(server.get(), reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(server.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      return;  // the client sees the connection close, as if the server were down
    }
    set_nonblocking(client.get());
    set_nonblocking(server.get());
    // Without this, Nagle's algorithm holds every small answer back ~40 ms behind the
    // previous unacknowledged one, and clients that wait for each answer crawl.
    const int one = 1;
    ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Link& link = m_links.emplace_back();
    link.client.fd = std::move(client);
    link.server.fd = std::move(server);
  }

  /// Moves bytes from FROM into TO's buffer; false when the link broke.
  static bool pull(Side& from, Side& to) {
    char buf[16384];
    const ssize_t n = ::read(from.fd.get(), buf, sizeof buf);
    if (n > 0) {
      to.pending.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      from.read_done = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      return false;
    }
    return true;
  }

  static bool push(Side& to) {
    const ssize_t n = ::send(to.fd.get(), to.pending.data(), to.pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      to.pending.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    }
    return true;
  }

  /// Passes an end of stream on once everything before it was written; true once TO is shut
  /// for writing.
  static bool settle(Side& from, Side& to) {
    if (from.read_done && to.pending.empty() && !to.write_shut) {
      ::shutdown(to.fd.get(), SHUT_WR);
      to.write_shut = true;
    }
    return to.write_shut;
  }

  void run() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({m_wake_read.get(), POLLIN, 0});
      fds.push_back({m_listener.get(), POLLIN, 0});
      for (Link& link : m_links) {
        for (auto [side, other] :
             {std::pair{&link.client, &link.server}, std::pair{&link.server, &link.client}}) {
          short events = 0;
          if (!side->read_done && other->pending.size() < kMaxPending) events |= POLLIN;
          if (!side->pending.empty()) events |= POLLOUT;
          // A negative fd is skipped: no POLLHUP reports for a side with nothing to do.
          fds.push_back({events != 0 ? side->fd.get() : -1, events, 0});
        }
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) accept_one();
      std::size_t i = 2;
      for (auto it = m_links.begin(); it != m_links.end() && i < fds.size(); i += 2) {
        Link& link = *it;
        bool ok = true;
        for (auto [side, other, p] : {std::tuple{&link.client, &link.server, &fds[i]},
                                      std::tuple{&link.server, &link.client, &fds[i + 1]}}) {
          if (p->revents & (POLLIN | POLLHUP | POLLERR)) ok = ok && pull(*side, *other);
          if (p->revents & POLLOUT) ok = ok && push(*side);
        }
        const bool done = settle(link.client, link.server) && settle(link.server, link.client);
        it = (ok && !done) ? std::next(it) : m_links.erase(it);
      }
    }
  }

  std::uint16_t m_target;
  std::uint16_t m_port = 0;
  Fd m_listener, m_wake_read, m_wake_write;
  std::list<Link> m_links;  // only touched by the thread
  std::thread m_thread;
};

// ---------------------------------------------------------------------------------------------

/// What Dovecot's configuration parser and passwd-file take without quoting.
bool plain_path(const std::string& path) {
  for (const char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::strchr("/._-+,@=~", c) != nullptr;
    if (!ok) return false;
  }
  return !path.empty();
}

void check_users(const std::vector<DovecotUser>& users) {
  std::set<std::string> seen;
  for (const DovecotUser& u : users) {
    const bool name_ok = !u.name.empty() && u.name[0] != '.' && u.name[0] != '-' &&
                         u.name.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+") == std::string::npos;
    if (!name_ok) {
      throw Error(ErrorCode::Usage, fmt::format("dovecot user name '{}' is not usable: use "
                                                "letters, digits and ._-@+",
                                                u.name));
    }
    if (!seen.insert(u.name).second) {
      throw Error(ErrorCode::Usage, fmt::format("dovecot user {} is given twice", u.name));
    }
    const bool password_ok =
        !u.password.empty() && std::none_of(u.password.begin(), u.password.end(), [](char c) {
          return c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        });
    if (!password_ok) {
      throw Error(ErrorCode::Usage,
                  fmt::format("password of dovecot user {} is not usable: it must not be empty "
                              "or hold ':' or control characters (passwd-file format)",
                              u.name));
    }
  }
}

struct Account {
  uid_t uid;
  gid_t gid;
  std::string name;
};

Account account(const char* name) {
  const passwd* pw = ::getpwnam(name);
  if (pw == nullptr) {
    throw Error(ErrorCode::Unsupported,
                fmt::format("dovecot needs the system user {}, which does not exist: install "
                            "dovecot-core and dovecot-pop3d (scripts/setup.sh does)",
                            name));
  }
  return {pw->pw_uid, pw->pw_gid, pw->pw_name};
}

/// Dovecot's unprivileged processes (auth, pop3) open files below the work directory by path,
/// so every directory above it must let others pass.
void check_reachable(const std::filesystem::path& dir) {
  for (std::filesystem::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) io_error(fmt::format("cannot stat {}", p.string()));
    if ((st.st_mode & S_IXOTH) == 0) {
      throw Error(ErrorCode::Usage,
                  fmt::format("dovecot work directory {} is out of reach of Dovecot's "
                              "unprivileged users: {} has mode {:04o}; make it searchable "
                              "(chmod o+x) or put the work directory elsewhere",
                              dir.string(), p.string(), st.st_mode & 07777));
    }
    if (p == p.root_path()) break;
  }
}

void make_dir(const std::filesystem::path& dir, mode_t mode, uid_t uid, gid_t gid) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    io_error(fmt::format("cannot create {}", dir.string()));
  }
  if (::chmod(dir.c_str(), mode) != 0) io_error(fmt::format("cannot chmod {}", dir.string()));
  if (::chown(dir.c_str(), uid, gid) != 0) io_error(fmt::format("cannot chown {}", dir.string()));
}

void write_owned(const std::filesystem::path& file, std::string_view data, mode_t mode, uid_t uid,
                 gid_t gid) {
  write_file_atomic(file, data, mode);
  if (::chown(file.c_str(), uid, gid) != 0) io_error(fmt::format("cannot chown {}", file.string()));
}

std::string read_if_there(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string last_lines(const std::string& text, std::size_t count) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  while (count > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    --count;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

/// Connects to Dovecot's plain port and reads its greeting: "+OK" only comes once the login
/// process is connected to auth, so after this a client gets served at once.
bool greets(std::uint16_t port, Clock::time_point deadline) {
  Fd fd = connect_loopback(port);
  if (!fd.valid()) return false;
  std::string line;
  while (line.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[256];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return false;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::send(fd.get(), "QUIT\r\n", 6, MSG_NOSIGNAL);
  return line.rfind("+OK", 0) == 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct Dovecot::Impl {
  DovecotOptions options;
  bool root = false;
  Account internal{}, login{}, mail{};
  std::filesystem::path base_dir, private_base_dir, config, log_file, stderr_file;
  pid_t pid = -1;
  std::uint16_t dovecot_pop3 = 0, dovecot_pop3s = 0, relay_port = 0;
  std::unique_ptr<Relay> relay;
  std::atomic<unsigned> deliveries{0};

  ~Impl() { stop(); }

  [[nodiscard]] std::filesystem::path maildir(std::string_view user) const {
    return options.work_dir / "mail" / std::string(user);
  }

  [[nodiscard]] std::string log_text() const {
    std::string text = read_if_there(log_file);
    const std::string err = read_if_there(stderr_file);
    if (!err.empty()) text += "--- dovecot's standard error:\n" + err;
    return text;
  }

  void prepare();
  void write_config() const;
  void spawn();
  /// Waits for both ports. Returns false when Dovecot exited because a port was taken.
  [[nodiscard]] bool wait_ready();
  /// Stops the master (and with it every Dovecot process) and reaps it.
  void stop_server() noexcept;
  void stop() noexcept;
};

void Dovecot::Impl::prepare() {
  namespace fs = std::filesystem;
  root = ::geteuid() == 0;
  if (root) {
    internal = account("dovecot");
    login = account("dovenull");
    mail = account("nobody");
  } else {
    // Every process runs as this user and group; Dovecot cannot switch without root.
    const passwd* pw = ::getpwuid(::geteuid());
    if (pw == nullptr) throw Error(ErrorCode::Unsupported, "dovecot: this user has no name");
    internal = login = mail = {::geteuid(), ::getegid(), pw->pw_name};
  }

  fs::path& work = options.work_dir;
  work = fs::absolute(work).lexically_normal();
  if (!work.has_filename()) work = work.parent_path();
  if (!plain_path(work.string())) {
    throw Error(ErrorCode::Usage,
                fmt::format("dovecot work directory {} has characters Dovecot's configuration "
                            "cannot take: use letters, digits and /._-+,@=~",
                            work.string()));
  }
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) {
    throw Error(ErrorCode::Io, fmt::format("cannot create {}: {}", work.string(), ec.message()));
  }
  if (root) check_reachable(work);
  const uid_t me = ::geteuid();
  const gid_t my_group = ::getegid();
  make_dir(work, 0711, me, my_group);
  make_dir(work / "state", 0750, me, my_group);
  make_dir(work / "mail", 0711, me, my_group);
  for (const DovecotUser& u : options.users) {
    make_dir(maildir(u.name), 0700, mail.uid, mail.gid);
    for (const char* sub : {"cur", "new", "tmp"}) {
      make_dir(maildir(u.name) / sub, 0700, mail.uid, mail.gid);
    }
  }

  // The auth process reads the users as default_internal_user; nobody else may.
  std::string users;
  for (const DovecotUser& u : options.users) {
    users += fmt::format("{}:{{PLAIN}}{}::::::\n", u.name, u.password);
  }
  write_owned(work / "users", users, 0640, me, internal.gid);
  if (options.tls) {
    make_dir(work / "tls", 0700, me, my_group);
    write_owned(work / "tls" / "chain.pem", options.tls_chain_pem, 0600, me, my_group);
    write_owned(work / "tls" / "key.pem", options.tls_key_pem, 0600, me, my_group);
  }

  base_dir = work / "run";
  if (base_dir.string().size() > kMaxBaseDir) {
    std::string pattern = (fs::temp_directory_path() / "smimekit-dovecot-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) io_error("cannot create a directory for dovecot");
    private_base_dir = base_dir = pattern;
    if (::chmod(base_dir.c_str(), 0755) != 0) io_error("cannot chmod " + base_dir.string());
  }
  log_file = work / "dovecot.log";
  stderr_file = work / "dovecot.stderr";
  config = work / "dovecot.conf";
}

void Dovecot::Impl::write_config() const {
  const std::string work = options.work_dir.string();
  std::string c = fmt::format(
      "# A private Dovecot of smimekit's testbed (lib/testbed/dovecot.cpp). Written anew at\n"
      "# each start; nothing of the system's Dovecot configuration is read.\n"
      "instance_name = smimekit-testbed\n"
      "base_dir = {base}\n"
      "state_dir = {work}/state\n"
      "log_path = {work}/dovecot.log\n"
      "info_log_path = {work}/dovecot.log\n"
      "debug_log_path = {work}/dovecot.log\n"
      "listen = 127.0.0.1\n"
      "protocols = pop3\n"
      "\n"
      "default_internal_user = {internal}\n"
      "default_login_user = {login}\n"
      "mail_uid = {uid}\n"
      "mail_gid = {gid}\n"
      "first_valid_uid = {uid}\n"
      "first_valid_gid = {gid}\n"
      "\n"
      "auth_mechanisms = plain login cram-md5 scram-sha-256 apop\n"
      "auth_verbose = yes\n"
      "# Tests try wrong passwords on purpose; a real server waits 2 s after each.\n"
      "auth_failure_delay = 0\n"
      "passdb {{\n"
      "  driver = passwd-file\n"
      "  args = {work}/users\n"
      "}}\n"
      "userdb {{\n"
      "  driver = passwd-file\n"
      "  args = {work}/users\n"
      "}}\n"
      "mail_location = maildir:{work}/mail/%u\n"
      "# %g is the base name of the Maildir file: stable across restarts.\n"
      "pop3_uidl_format = %g\n",
      fmt::arg("base", base_dir.string()), fmt::arg("work", work),
      fmt::arg("internal", internal.name), fmt::arg("login", login.name), fmt::arg("uid", mail.uid),
      fmt::arg("gid", mail.gid));
  if (options.tls) {
    c += fmt::format(
        "\n"
        "# required: no authentication of any kind before TLS (the relay keeps Dovecot from\n"
        "# taking the client for a local, hence secure, one).\n"
        "ssl = required\n"
        "disable_plaintext_auth = yes\n"
        "ssl_cert = <{work}/tls/chain.pem\n"
        "ssl_key = <{work}/tls/key.pem\n"
        "ssl_min_protocol = TLSv1.2\n",
        fmt::arg("work", work));
  } else {
    // A badly set-up server: no TLS at all, and passwords accepted in the clear.
    c += "\nssl = no\ndisable_plaintext_auth = no\n";
  }
  c += fmt::format(
      "\n"
      "service pop3-login {{\n"
      "  inet_listener pop3 {{\n"
      "    port = {pop3}\n"
      "  }}\n"
      "  inet_listener pop3s {{\n"
      "    port = {pop3s}\n"
      "    ssl = yes\n"
      "  }}\n"
      "  # One login process for all connections, started by the first (start() waits for\n"
      "  # it): none is half-started when stop() comes, which would hold up the shutdown.\n"
      "  service_count = 0\n"
      "{chroot}"
      "}}\n",
      fmt::arg("pop3", dovecot_pop3), fmt::arg("pop3s", dovecot_pop3s),  // 0: no listener
      fmt::arg("chroot", root ? "" : "  chroot =\n"));
  if (!root) {
    // Without root nothing can chroot or change owners; every process runs as this user.
    const group* g = ::getgrgid(::getegid());
    c += fmt::format("default_internal_group = {}\nservice anvil {{\n  chroot =\n}}\n",
                     g != nullptr ? g->gr_name : std::to_string(::getegid()));
  }
  write_file_atomic(config, c, 0644);
}

void Dovecot::Impl::spawn() {
  // Truncated at each start: log() is what this server logged.
  write_file_atomic(log_file, "", 0600);
  const Fd out(::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) io_error("cannot create " + stderr_file.string());
  const Fd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!in.valid()) io_error("cannot open /dev/null");

  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  const std::string config_path = config.string();
  char* const argv[] = {const_cast<char*>(kDovecot), const_cast<char*>("-F"),
                        const_cast<char*>("-c"), const_cast<char*>(config_path.c_str()), nullptr};
  const pid_t parent = ::getpid();
  sigset_t none;
  sigemptyset(&none);

  const pid_t child = ::fork();
  if (child < 0) io_error("cannot start dovecot");
  if (child == 0) {
    // Its own process group, so stop() can reach every Dovecot process at once; and SIGTERM
    // when the thread that started it dies, even by SIGKILL.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in.get(), 0);
    ::dup2(out.get(), 1);
    ::dup2(out.get(), 2);
    // Descriptors of the test (sockets, pipes) must not live on in Dovecot.
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    ::execve(kDovecot, argv, environ);
    ::_exit(127);
  }
  ::setpgid(child, child);  // also here, so it holds before the parent relies on it
  pid = child;
}

bool Dovecot::Impl::wait_ready() {
  const auto deadline = Clock::now() + kStartTimeout;
  bool plain_ready = false, tls_ready = !options.tls;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      const std::string log = log_text();
      if (log.find("Address already in use") != std::string::npos) return false;
      throw Error(ErrorCode::Io,
                  fmt::format("dovecot exited while starting ({}); its log ends:\n{}",
                              WIFEXITED(status) ? fmt::format("status {}", WEXITSTATUS(status))
                                                : fmt::format("signal {}", WTERMSIG(status)),
                              last_lines(log, 20)));
    }
    if (!plain_ready) plain_ready = greets(dovecot_pop3, deadline);
    if (!tls_ready) tls_ready = connect_loopback(dovecot_pop3s).valid();
    if (plain_ready && tls_ready) return true;
    std::this_thread::sleep_for(20ms);
  }
  const std::string log = log_text();
  stop_server();
  throw Error(ErrorCode::Io,
              fmt::format("dovecot did not answer on 127.0.0.1 port {} within {} s; its log "
                          "ends:\n{}",
                          plain_ready ? dovecot_pop3s : dovecot_pop3,
                          std::chrono::duration_cast<std::chrono::seconds>(kStartTimeout).count(),
                          last_lines(log, 20)));
}

void Dovecot::Impl::stop_server() noexcept {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  const auto deadline = Clock::now() + kStopTimeout;
  siginfo_t info{};
  for (;;) {
    // WNOWAIT leaves the master a zombie, so its process group id cannot be reused before the
    // group is cleaned up below.
    info.si_pid = 0;
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) break;
    if (info.si_pid == pid) break;
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(-pid, SIGKILL);  // whatever the master left behind
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
}

void Dovecot::Impl::stop() noexcept {
  relay.reset();
  stop_server();
  if (!private_base_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(private_base_dir, ignored);
    private_base_dir.clear();
  }
}

// ---------------------------------------------------------------------------------------------

Dovecot Dovecot::start(DovecotOptions options) {
  if (::access(kDovecot, X_OK) != 0) {
    throw Error(ErrorCode::Unsupported,
                fmt::format("dovecot is not installed ({} is missing): install dovecot-core and "
                            "dovecot-pop3d (scripts/setup.sh does)",
                            kDovecot));
  }
  for (const char* binary : kPop3Binaries) {
    if (::access(binary, X_OK) != 0) {
      throw Error(ErrorCode::Unsupported,
                  fmt::format("dovecot has no POP3 server ({} is missing): install "
                              "dovecot-pop3d (scripts/setup.sh does)",
                              binary));
    }
  }
  if (options.tls && (options.tls_chain_pem.empty() || options.tls_key_pem.empty())) {
    throw Error(ErrorCode::Usage, "dovecot with TLS needs a certificate chain and a key");
  }
  if (!options.pipelining) {
    // Dovecot 2.3 compiles its CAPA answer in (POP3_CAPABILITY_REPLY); no setting removes it.
    throw Error(ErrorCode::Unsupported,
                "dovecot always advertises PIPELINING; a server without it cannot be set up");
  }
  check_users(options.users);
  try {
    bound_socket(kRelaySource, 0);
  } catch (const Error& e) {
    throw Error(ErrorCode::Unsupported,
                fmt::format("{} (the testbed connects to Dovecot from there, so that Dovecot "
                            "treats the client as remote and requires TLS)",
                            e.what()));
  }

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->prepare();
  for (int attempt = 1;; ++attempt) {
    impl->dovecot_pop3 = free_port();
    do {
      impl->dovecot_pop3s = impl->options.tls ? free_port() : 0;
    } while (impl->dovecot_pop3s == impl->dovecot_pop3);
    impl->write_config();
    impl->spawn();
    if (impl->wait_ready()) break;
    if (attempt == kStartAttempts) {
      throw Error(ErrorCode::Io,
                  fmt::format("dovecot found its ports taken {} times in a row; its log ends:\n{}",
                              kStartAttempts, last_lines(impl->log_text(), 20)));
    }
  }
  impl->relay = std::make_unique<Relay>(impl->dovecot_pop3);
  impl->relay_port = impl->relay->port();
  return Dovecot(std::move(impl));
}

Dovecot::Dovecot(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Dovecot::Dovecot(Dovecot&&) noexcept = default;
Dovecot& Dovecot::operator=(Dovecot&&) noexcept = default;
Dovecot::~Dovecot() = default;

std::uint16_t Dovecot::pop3_port() const noexcept {
  return m_impl->relay_port;
}

std::uint16_t Dovecot::pop3s_port() const noexcept {
  return m_impl->dovecot_pop3s;
}

std::filesystem::path Dovecot::maildir(std::string_view user) const {
  return m_impl->maildir(user);
}

void Dovecot::deliver(std::string_view user, std::string_view message) const {
  const auto& users = m_impl->options.users;
  if (std::none_of(users.begin(), users.end(),
                   [&](const DovecotUser& u) { return u.name == user; })) {
    throw Error(ErrorCode::Usage, fmt::format("dovecot has no user {}", user));
  }
  // Maildir: a unique name, written in tmp/ and renamed into new/ when complete.
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  const std::string name = fmt::format("{}.M{}P{}Q{}.smimekit-testbed", us / 1000000, us % 1000000,
                                       ::getpid(), ++m_impl->deliveries);
  const std::filesystem::path dir = maildir(user);
  const std::filesystem::path tmp = dir / "tmp" / name;
  const std::filesystem::path target = dir / "new" / name;
  {
    const Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) io_error("cannot create " + tmp.string());
    for (std::size_t done = 0; done < message.size();) {
      const ssize_t n = ::write(fd.get(), message.data() + done, message.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_error("cannot write " + tmp.string());
      done += static_cast<std::size_t>(n);
    }
    if (::fchown(fd.get(), m_impl->mail.uid, m_impl->mail.gid) != 0) {
      io_error("cannot chown " + tmp.string());
    }
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    io_error("cannot move the message to " + target.string());
}

std::string Dovecot::log() const {
  return m_impl->log_text();
}

void Dovecot::stop() {
  if (m_impl) m_impl->stop();
}

}  // namespace smimekit::testbed

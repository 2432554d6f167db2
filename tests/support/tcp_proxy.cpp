#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <list>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace smimekit::test {

namespace {

constexpr std::size_t kNoCut = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kMaxPending = 256 * 1024;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("tcp proxy: " + what + ": " + std::strerror(errno));
}

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

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/// One direction of a connection: the socket and what is waiting to be written to it.
struct Side {
  Fd fd;
  std::string pending;
  bool read_done = false;   // end of file (or a cut) on reading from this socket
  bool write_shut = false;  // we passed an end of file on to this socket
};

struct Link {
  Side client, server;
  std::size_t from_server = 0;  // bytes read from the server on this connection
  bool cutting = false;         // the cut is due: flush to the client, then end it
};

}  // namespace

struct TcpProxy::Impl {
  std::uint16_t target;
  std::uint16_t port = 0;
  Fd listener, wake_read, wake_write;
  std::thread thread;
  std::atomic<std::size_t> cut_at{kNoCut};
  std::atomic<std::size_t> to_server{0}, to_client{0}, accepted{0}, cut_count{0};
  std::list<Link> links;  // only the thread touches these

  void accept_one() {
    Fd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;
    ++accepted;
    Fd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_in to = loopback(target);
    if (!server.valid() ||
        ::connect(server.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      return;  // the client sees its connection close, as if the server were down
    }
    set_nonblocking(client.get());
    set_nonblocking(server.get());
    Link& link = links.emplace_back();
    link.client.fd = std::move(client);
    link.server.fd = std::move(server);
  }

  /// Reads from FROM into TO's buffer, at most LIMIT bytes; false when the socket failed.
  static bool pull(Side& from, Side& to, std::size_t limit, std::size_t& count) {
    char buf[16384];
    const ssize_t n = ::read(from.fd.get(), buf, std::min(sizeof buf, limit));
    if (n > 0) {
      to.pending.append(buf, static_cast<std::size_t>(n));
      count += static_cast<std::size_t>(n);
    } else if (n == 0) {
      from.read_done = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      return false;
    }
    return true;
  }

  static bool push(Side& to, std::atomic<std::size_t>& counter) {
    const ssize_t n = ::send(to.fd.get(), to.pending.data(), to.pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      to.pending.erase(0, static_cast<std::size_t>(n));
      counter += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    }
    return true;
  }

  /// Passes an end of file on once everything before it is written; true when TO is shut.
  static bool settle(const Side& from, Side& to) {
    if (from.read_done && to.pending.empty() && !to.write_shut) {
      ::shutdown(to.fd.get(), SHUT_WR);
      to.write_shut = true;
    }
    return to.write_shut;
  }

  /// Steps LINK on after poll(); false when it is finished and can go.
  bool step(Link& link, short client_events, short server_events) {
    const std::size_t limit = cut_at.load();
    if (!link.cutting && link.from_server >= limit) {
      link.cutting = true;
      ++cut_count;
      // The server is done with at once; the client still gets what is buffered for it.
      link.server.fd.reset();
      link.client.read_done = link.server.read_done = true;
      link.server.pending.clear();
    }
    if (link.cutting) {
      if ((client_events & POLLOUT) && !push(link.client, to_client)) return false;
      if (!link.client.pending.empty()) return true;
      if (!link.client.write_shut) {
        ::shutdown(link.client.fd.get(), SHUT_WR);
        link.client.write_shut = true;
      }
      // Drain what the client still sends until it closes: closing with unread data would
      // send a reset, which could take the last bytes away from the client.
      if (client_events & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        const ssize_t n = ::read(link.client.fd.get(), buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return false;
      }
      return true;
    }
    std::size_t ignored = 0;
    if (client_events & (POLLIN | POLLHUP | POLLERR)) {
      if (!pull(link.client, link.server, kMaxPending, ignored)) return false;
    }
    if (server_events & (POLLIN | POLLHUP | POLLERR)) {
      if (!pull(link.server, link.client, limit - link.from_server, link.from_server)) {
        return false;
      }
    }
    if ((client_events & POLLOUT) && !push(link.client, to_client)) return false;
    if ((server_events & POLLOUT) && !push(link.server, to_server)) return false;
    if (link.from_server >= limit) return true;  // cut on the next round
    const bool to_server_done = settle(link.client, link.server);
    const bool to_client_done = settle(link.server, link.client);
    return !(to_server_done && to_client_done);
  }

  static short wanted(const Side& side, const Side& other, bool cutting) {
    short events = 0;
    if (cutting) return side.pending.empty() ? POLLIN : POLLOUT;  // flush first, then drain
    if (!side.read_done && other.pending.size() < kMaxPending) events |= POLLIN;
    if (!side.pending.empty()) events |= POLLOUT;
    return events;
  }

  void run() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({wake_read.get(), POLLIN, 0});
      fds.push_back({listener.get(), POLLIN, 0});
      bool due = false;  // a cut that needs no socket event to happen
      for (const Link& link : links) {
        const short c = wanted(link.client, link.server, link.cutting);
        const short s = link.cutting ? 0 : wanted(link.server, link.client, false);
        // A negative descriptor is skipped: no hang-up reports for a side with nothing to do.
        fds.push_back({c != 0 ? link.client.fd.get() : -1, c, 0});
        fds.push_back({s != 0 ? link.server.fd.get() : -1, s, 0});
        due = due || (!link.cutting && link.from_server >= cut_at.load());
      }
      // Wake up now and then: cut_after_server_bytes() may make an idle connection due.
      if (::poll(fds.data(), fds.size(), due ? 0 : 50) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) accept_one();
      std::size_t i = 2;
      for (auto it = links.begin(); it != links.end() && i + 1 < fds.size(); i += 2) {
        it = step(*it, fds[i].revents, fds[i + 1].revents) ? std::next(it) : links.erase(it);
      }
    }
  }
};

TcpProxy::TcpProxy(std::uint16_t target_port) : m_impl(std::make_unique<Impl>()) {
  Impl& d = *m_impl;
  d.target = target_port;
  d.listener = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!d.listener.valid()) fail("socket");
  const sockaddr_in any = loopback(0);
  if (::bind(d.listener.get(), reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) {
    fail("bind 127.0.0.1");
  }
  if (::listen(d.listener.get(), 64) != 0) fail("listen");
  set_nonblocking(d.listener.get());
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  if (::getsockname(d.listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    fail("getsockname");
  }
  d.port = ntohs(bound.sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) fail("pipe");
  d.wake_read = Fd(wake[0]);
  d.wake_write = Fd(wake[1]);
  d.thread = std::thread([&d] { d.run(); });
}

TcpProxy::~TcpProxy() {
  const char stop = 'x';
  while (::write(m_impl->wake_write.get(), &stop, 1) < 0 && errno == EINTR) {
  }
  m_impl->thread.join();
}

std::uint16_t TcpProxy::port() const noexcept {
  return m_impl->port;
}
void TcpProxy::cut_after_server_bytes(std::size_t n) noexcept {
  m_impl->cut_at = n;
}
void TcpProxy::clear_cut() noexcept {
  m_impl->cut_at = kNoCut;
}
std::size_t TcpProxy::client_to_server_bytes() const noexcept {
  return m_impl->to_server;
}
std::size_t TcpProxy::server_to_client_bytes() const noexcept {
  return m_impl->to_client;
}
std::size_t TcpProxy::connections() const noexcept {
  return m_impl->accepted;
}
std::size_t TcpProxy::cuts() const noexcept {
  return m_impl->cut_count;
}

}  // namespace smimekit::test

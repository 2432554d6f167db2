#include "net/tcp.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "smimekit/error.h"

namespace smimekit::net {

namespace {

[[noreturn]] void network_error(std::string_view what) {
  throw Error(ErrorCode::Network, std::string(what));
}

std::string duration_text(std::chrono::milliseconds t) {
  return t.count() % 1000 == 0 ? fmt::format("{} s", t.count() / 1000)
                               : fmt::format("{} ms", t.count());
}

int connect_one(const addrinfo* ai, std::chrono::milliseconds timeout, std::string& why) {
  const int fd =
      ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    why = fmt::format("no answer within {}", duration_text(timeout));
    ::close(fd);
    return -1;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    why = std::strerror(err != 0 ? err : errno);
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

void wait_for(int fd, short events, std::chrono::milliseconds timeout, std::string_view doing) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
    if (n > 0) return;
    if (n == 0) {
      network_error(fmt::format("the server did not answer within {} while {}",
                                duration_text(timeout), doing));
    }
    if (errno != EINTR) network_error(fmt::format("poll failed: {}", std::strerror(errno)));
  }
}

int connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    network_error(fmt::format("cannot find the address of {}: {}", host, gai_strerror(rc)));
  }
  std::string why;
  int fd = -1;
  for (const addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = connect_one(ai, timeout, why);
  }
  ::freeaddrinfo(found);
  if (fd < 0) network_error(fmt::format("cannot connect to {} port {}: {}", host, port, why));
  return fd;
}

}  // namespace smimekit::net

#include "support/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace smimekit::test {

namespace {

// Binds a TCP socket to 127.0.0.1 on a free port; returns the fd and sets PORT.
int bind_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind to 127.0.0.1");
  }
  port = ntohs(addr.sin_port);
  return fd;
}

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 404:
      return "Not Found";
    default:
      return "Status";
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request (headers and a Content-Length body) within 5 s; false on failure.
bool read_request(int fd, HttpServer::Request& request) {
  std::string data;
  char buffer[16384];
  std::size_t header_end = std::string::npos;
  std::size_t body_length = 0;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::string head = data.substr(0, header_end);
        const auto sp1 = head.find(' ');
        const auto sp2 = head.find(' ', sp1 + 1);
        request.method = head.substr(0, sp1);
        request.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string lowered = lower(head);
        if (const auto at = lowered.find("\r\ncontent-length:"); at != std::string::npos) {
          body_length = std::stoul(head.substr(at + 17));
        }
        if (const auto at = lowered.find("\r\ncontent-type:"); at != std::string::npos) {
          const auto end = head.find("\r\n", at + 2);
          request.content_type = head.substr(at + 15, end - at - 15);
          while (!request.content_type.empty() && request.content_type.front() == ' ') {
            request.content_type.erase(0, 1);
          }
        }
        header_end += 4;
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + body_length) {
      request.body = data.substr(header_end, body_length);
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return false;
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace

struct HttpServer::Impl {
  Handler handler;
  int fd = -1;
  int stop_pipe[2] = {-1, -1};
  std::uint16_t port = 0;
  std::atomic<std::size_t> requests{0};
  std::thread thread;

  void serve() {
    for (;;) {
      pollfd p[2] = {{fd, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) continue;
      if (p[1].revents != 0) return;
      const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      Request request;
      if (read_request(client, request)) {
        ++requests;
        Response response = handler(request);
        std::string out = response.raw;
        if (out.empty()) {
          out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
                "\r\nContent-Type: " + response.content_type +
                "\r\nContent-Length: " + std::to_string(response.body.size()) +
                "\r\nConnection: close\r\n\r\n" + response.body;
        }
        std::string_view rest = out;
        while (!rest.empty()) {
          const ssize_t put = ::send(client, rest.data(), rest.size(), MSG_NOSIGNAL);
          if (put <= 0) break;
          rest.remove_prefix(static_cast<std::size_t>(put));
        }
      }
      ::close(client);
    }
  }
};

HttpServer::HttpServer(Handler handler) : m_impl(std::make_unique<Impl>()) {
  m_impl->handler = std::move(handler);
  m_impl->fd = bind_loopback(m_impl->port);
  if (::listen(m_impl->fd, 16) != 0 || ::pipe2(m_impl->stop_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("cannot listen");
  }
  m_impl->thread = std::thread([impl = m_impl.get()] { impl->serve(); });
}

HttpServer::~HttpServer() {
  const char byte = 0;
  (void)::write(m_impl->stop_pipe[1], &byte, 1);
  m_impl->thread.join();
  ::close(m_impl->fd);
  ::close(m_impl->stop_pipe[0]);
  ::close(m_impl->stop_pipe[1]);
}

std::uint16_t HttpServer::port() const noexcept {
  return m_impl->port;
}

std::string HttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(m_impl->port) + path;
}

std::size_t HttpServer::requests() const noexcept {
  return m_impl->requests.load();
}

SilentServer::SilentServer() {
  m_fd = bind_loopback(m_port);
  if (::listen(m_fd, 16) != 0) throw std::runtime_error("cannot listen");
}

SilentServer::~SilentServer() {
  ::close(m_fd);
}

std::uint16_t unused_port() {
  std::uint16_t port = 0;
  ::close(bind_loopback(port));
  return port;
}

}  // namespace smimekit::test

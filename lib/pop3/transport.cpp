#include "pop3/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "core/openssl.h"
#include "net/tcp.h"
#include "smimekit/error.h"

namespace smimekit::pop3::detail {

namespace {

using net::wait_for;

using SslCtxPtr = std::unique_ptr<SSL_CTX, ossl::Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, ossl::Deleter<SSL_free>>;

constexpr std::size_t kReadChunk = 64 * 1024;

[[noreturn]] void network_error(std::string_view what) { throw Error(ErrorCode::Network, std::string(what)); }

bool is_ip_literal(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string verify_failure(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return {};
  return X509_verify_cert_error_string(result);
}

}  // namespace

struct Connection::Impl {
  int fd = -1;
  std::chrono::milliseconds timeout;
  SslCtxPtr ctx;
  SslPtr ssl;
  std::vector<char> buffer = std::vector<char>(kReadChunk);
  std::size_t begin = 0, end = 0;  // unread bytes are buffer[begin, end)

  /// Reads more bytes into the buffer; false at the end of the stream.
  bool fill() {
    if (begin == end) begin = end = 0;
    if (end == buffer.size()) {
      if (begin > 0) {
        std::memmove(buffer.data(), buffer.data() + begin, end - begin);
        end -= begin;
        begin = 0;
      } else {
        buffer.resize(buffer.size() * 2);
      }
    }
    char* at = buffer.data() + end;
    const std::size_t room = buffer.size() - end;
    for (;;) {
      if (ssl) {
        ERR_clear_error();
        std::size_t got = 0;
        if (SSL_read_ex(ssl.get(), at, room, &got) == 1) {
          end += got;
          return true;
        }
        const int e = SSL_get_error(ssl.get(), 0);
        if (e == SSL_ERROR_WANT_READ) {
          wait_for(fd, POLLIN, timeout, "reading");
        } else if (e == SSL_ERROR_WANT_WRITE) {
          wait_for(fd, POLLOUT, timeout, "reading");
        } else if (e == SSL_ERROR_ZERO_RETURN) {
          return false;
        } else {
          network_error(fmt::format("the TLS connection broke while reading: {}",
                                    e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                    : e == SSL_ERROR_SYSCALL ? std::string("the server closed it")
                                                             : ossl::drain_errors()));
        }
      } else {
        const ssize_t got = ::recv(fd, at, room, 0);
        if (got > 0) {
          end += static_cast<std::size_t>(got);
          return true;
        }
        if (got == 0) return false;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          wait_for(fd, POLLIN, timeout, "reading");
        } else if (errno != EINTR) {
          network_error(fmt::format("the connection broke while reading: {}", std::strerror(errno)));
        }
      }
    }
  }

  void write(std::string_view data) {
    while (!data.empty()) {
      if (ssl) {
        ERR_clear_error();
        std::size_t put = 0;
        if (SSL_write_ex(ssl.get(), data.data(), data.size(), &put) == 1) {
          data.remove_prefix(put);
          continue;
        }
        const int e = SSL_get_error(ssl.get(), 0);
        if (e == SSL_ERROR_WANT_WRITE) {
          wait_for(fd, POLLOUT, timeout, "writing");
        } else if (e == SSL_ERROR_WANT_READ) {
          wait_for(fd, POLLIN, timeout, "writing");
        } else {
          network_error(fmt::format("the TLS connection broke while writing: {}",
                                    e == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                                         : ossl::drain_errors()));
        }
      } else {
        const ssize_t put = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (put >= 0) {
          data.remove_prefix(static_cast<std::size_t>(put));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
          wait_for(fd, POLLOUT, timeout, "writing");
        } else if (errno != EINTR) {
          network_error(fmt::format("the connection broke while writing: {}", std::strerror(errno)));
        }
      }
    }
  }
};

Connection::Connection(const std::string& host, std::uint16_t port,
                       std::chrono::milliseconds timeout)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->timeout = timeout;
  m_impl->fd = net::connect_tcp(host, port, timeout);
}

Connection::~Connection() { close(); }

std::size_t Connection::start_tls(const ServerOptions& server) {
  Impl& c = *m_impl;
  // Whatever arrived before the handshake is not protected by it: drop it.
  const std::size_t dropped = c.end - c.begin;
  c.begin = c.end = 0;

  c.ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!c.ctx) ossl::fail(ErrorCode::Crypto, "cannot set up TLS");
  SSL_CTX_set_min_proto_version(c.ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(c.ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (server.cacert.empty()) {
    if (SSL_CTX_set_default_verify_paths(c.ctx.get()) != 1) {
      ossl::fail(ErrorCode::Insecure, "cannot load the system's CA certificates");
    }
  } else {
    const bool dir = std::filesystem::is_directory(server.cacert);
    if (!dir && !std::filesystem::exists(server.cacert)) {
      throw Error(ErrorCode::NoInput, fmt::format("CA file {} does not exist", server.cacert));
    }
    const int ok = dir ? SSL_CTX_load_verify_dir(c.ctx.get(), server.cacert.c_str())
                       : SSL_CTX_load_verify_file(c.ctx.get(), server.cacert.c_str());
    if (ok != 1) ossl::fail(ErrorCode::Input, fmt::format("cannot read CA certificates from {}", server.cacert));
  }

  c.ssl.reset(SSL_new(c.ctx.get()));
  if (!c.ssl) ossl::fail(ErrorCode::Crypto, "cannot set up TLS");
  const std::string& name = server.tls_name.empty() ? server.host : server.tls_name;
  if (is_ip_literal(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl.get()), name.c_str());
  } else {
    SSL_set_hostflags(c.ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(c.ssl.get(), name.c_str()) != 1 ||
        SSL_set_tlsext_host_name(c.ssl.get(), name.c_str()) != 1) {
      ossl::fail(ErrorCode::Usage, fmt::format("'{}' is not a usable server name", name));
    }
  }
  SSL_set_fd(c.ssl.get(), c.fd);
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(c.ssl.get());
    if (rc == 1) break;
    const int e = SSL_get_error(c.ssl.get(), rc);
    if (e == SSL_ERROR_WANT_READ) {
      wait_for(c.fd, POLLIN, c.timeout, "setting up TLS");
    } else if (e == SSL_ERROR_WANT_WRITE) {
      wait_for(c.fd, POLLOUT, c.timeout, "setting up TLS");
    } else {
      const std::string why = verify_failure(c.ssl.get());
      if (!why.empty()) {
        ossl::clear_errors();
        throw Error(ErrorCode::Insecure,
                    fmt::format("the certificate of {} is not trusted: {}", name, why));
      }
      if (e == SSL_ERROR_SSL) {
        ossl::fail(ErrorCode::Insecure, fmt::format("TLS with {} failed", name));
      }
      network_error(fmt::format("the connection to {} broke during the TLS handshake", name));
    }
  }
  // A handshake without a checked certificate must not happen with SSL_VERIFY_PEER, but the
  // whole point of TLS here is the check: make sure of it.
  X509* peer = SSL_get0_peer_certificate(c.ssl.get());
  if (peer == nullptr || SSL_get_verify_result(c.ssl.get()) != X509_V_OK) {
    throw Error(ErrorCode::Insecure, fmt::format("{} presented no trusted certificate", name));
  }
  return dropped;
}

bool Connection::tls() const noexcept { return static_cast<bool>(m_impl->ssl); }

std::string Connection::tls_description() const {
  if (!m_impl->ssl) return {};
  return fmt::format("{} {}", SSL_get_version(m_impl->ssl.get()),
                     SSL_CIPHER_get_name(SSL_get_current_cipher(m_impl->ssl.get())));
}

std::string Connection::channel_binding(std::string& type) const {
  SSL* ssl = m_impl->ssl.get();
  if (ssl == nullptr) return {};
  if (SSL_version(ssl) >= TLS1_3_VERSION) {
    std::string out(32, '\0');
    static constexpr char kLabel[] = "EXPORTER-Channel-Binding";
    if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                   kLabel, sizeof kLabel - 1, nullptr, 0, 0) != 1) {
      return {};
    }
    type = "tls-exporter";
    return out;
  }
  // tls-unique: the first Finished message of the handshake, the client's on a full one.
  char finished[EVP_MAX_MD_SIZE];
  const std::size_t n = SSL_session_reused(ssl) ? SSL_get_peer_finished(ssl, finished, sizeof finished)
                                                : SSL_get_finished(ssl, finished, sizeof finished);
  if (n == 0) return {};
  type = "tls-unique";
  return std::string(finished, n);
}

void Connection::write(std::string_view data) { m_impl->write(data); }

void Connection::read_line(std::string& line, std::size_t max) {
  Impl& c = *m_impl;
  line.clear();
  std::size_t scanned = 0;  // bytes of the buffered data already searched for LF
  for (;;) {
    const char* from = c.buffer.data() + c.begin;
    const std::size_t have = c.end - c.begin;
    if (const void* lf = std::memchr(from + scanned, '\n', have - scanned); lf != nullptr) {
      std::size_t length = static_cast<const char*>(lf) - from;
      if (length + 1 > max) {
        throw Error(ErrorCode::Protocol,
                    fmt::format("the server sent a line of more than {} octets", max));
      }
      c.begin += length + 1;
      if (length > 0 && from[length - 1] == '\r') --length;
      line.assign(from, length);
      return;
    }
    scanned = have;
    if (have > max) {
      throw Error(ErrorCode::Protocol, fmt::format("the server sent a line of more than {} octets", max));
    }
    // fill() may move the unread bytes to the front; SCANNED counts from begin, so it holds.
    if (!c.fill()) network_error("the server closed the connection");
  }
}

std::string Connection::read_line(std::size_t max) {
  std::string line;
  read_line(line, max);
  return line;
}

bool Connection::buffered() const noexcept { return m_impl->end > m_impl->begin; }

void Connection::close() noexcept {
  if (!m_impl) return;
  if (m_impl->ssl) {
    SSL_shutdown(m_impl->ssl.get());  // one attempt; the socket is non-blocking
    m_impl->ssl.reset();
  }
  if (m_impl->fd >= 0) {
    ::close(m_impl->fd);
    m_impl->fd = -1;
  }
  ERR_clear_error();
}

}  // namespace smimekit::pop3::detail

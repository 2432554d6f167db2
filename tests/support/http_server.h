// A small HTTP/1.1 server on 127.0.0.1 for tests of the revocation client: serves what a
// handler returns, one connection at a time, in a thread of its own, and counts requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace smimekit::test {

class HttpServer {
 public:
  struct Request {
    std::string method, target, content_type, body;
  };
  struct Response {
    int status = 200;
    std::string content_type = "application/octet-stream";
    std::string body;
    /// When not empty, sent exactly as it is instead of a response built from the above.
    std::string raw;
  };
  using Handler = std::function<Response(const Request&)>;

  /// Listens on a free port of 127.0.0.1 and answers every request with HANDLER.
  explicit HttpServer(Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:PORT" followed by PATH.
  [[nodiscard]] std::string url(const std::string& path) const;
  /// Requests received so far.
  [[nodiscard]] std::size_t requests() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// A socket on 127.0.0.1 that is listening, so connections complete, but never accepts or
/// answers: a server that hangs.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }

 private:
  int m_fd = -1;
  std::uint16_t m_port = 0;
};

/// A port of 127.0.0.1 that nothing listens on (it was free a moment ago).
[[nodiscard]] std::uint16_t unused_port();

}  // namespace smimekit::test

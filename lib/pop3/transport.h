// A TCP connection to a mail server, plain at first and TLS once start_tls() has run, with
// bounded, timed reads. Internal to lib/pop3.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "smimekit/pop3.h"

namespace smimekit::pop3::detail {

class Connection {
 public:
  /// Connects to HOST:PORT (every address it resolves to, in turn) within TIMEOUT.
  /// Throws Error(Network).
  Connection(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs the TLS client handshake and checks the certificate chain against SERVER.cacert
  /// (or the system store) and its name against SERVER.tls_name (or host). Bytes the server
  /// sent before the handshake and not yet read are thrown away: they were not protected
  /// (STARTTLS response injection). Returns how many were thrown away.
  /// Throws Error(Insecure) when the server cannot be trusted, Error(Network) otherwise.
  std::size_t start_tls(const ServerOptions& server);
  [[nodiscard]] bool tls() const noexcept;
  /// "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty before start_tls().
  [[nodiscard]] std::string tls_description() const;
  /// The channel binding for SCRAM-*-PLUS: tls-exporter (TLS 1.3, RFC 9266) or tls-unique
  /// (TLS 1.2, RFC 5929), raw bytes; TYPE says which. Empty when there is none.
  [[nodiscard]] std::string channel_binding(std::string& type) const;

  /// Writes all of DATA. Throws Error(Network).
  void write(std::string_view data);
  /// Reads one line and returns it without its line end (CRLF, or a bare LF). Throws
  /// Error(Protocol) when the line is longer than MAX, Error(Network) when the connection
  /// ends or times out.
  std::string read_line(std::size_t max);
  /// Reads one line into LINE (cleared first), as read_line() does; avoids an allocation.
  void read_line(std::string& line, std::size_t max);
  /// True when bytes are waiting in the read buffer (already received, not yet consumed).
  [[nodiscard]] bool buffered() const noexcept;
  /// Closes the TLS session politely and the socket.
  void close() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace smimekit::pop3::detail

// smimekit — a POP3 client that is safe by default (RFC 1939, CAPA RFC 2449, STLS RFC 2595,
// AUTH RFC 5034).
//
// Every session runs over TLS: POP3S from the first byte, or STLS before anything but CAPA
// and STLS is sent. The server certificate is checked against the system store or a given
// CA file, and the host name with it. No credential ever crosses an unencrypted connection.
// Every byte from the server is untrusted: lines and messages are bounded, answers that do
// not parse end the session with Error(Protocol).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/secret.h"

namespace smimekit::pop3 {

enum class TlsMode {
  Implicit,  ///< POP3S: TLS from the first byte (port 995)
  StartTls,  ///< plain POP3 upgraded with STLS before anything else (port 110)
};

struct ServerOptions {
  std::string host;
  /// 0 picks the standard port of the TLS mode: 995 or 110.
  std::uint16_t port = 0;
  TlsMode tls = TlsMode::Implicit;
  /// A PEM file or a hashed directory of CA certificates; empty for the system store.
  std::string cacert;
  /// The name the server certificate must carry; empty for HOST.
  std::string tls_name;
  /// For connecting and for every read and write.
  std::chrono::milliseconds timeout{30'000};

  [[nodiscard]] std::uint16_t effective_port() const noexcept {
    return port != 0 ? port : (tls == TlsMode::Implicit ? 995 : 110);
  }
};

struct Credentials {
  std::string user;
  /// Asked for the password (or OAuth token) only once TLS is up and a mechanism is chosen.
  std::function<Secret()> password;
  /// SASL mechanisms in the order to try, upper case ("SCRAM-SHA-256"); empty for the
  /// strongest the server offers. "USER" and "APOP" name the RFC 1939 commands.
  std::vector<std::string> mechanisms;
};

struct Limits {
  /// Longest status or data line accepted, CRLF included. RFC 1939 allows 512 for status
  /// lines; message lines may reach RFC 5322's 998 but real mail exceeds that.
  std::size_t max_line = 64 * 1024;
  /// Largest message retrieved; bigger ones are refused before RETR.
  std::size_t max_message = 256 * 1024 * 1024;
  /// How many commands are in flight at once when the server can pipeline.
  std::size_t window = 64;
};

/// What the server advertised in CAPA.
struct Capabilities {
  bool stls = false, uidl = false, user = false, pipelining = false, top = false;
  std::vector<std::string> sasl;  ///< SASL mechanisms, upper case
  std::string implementation;
};

/// One message of the maildrop.
struct MessageInfo {
  std::uint32_t number = 0;
  std::string uidl;
  std::uint64_t size = 0;  ///< as LIST reports it (octets with CRLF line ends)
};

/// Called with each retrieved message: its bytes with CRLF line ends, dot-unstuffed.
using MessageSink = std::function<void(const MessageInfo&, std::string&& message)>;

/// One POP3 session. Not thread-safe; one per connection.
class Session {
 public:
  /// Connects, sets up TLS (for StartTls: CAPA, STLS, handshake, and everything the server
  /// sent before the handshake thrown away), checks the certificate and host name, and
  /// reads the capabilities. Throws Error(Network) when the server cannot be reached,
  /// Error(Insecure) when TLS cannot be had or the certificate is not trusted, and
  /// Error(Protocol) for a malformed answer.
  static Session connect(const ServerOptions& server, const Limits& limits = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  [[nodiscard]] const Capabilities& capabilities() const noexcept;
  /// The mechanism login() used ("SCRAM-SHA-256", "USER", "APOP"), once logged in.
  [[nodiscard]] const std::string& mechanism() const noexcept;

  /// Authenticates with SASL (GNU SASL), USER/PASS or APOP, over TLS only.
  /// Throws Error(Authentication) when the server refuses the credentials.
  void login(const Credentials& credentials);

  /// UIDL and LIST: every message with its unique id and size.
  [[nodiscard]] std::vector<MessageInfo> list();

  /// Retrieves MESSAGES in order, pipelined when the server allows it, and hands each to
  /// SINK as soon as it is complete. A message over Limits::max_message throws Error(Limit)
  /// before it is asked for. An exception from SINK ends the session.
  void retrieve(std::span<const MessageInfo> messages, const MessageSink& sink);

  /// Marks messages for deletion (DELE), pipelined. Nothing is deleted before quit().
  void remove(std::span<const std::uint32_t> numbers);

  /// QUIT: the server deletes what was marked and the session ends.
  void quit();

  /// Commands sent and answers read so far, for the protocol tests and benchmarks.
  [[nodiscard]] std::size_t round_trips() const noexcept;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace smimekit::pop3

// A private Dovecot POP3 server on 127.0.0.1, for `smimekit demo` and the tests.
//
// It runs Debian's dovecot binary (packages dovecot-core and dovecot-pop3d) in the
// foreground as a child process with a configuration of its own in a work directory: its
// own base_dir, log file, passwd-file users and Maildirs, free loopback ports, and a TLS
// certificate given by the caller. Nothing of the machine's own Dovecot is used or touched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace smimekit::testbed {

struct DovecotUser {
  std::string name;
  std::string password;
};

struct DovecotOptions {
  /// Created if missing; holds the configuration, the log, and every user's Maildir.
  std::filesystem::path work_dir;
  /// The server's certificate chain (leaf first) and its unencrypted private key, as PEM.
  std::string tls_chain_pem, tls_key_pem;
  /// False: the plain port offers no STLS (and there is no POP3S port), as a badly set-up
  /// server would.
  bool tls = true;
  /// Advertise PIPELINING (Dovecot always pipelines; this only changes what CAPA says).
  bool pipelining = true;
  std::vector<DovecotUser> users;
};

class Dovecot {
 public:
  /// Writes the configuration, picks free ports, starts dovecot and waits until both ports
  /// answer. Throws Error(Unsupported) with a hint when dovecot is not installed, and
  /// Error(Io) with the end of the log when it does not start within 20 seconds.
  static Dovecot start(DovecotOptions options);

  Dovecot(Dovecot&&) noexcept;
  Dovecot& operator=(Dovecot&&) noexcept;
  ~Dovecot();  ///< stops the server and waits for it

  [[nodiscard]] std::uint16_t pop3_port() const noexcept;   ///< plain, STLS when tls
  [[nodiscard]] std::uint16_t pop3s_port() const noexcept;  ///< implicit TLS; 0 without tls
  /// The Maildir that USER's POP3 maildrop is read from.
  [[nodiscard]] std::filesystem::path maildir(std::string_view user) const;
  /// Puts MESSAGE into USER's maildrop (new/), as a mail delivery agent would.
  void deliver(std::string_view user, std::string_view message) const;
  /// Everything the server logged so far.
  [[nodiscard]] std::string log() const;
  /// Stops the server now (the destructor then does nothing).
  void stop();

 private:
  struct Impl;
  explicit Dovecot(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace smimekit::testbed

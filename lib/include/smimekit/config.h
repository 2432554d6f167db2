// smimekit — the accounts of `smimekit fetch`, from a TOML file or a one-off URL.
//
//   # ~/.config/smimekit/config.toml
//   [account.work]
//   url = "pop3s://alice@mail.example.org"   # or host/port/tls/user below
//   host = "mail.example.org"
//   port = 995
//   tls = "pop3s"                 # or "starttls"
//   user = "alice"
//   password_command = "pass show mail/work"   # or: password = "file:~/.mailpass"
//   mechanisms = ["SCRAM-SHA-256"]
//   cacert = "/etc/ssl/certs/corp-ca.pem"
//   maildir = "~/Mail/work"
//   report = "~/Mail/work-report.jsonl"
//   delete = false
//   store_decrypted = false
//   anchors = ["~/.config/smimekit/corp-root.pem"]
//   crls = []
//   p12 = "~/.config/smimekit/alice.p12"       # or key = ... and cert = ...
//   p12_password = "env:ALICE_P12"
//
// A file that holds a password itself (a `pass:` SPEC) and is readable by anyone but its
// owner is refused, and so is any file writable by others (password_command runs a program).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/pop3.h"
#include "smimekit/secret.h"

namespace smimekit {

struct AccountConfig {
  std::string name;  ///< the [account.NAME] key; empty for a URL
  pop3::ServerOptions server;
  std::string user;
  /// A secret SPEC (env:, file:, fd:, pass:) for the password; empty when not given.
  std::string password;
  /// A shell command whose first line of output is the password; empty when not given.
  std::string password_command;
  std::vector<std::string> mechanisms;
  std::filesystem::path maildir;
  std::filesystem::path report;
  bool remove_after_delivery = false;  ///< `delete` in the file
  bool store_decrypted = false;
  std::vector<std::filesystem::path> anchors, crls;
  std::filesystem::path key, cert, p12;
  std::string key_password;  ///< a secret SPEC for KEY or P12; empty when not given

  /// "alice@mail.example.org:995", the identity of the maildrop for the UIDL state.
  [[nodiscard]] std::string id() const;
};

struct Config {
  std::vector<AccountConfig> accounts;
  /// The account called NAME; Error(Usage) naming the known ones when there is none.
  [[nodiscard]] const AccountConfig& account(std::string_view name) const;
};

/// $XDG_CONFIG_HOME/smimekit/config.toml, else ~/.config/smimekit/config.toml.
[[nodiscard]] std::filesystem::path default_config_path();

/// Reads PATH. Throws Error(NoInput) when it is missing, Error(Input) for a syntax error or
/// an unknown key (with the line), Error(Usage) for a value of the wrong type or an unsafe
/// file mode. A leading "~/" in a path is the home directory.
[[nodiscard]] Config load_config(const std::filesystem::path& path);
/// Parses TEXT as the contents of a config file named SOURCE (no mode check).
[[nodiscard]] Config parse_config(std::string_view text, std::string_view source);

/// "pop3s://alice@mail.example.org[:995]" or "pop3://..." (STLS); Error(Usage) otherwise.
/// A password in the URL is refused: it would be visible in the process list.
[[nodiscard]] AccountConfig parse_account_url(std::string_view url);

/// Runs COMMAND with /bin/sh -c and returns its first line of output as a Secret.
/// Error(Authentication) when it fails or prints nothing.
[[nodiscard]] Secret run_password_command(const std::string& command);

}  // namespace smimekit

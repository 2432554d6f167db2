// What the verbs share: exit codes, messages on standard error, input and output.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "smimekit/report.h"
#include "smimekit/store.h"
#include "smimekit/time.h"
#include "smimekit/trust.h"

namespace smimekit::cli {

/// sysexits.h codes, as mpop and msmtp use them.
enum Exit : int {
  kOk = 0,
  kNotValid = 1,  ///< verify: some verdict is not valid
  kUsage = 64,
  kDataErr = 65,
  kNoInput = 66,
  kUnavailable = 69,
  kSoftware = 70,
  kCantCreate = 73,
  kIoErr = 74,
  kTempFail = 75,
  kProtocol = 76,
  kNoPerm = 77,
};

[[nodiscard]] int exit_code(ErrorCode code) noexcept;

void error(std::string_view message);
void warning(std::string_view message);
void hint(std::string_view message);

/// Thrown by a verb for a wrong combination of flags: an error line, then a hint line.
struct UsageError {
  std::string message;
  std::string hint;
};

/// Reads PATH, or standard input for "-" or an empty path.
[[nodiscard]] std::string read_input(const std::string& path);
/// Writes DATA to PATH atomically, or to standard output for "-" or an empty path.
void write_output(const std::string& path, std::string_view data);

/// The options that name whoever signs (and, later, decrypts).
struct IdentityOptions {
  std::string key, cert, p12, pass;
  std::vector<std::string> chain;

  void add_to(CLI::App& app, bool required_role_is_signer);
  [[nodiscard]] bool given() const { return !key.empty() || !cert.empty() || !p12.empty(); }
  /// Loads the identity; throws UsageError for a contradictory or incomplete set.
  [[nodiscard]] Identity load() const;
};

/// How to look up revocation online: --revocation, --revocation-timeout, --revocation-cache.
struct RevocationOptions {
  /// offline, soft or hard. Soft for reading mail: a revoked certificate should not be VALID,
  /// and an unreachable responder should not make every message unreadable. The audit
  /// defaults to hard.
  std::string mode = "soft";
  int timeout = 10;  ///< seconds per request
  std::string cache;

  void add_to(CLI::App& app);
  [[nodiscard]] RevocationPolicy load() const;
};

/// The options that say what to trust: --anchor, --intermediate, --crl, --time, --allow-sha1,
/// and how to look up revocation (RevocationOptions).
struct TrustOptions {
  std::vector<std::string> anchors, intermediates, crls;
  std::string time;
  bool allow_sha1 = false;
  RevocationOptions revocation;

  void add_to(CLI::App& app);
  /// Loads every file; throws UsageError for a malformed --time.
  [[nodiscard]] TrustPolicy load() const;
};

/// --store DIR: which certificate store to use (default: default_store_path()).
struct StoreOptions {
  std::string dir;

  void add_to(CLI::App& app);
  [[nodiscard]] std::filesystem::path path() const;
  /// Opens the store; CREATE makes it when missing (for the verbs that add to it).
  [[nodiscard]] CertStore open(bool create) const;
  /// The store when --store was given (which must then exist) or the default store exists;
  /// std::nullopt otherwise. For the verbs that work with or without one.
  [[nodiscard]] std::optional<CertStore> open_if_present() const;
};

/// The sender's address: FROM when given, else the first From address of MESSAGE, else "".
[[nodiscard]] std::string sender_address(const std::string& from, std::string_view message);

/// Whoever signs: IDENTITY when its options were given, else the store's key for FROM (or the
/// message's From), decrypted with the password IDENTITY.pass names. Throws UsageError when
/// neither is there.
[[nodiscard]] Identity load_signer(const IdentityOptions& identity, const StoreOptions& store,
                                   const std::string& from, std::string_view message);

/// Adds the store's anchors, certificates (as intermediates) and CRLs to POLICY.
void add_store_trust(const CertStore& store, TrustPolicy& policy);

/// Harvesting: when REPORT's verdict is VALID, stores each whole-message signer's certificate
/// (and the intermediates of its chain) for the From address, with its signing time and
/// whether it named itself in sMIMEEncryptionKeyPreference (CertStore::harvest). Returns one
/// line per signer saying what was done; nothing for a report that is not VALID.
[[nodiscard]] std::vector<std::string> harvest_report(CertStore& store, const Report& report);

/// "bob@example.org: no usable certificate in STORE: <fp> (Bob): <reason>; ..." for a failed
/// choice, or the empty string when CHOICE has a certificate.
[[nodiscard]] std::string explain_no_recipient(const RecipientChoice& choice,
                                               const CertStore& store);

}  // namespace smimekit::cli

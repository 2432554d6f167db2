// smimekit — errors for operational failures.
//
// Verification outcomes are values (see report.h); an Error means the operation itself could
// not be carried out: an unreadable file, a wrong password, input that is not what it claims.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace smimekit {

/// What kind of operational failure happened. The CLI maps each to a sysexits code.
enum class ErrorCode {
  Usage,        ///< the caller asked for something contradictory or incomplete (EX_USAGE)
  Input,        ///< input data is malformed: not a message, bad PEM/DER, broken MIME (EX_DATAERR)
  NoInput,      ///< a file to read does not exist or cannot be opened (EX_NOINPUT)
  Io,           ///< reading or writing failed part-way (EX_IOERR)
  Password,     ///< a key or PKCS#12 file could not be decrypted with the given secret (EX_NOPERM)
  Crypto,       ///< the crypto library refused an operation, e.g. key and certificate differ (EX_SOFTWARE)
  Unsupported,  ///< an algorithm or format this build does not handle (EX_UNAVAILABLE)
  Limit,        ///< input exceeds a resource bound (nesting, size) (EX_DATAERR)
  Decryption,   ///< encrypted data failed to decrypt or to authenticate: changed or damaged
  NotRecipient, ///< the message is not encrypted for any of the keys given
  Network,      ///< a server could not be reached, or the connection broke (EX_TEMPFAIL)
  Authentication, ///< a server refused the credentials (EX_NOPERM)
  Insecure,     ///< a connection could not be made safe: no TLS, an untrusted certificate (EX_UNAVAILABLE)
  Protocol,     ///< a server answered something that does not follow its protocol (EX_PROTOCOL)
  Internal,     ///< a bug in smimekit (EX_SOFTWARE)
};

/// Short lowercase name of a code, for messages and JSON ("input", "password", ...).
[[nodiscard]] std::string_view error_code_name(ErrorCode code) noexcept;

/// The single exception type of the library.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}

  [[nodiscard]] ErrorCode code() const noexcept { return m_code; }

 private:
  ErrorCode m_code;
};

}  // namespace smimekit

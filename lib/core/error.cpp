#include "smimekit/error.h"

namespace smimekit {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Usage: return "usage";
    case ErrorCode::Input: return "input";
    case ErrorCode::NoInput: return "no-input";
    case ErrorCode::Io: return "io";
    case ErrorCode::Password: return "password";
    case ErrorCode::Crypto: return "crypto";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Limit: return "limit";
    case ErrorCode::Decryption: return "decryption";
    case ErrorCode::NotRecipient: return "not-recipient";
    case ErrorCode::Network: return "network";
    case ErrorCode::Authentication: return "authentication";
    case ErrorCode::Insecure: return "insecure";
    case ErrorCode::Protocol: return "protocol";
    case ErrorCode::Internal: return "internal";
  }
  return "unknown";
}

}  // namespace smimekit

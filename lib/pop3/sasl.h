// The client side of one SASL exchange (RFC 4422): GNU SASL's mechanisms, plus OAUTHBEARER
// (RFC 7628) and XOAUTH2, which the Debian 12 build of GNU SASL lacks and which are a single
// client message each. Internal to lib/pop3.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/secret.h"

namespace smimekit::pop3::detail {

struct SaslParameters {
  std::string user;
  const Secret* password = nullptr;  ///< the password, or the OAuth 2.0 bearer token
  std::string host;
  std::uint16_t port = 0;
  std::string channel_binding_type;  ///< "tls-exporter" or "tls-unique"; empty for none
  std::string channel_binding;       ///< raw bytes
};

class SaslClient {
 public:
  /// The mechanisms tried when the user names none, strongest first. OAuth ones are not
  /// among them: a bearer token is not a password.
  [[nodiscard]] static const std::vector<std::string>& default_preference();
  /// True when this build can run MECH (upper case).
  [[nodiscard]] static bool supports(std::string_view mech);

  SaslClient(std::string mechanism, const SaslParameters& parameters);
  ~SaslClient();
  SaslClient(const SaslClient&) = delete;
  SaslClient& operator=(const SaslClient&) = delete;

  /// The next response, base64-encoded, to CHALLENGE (base64; empty before the first
  /// challenge). Throws Error(Authentication) when the mechanism rejects the challenge, for
  /// example a SCRAM server that cannot prove it knows the password.
  [[nodiscard]] std::string step(std::string_view challenge);
  /// True when the mechanism has completed its side, including checking the server where
  /// the mechanism can (SCRAM); the server's +OK must not be trusted before that.
  [[nodiscard]] bool complete() const noexcept;
  /// True for mechanisms that authenticate the server too (SCRAM).
  [[nodiscard]] bool mutual() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace smimekit::pop3::detail

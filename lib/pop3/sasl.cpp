#include "pop3/sasl.h"

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "smimekit/error.h"

namespace smimekit::pop3::detail {

namespace {

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// The process-wide GNU SASL context, made once.
Gsasl* context() {
  static Gsasl* ctx = [] {
    Gsasl* c = nullptr;
    if (const int rc = gsasl_init(&c); rc != GSASL_OK) {
      throw Error(ErrorCode::Internal, fmt::format("cannot start GNU SASL: {}", gsasl_strerror(rc)));
    }
    return c;
  }();
  return ctx;
}

bool is_oauth(std::string_view mech) { return mech == "OAUTHBEARER" || mech == "XOAUTH2"; }

/// RFC 7628 §3.1: in the GS2 header, "," and "=" of the authzid are escaped.
std::string gs2_escape(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (c == ',') out += "=2C";
    else if (c == '=') out += "=3D";
    else out += c;
  }
  return out;
}

}  // namespace

struct SaslClient::Impl {
  std::string mechanism;
  SaslParameters parameters;
  Gsasl_session* session = nullptr;
  bool complete = false;
  int steps = 0;
};

const std::vector<std::string>& SaslClient::default_preference() {
  static const std::vector<std::string> order{
      "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
      "PLAIN",              "CRAM-MD5",      "LOGIN"};
  return order;
}

bool SaslClient::supports(std::string_view mech) {
  if (is_oauth(mech)) return true;
  const std::string name(mech);
  return gsasl_client_support_p(context(), name.c_str()) != 0;
}

SaslClient::SaslClient(std::string mechanism, const SaslParameters& parameters)
    : m_impl(std::make_unique<Impl>()) {
  m_impl->mechanism = std::move(mechanism);
  m_impl->parameters = parameters;
  if (is_oauth(m_impl->mechanism)) return;
  if (const int rc = gsasl_client_start(context(), m_impl->mechanism.c_str(), &m_impl->session);
      rc != GSASL_OK) {
    throw Error(ErrorCode::Unsupported,
                fmt::format("cannot use SASL mechanism {}: {}", m_impl->mechanism, gsasl_strerror(rc)));
  }
  Gsasl_session* s = m_impl->session;
  gsasl_property_set(s, GSASL_AUTHID, parameters.user.c_str());
  std::string password(parameters.password->reveal());
  gsasl_property_set(s, GSASL_PASSWORD, password.c_str());
  OPENSSL_cleanse(password.data(), password.size());
  gsasl_property_set(s, GSASL_SERVICE, "pop");
  gsasl_property_set(s, GSASL_HOSTNAME, parameters.host.c_str());
  if (!parameters.channel_binding.empty()) {
    const std::string cb = base64(parameters.channel_binding);
    gsasl_property_set(s,
                       parameters.channel_binding_type == "tls-exporter" ? GSASL_CB_TLS_EXPORTER
                                                                         : GSASL_CB_TLS_UNIQUE,
                       cb.c_str());
  }
}

SaslClient::~SaslClient() {
  if (m_impl && m_impl->session != nullptr) gsasl_finish(m_impl->session);
}

std::string SaslClient::step(std::string_view challenge) {
  Impl& m = *m_impl;
  ++m.steps;
  if (is_oauth(m.mechanism)) {
    if (m.steps > 1) {
      // The server answered the token with an error (a JSON document). RFC 7628 §3.2.3:
      // the client sends a dummy %x01 and gets -ERR; XOAUTH2 expects an empty response.
      return m.mechanism == "OAUTHBEARER" ? base64("\x01") : std::string();
    }
    const std::string token(m.parameters.password->reveal());
    m.complete = true;
    if (m.mechanism == "XOAUTH2") {
      return base64(fmt::format("user={}\x01" "auth=Bearer {}\x01\x01", m.parameters.user, token));
    }
    return base64(fmt::format("n,a={},\x01host={}\x01port={}\x01" "auth=Bearer {}\x01\x01",
                              gs2_escape(m.parameters.user), m.parameters.host, m.parameters.port,
                              token));
  }
  const std::string input(challenge);
  char* output = nullptr;
  const int rc = gsasl_step64(m.session, input.c_str(), &output);
  std::string response = output != nullptr ? output : "";
  gsasl_free(output);
  if (rc == GSASL_OK) {
    m.complete = true;
  } else if (rc != GSASL_NEEDS_MORE) {
    throw Error(ErrorCode::Authentication,
                fmt::format("SASL {} failed: {}", m.mechanism, gsasl_strerror(rc)));
  }
  return response;
}

bool SaslClient::complete() const noexcept { return m_impl->complete; }

bool SaslClient::mutual() const noexcept { return m_impl->mechanism.starts_with("SCRAM-"); }

}  // namespace smimekit::pop3::detail

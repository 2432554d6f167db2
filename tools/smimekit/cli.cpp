#include "cli.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "smimekit/files.h"

namespace smimekit::cli {

int exit_code(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::Usage: return kUsage;
    case ErrorCode::Input:
    case ErrorCode::Limit: return kDataErr;
    case ErrorCode::Decryption:
    case ErrorCode::NotRecipient: return kNotValid;
    case ErrorCode::NoInput: return kNoInput;
    case ErrorCode::Io: return kIoErr;
    case ErrorCode::Password:
    case ErrorCode::Authentication: return kNoPerm;
    case ErrorCode::Unsupported:
    case ErrorCode::Insecure: return kUnavailable;
    case ErrorCode::Network: return kTempFail;
    case ErrorCode::Protocol: return kProtocol;
    case ErrorCode::Crypto:
    case ErrorCode::Internal: return kSoftware;
  }
  return kSoftware;
}

void error(std::string_view message) { fmt::print(stderr, "smimekit: error: {}\n", message); }
void warning(std::string_view message) { fmt::print(stderr, "smimekit: warning: {}\n", message); }
void hint(std::string_view message) { fmt::print(stderr, "smimekit: hint: {}\n", message); }

std::string read_input(const std::string& path) {
  if (path.empty() || path == "-") {
    std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) throw Error(ErrorCode::Io, "cannot read standard input");
    return data;
  }
  return read_file(path);
}

void write_output(const std::string& path, std::string_view data) {
  if (path.empty() || path == "-") {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
      throw Error(ErrorCode::Io, "cannot write to standard output");
    }
    return;
  }
  write_file_atomic(path, data);
}

void IdentityOptions::add_to(CLI::App& app, bool signer) {
  const char* role = signer ? "signer" : "recipient";
  app.add_option("--key", key, fmt::format("the {}'s private key (PEM or DER, PKCS#8)", role));
  app.add_option("--cert", cert,
                 fmt::format("the {}'s certificate; more certificates in the file form the chain",
                             role));
  app.add_option("--chain", chain, "intermediate certificates to send along (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--p12", p12, "a PKCS#12 file with key, certificate and chain");
  app.add_option("--pass", pass,
                 "where the password is: env:VAR, file:PATH, fd:N (or pass:TEXT, for tests)");
}

Identity IdentityOptions::load() const {
  if (!p12.empty() && (!key.empty() || !cert.empty())) {
    throw UsageError{"--p12 can't be used with --key/--cert",
                     "a PKCS#12 file already holds the key and certificate: give one or the other"};
  }
  if (!p12.empty()) {
    if (!chain.empty()) {
      throw UsageError{"--chain can't be used with --p12",
                       "the chain is taken from the PKCS#12 file"};
    }
    const Secret password = pass.empty() ? Secret() : read_secret(pass);
    return load_pkcs12(p12, password);
  }
  if (key.empty() || cert.empty()) {
    throw UsageError{key.empty() && cert.empty() ? "no signing identity given"
                                                 : (key.empty() ? "--cert needs --key"
                                                                : "--key needs --cert"),
                     "give --key PATH and --cert PATH, or --p12 PATH"};
  }
  std::optional<Secret> password;
  if (!pass.empty()) password = read_secret(pass);
  PrivateKey private_key = load_private_key(key, password ? &*password : nullptr);
  std::vector<Certificate> certs = load_certificates(cert);
  Certificate leaf = certs.front();
  std::vector<Certificate> rest(certs.begin() + 1, certs.end());
  for (const auto& c : chain) {
    auto more = load_certificates(c);
    rest.insert(rest.end(), more.begin(), more.end());
  }
  return make_identity(std::move(private_key), std::move(leaf), std::move(rest));
}

void TrustOptions::add_to(CLI::App& app) {
  app.add_option("--anchor", anchors,
                 "trusted root certificates: a file (PEM or DER) or a directory (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--intermediate", intermediates,
                 "untrusted certificates that may help build chains (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--crl", crls, "certificate revocation lists: a file or a directory (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--time", time, "validate as of this time (2019-06-01 or 2019-06-01T12:00:00Z)");
  app.add_flag("--allow-sha1", allow_sha1, "accept SHA-1 in signatures (MD5 is never accepted)");
  revocation.add_to(app);
}

void RevocationOptions::add_to(CLI::App& app) {
  app.add_option("--revocation", mode,
                 fmt::format("look up revocation online (OCSP, CRL distribution points): soft "
                             "(an unreachable server leaves a warning), hard (it is an error), "
                             "offline (only --crl files; nothing is sent); default {}",
                             mode))
      ->check(CLI::IsMember({"offline", "soft", "hard"}));
  app.add_option("--revocation-timeout", timeout,
                 "seconds allowed for each OCSP or CRL request (default 10)")
      ->check(CLI::Range(1, 300));
  app.add_option("--revocation-cache", cache,
                 "keep fetched CRLs and OCSP responses in this directory between runs");
}

RevocationPolicy RevocationOptions::load() const {
  RevocationPolicy policy;
  policy.mode = mode == "offline" ? RevocationMode::Offline
                : mode == "hard"  ? RevocationMode::HardFail
                                  : RevocationMode::SoftFail;
  policy.timeout = std::chrono::seconds(timeout);
  policy.cache_dir = cache;
  return policy;
}

TrustPolicy TrustOptions::load() const {
  TrustPolicy policy;
  for (const auto& a : anchors) {
    auto certs = load_certificates(a);
    policy.anchors.insert(policy.anchors.end(), certs.begin(), certs.end());
  }
  for (const auto& i : intermediates) {
    auto certs = load_certificates(i);
    policy.intermediates.insert(policy.intermediates.end(), certs.begin(), certs.end());
  }
  for (const auto& c : crls) {
    auto list = load_crls(c);
    policy.crls.insert(policy.crls.end(), list.begin(), list.end());
  }
  if (!time.empty()) {
    policy.validation_time = parse_time(time);
    if (!policy.validation_time) {
      throw UsageError{fmt::format("--time {} is not a date or time", time),
                       "use ISO 8601: 2019-06-01 or 2019-06-01T12:00:00Z"};
    }
  }
  policy.allow_sha1 = allow_sha1;
  policy.revocation = revocation.load();
  return policy;
}

}  // namespace smimekit::cli

#include "cli.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "smimekit/files.h"
#include "smimekit/mail.h"

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

void StoreOptions::add_to(CLI::App& app) {
  app.add_option("--store", dir,
                 "the certificate store (default: $SMIMEKIT_STORE, else "
                 "$XDG_DATA_HOME/smimekit, else ~/.local/share/smimekit)");
}

std::filesystem::path StoreOptions::path() const {
  return dir.empty() ? default_store_path() : std::filesystem::path(dir);
}

CertStore StoreOptions::open(bool create) const {
  return CertStore::open(path(), create);
}

std::optional<CertStore> StoreOptions::open_if_present() const {
  if (!dir.empty()) return CertStore::open(dir, false);
  std::filesystem::path p;
  try {
    p = default_store_path();
  } catch (const Error&) {
    return std::nullopt;  // no HOME: there is no default store to use
  }
  if (!CertStore::exists(p)) return std::nullopt;
  return CertStore::open(p, false);
}

std::string sender_address(const std::string& from, std::string_view message) {
  if (!from.empty()) return from;
  const Report parsed = Opener(OpenOptions{}).open(message);
  return parsed.from.empty() ? std::string() : parsed.from.front();
}

Identity load_signer(const IdentityOptions& identity, const StoreOptions& store,
                     const std::string& from, std::string_view message) {
  if (identity.given()) {
    if (!from.empty()) {
      throw UsageError{"--from can't be used with --key/--cert/--p12",
                       "--from picks the signing key from the store; name it one way only"};
    }
    return identity.load();
  }
  const std::string address = sender_address(from, message);
  if (address.empty()) {
    throw UsageError{"no signing identity given and the message has no From address",
                     "give --from EMAIL to sign with a key of the store, or --key/--cert or --p12"};
  }
  if (identity.pass.empty()) {
    throw UsageError{
        fmt::format("the store's key for {} is encrypted and no password was given", address),
        "give its password with --pass env:VAR or --pass file:PATH"};
  }
  return store.open(false).signing_identity(address, read_secret(identity.pass));
}

void add_store_trust(const CertStore& store, TrustPolicy& policy) {
  TrustPolicy more = store.trust_policy();
  policy.anchors.insert(policy.anchors.end(), more.anchors.begin(), more.anchors.end());
  policy.intermediates.insert(policy.intermediates.end(), more.intermediates.begin(),
                              more.intermediates.end());
  policy.crls.insert(policy.crls.end(), more.crls.begin(), more.crls.end());
}

std::vector<std::string> harvest_report(CertStore& store, const Report& report) {
  std::vector<std::string> out;
  // VALID already means: a signature over the whole message, a chain to an anchor, and a
  // From that binds to the signer's certificate (docs/spec.md).
  if (report.verdict != Verdict::Valid || report.from.empty()) return out;
  const std::string& from = report.from.front();
  for (const SignerReport* s : report.whole_message_signers()) {
    if (!s->certificate) continue;
    const Certificate& cert = *s->certificate;
    const std::string name = fmt::format("{} ({})", from, cert.fingerprint_sha256().substr(0, 16));
    if (!s->signing_time) {
      out.push_back(name + ": not harvested: the signature has no signing time to compare");
      continue;
    }
    std::vector<Certificate> intermediates;
    for (std::size_t i = 1; i < s->trust.chain.size(); ++i) {
      const Certificate& c = s->trust.chain[i].certificate;
      if (!c.is_self_issued()) intermediates.push_back(c);
    }
    const HarvestResult result = store.harvest({from, cert, std::move(intermediates),
                                                *s->signing_time, s->capabilities,
                                                s->encryption_key_preference,
                                                s->preferred_certificate});
    out.push_back(fmt::format("{}: {}{}", name, harvest_outcome_name(result.outcome),
                              result.preference.empty() ? "" : "; " + result.preference));
  }
  return out;
}

std::string explain_no_recipient(const RecipientChoice& choice, const CertStore& store) {
  if (choice.chosen) return {};
  if (choice.candidates.empty()) {
    return fmt::format("the store {} has no certificate for {}", store.path().string(),
                       choice.address);
  }
  std::vector<std::string> why;
  for (const auto& c : choice.candidates) {
    std::vector<std::string> problems;
    for (Status s : c.problems) problems.emplace_back(status_text(s));
    why.push_back(fmt::format("{} ({}): {}", c.certificate.fingerprint_sha256().substr(0, 16),
                              c.certificate.display_name(), fmt::join(problems, ", ")));
  }
  return fmt::format("no usable certificate for {} in the store {}: {}", choice.address,
                     store.path().string(), fmt::join(why, "; "));
}

}  // namespace smimekit::cli

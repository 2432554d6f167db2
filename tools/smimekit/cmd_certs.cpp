// smimekit certs: the certificates of the store — import, list, show, export, remove, and find
// the one to encrypt to.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "commands.h"
#include "smimekit/files.h"
#include "smimekit/time.h"

namespace smimekit::cli {

namespace {

struct CertsArgs {
  StoreOptions store;
  std::vector<std::string> files;
  std::string pass, key_pass;
  bool json = false;
  std::string id;
  std::string output;
  CLI::App *import = nullptr, *list = nullptr, *show = nullptr, *exp = nullptr, *remove = nullptr,
           *find = nullptr;
};

std::string short_fp(const Certificate& c) {
  return c.fingerprint_sha256().substr(0, 16);
}

std::string emails_of(const Certificate& c) {
  return c.email_addresses().empty() ? "-" : fmt::format("{}", fmt::join(c.email_addresses(), ","));
}

std::string date_of(TimePoint t) {
  return format_time(t).substr(0, 10);
}

std::vector<std::string> usages_of(const Certificate& c) {
  std::vector<std::string> out;
  if (c.is_ca()) out.emplace_back("ca");
  if (check_signing_usage(c).empty() && !c.is_ca()) out.emplace_back("sign");
  if (check_encryption_usage(c).empty() && !c.is_ca()) out.emplace_back("encrypt");
  return out;
}

// "anchor", "trusted", or "untrusted: <why>", judged now against the store alone.
std::string trust_of(const StoredCertificate& sc, const PathValidator& validator) {
  if (sc.anchor) return "anchor";
  const ValidationResult r = validator.validate(sc.certificate, {});
  return r.trusted ? "trusted" : fmt::format("untrusted: {}", status_text(r.status));
}

bool looks_like_pkcs12(const std::string& file, const std::string& bytes) {
  const auto ext = std::filesystem::path(file).extension().string();
  if (ext == ".p12" || ext == ".pfx") return true;
  return bytes.rfind("-----BEGIN PKCS12-----", 0) == 0;
}

// The PEM block of the private key in BYTES, which may hold certificates too (as
// `cat cert.pem key.pem` makes); BYTES itself when no such block is found.
std::string_view private_key_block(std::string_view bytes) {
  const auto begin = bytes.rfind("-----BEGIN ", bytes.find("PRIVATE KEY-----"));
  const auto end_marker = bytes.find("-----END ", begin);
  const auto end =
      end_marker == std::string_view::npos ? end_marker : bytes.find("-----", end_marker + 9);
  if (begin == std::string_view::npos || end == std::string_view::npos) return bytes;
  return bytes.substr(begin, end + 5 - begin);
}

Secret key_password(const CertsArgs& args) {
  if (!args.key_pass.empty()) return read_secret(args.key_pass);
  if (!args.pass.empty()) return read_secret(args.pass);
  throw UsageError{"a private key is stored only encrypted, and no password was given for it",
                   "give the password to encrypt it with --key-pass env:VAR or file:PATH "
                   "(--pass is used when --key-pass is absent)"};
}

void report_added(const Certificate& c, bool added) {
  fmt::print("{} {}  {}  {}\n", added ? "imported" : "already in the store:", short_fp(c),
             c.display_name(), emails_of(c));
}

int run_import(const CertsArgs& args) {
  CertStore store = args.store.open(true);
  std::vector<std::pair<std::string, PrivateKey>> keys;  // waiting for their certificate
  std::vector<Certificate> imported;
  for (const auto& file : args.files) {
    const std::string bytes = read_input(file);
    if (looks_like_pkcs12(file, bytes)) {
      if (args.pass.empty()) {
        throw UsageError{fmt::format("{} is a PKCS#12 file and needs its password", file),
                         "give it with --pass env:VAR or --pass file:PATH"};
      }
      const Identity id = load_pkcs12(file, read_secret(args.pass));
      for (const auto& c : id.chain) report_added(c, store.add_certificate(c));
      const bool added = store.add_certificate(id.certificate);
      store.add_private_key(id.certificate, id.key, key_password(args));
      report_added(id.certificate, added);
      fmt::print("stored the private key of {} encrypted\n", short_fp(id.certificate));
      continue;
    }
    if (bytes.find("PRIVATE KEY-----") != std::string::npos) {
      std::optional<Secret> pw;
      if (!args.pass.empty()) pw = read_secret(args.pass);
      keys.emplace_back(file,
                        parse_private_key(private_key_block(bytes), file, pw ? &*pw : nullptr));
      if (bytes.find("-----BEGIN CERTIFICATE-----") == std::string::npos) continue;
    }
    for (const auto& c : parse_certificates(bytes, file)) {
      report_added(c, store.add_certificate(c));
      imported.push_back(c);
    }
  }
  // A key goes with the certificate it belongs to, from this import or already in the store.
  if (!keys.empty()) {
    const Secret password = key_password(args);
    std::vector<Certificate> pool = imported;
    for (const auto& sc : store.list()) pool.push_back(sc.certificate);
    for (const auto& entry : keys) {
      const auto& [file, key] = entry;
      // (A lambda may not capture a structured binding in C++20 as clang 14 reads it.)
      const auto match = std::find_if(pool.begin(), pool.end(), [&entry](const Certificate& c) {
        const auto& key = entry.second;
        try {
          (void)make_identity(key, c, {});
          return true;
        } catch (const Error&) {
          return false;
        }
      });
      if (match == pool.end()) {
        throw Error(ErrorCode::Usage,
                    fmt::format("{}: the private key belongs to no certificate of this import "
                                "or the store; import its certificate with it",
                                file));
      }
      store.add_private_key(*match, key, password);
      fmt::print("stored the private key of {} encrypted\n", short_fp(*match));
    }
  }
  return kOk;
}

int run_list(const CertsArgs& args) {
  const CertStore store = args.store.open(false);
  const PathValidator validator(store.trust_policy());
  nlohmann::json all = nlohmann::json::array();
  for (const auto& sc : store.list()) {
    const Certificate& c = sc.certificate;
    const std::string trust = trust_of(sc, validator);
    const auto usages = usages_of(c);
    if (args.json) {
      all.push_back({{"fingerprint_sha256", c.fingerprint_sha256()},
                     {"emails", c.email_addresses()},
                     {"subject", c.subject()},
                     {"issuer", c.issuer()},
                     {"not_before", format_time(c.not_before())},
                     {"not_after", format_time(c.not_after())},
                     {"usages", usages},
                     {"private_key", sc.has_key},
                     {"trust", trust},
                     {"preferred_for", sc.preferred_for},
                     {"capabilities", sc.capabilities}});
    } else {
      fmt::print("{}  {}  {}  issuer: {}  expires {}  {}{}  {}\n", short_fp(c), emails_of(c),
                 c.subject(), c.issuer(), date_of(c.not_after()),
                 usages.empty() ? "-" : fmt::format("{}", fmt::join(usages, ",")),
                 sc.has_key ? ",key" : "", trust);
    }
  }
  if (args.json) fmt::print("{}\n", all.dump());
  return kOk;
}

std::string key_usage_words(const KeyUsage& ku) {
  if (!ku.present) return "(no keyUsage extension: any)";
  std::vector<std::string> w;
  if (ku.digital_signature) w.emplace_back("digitalSignature");
  if (ku.non_repudiation) w.emplace_back("nonRepudiation");
  if (ku.key_encipherment) w.emplace_back("keyEncipherment");
  if (ku.key_agreement) w.emplace_back("keyAgreement");
  if (ku.key_cert_sign) w.emplace_back("keyCertSign");
  if (ku.crl_sign) w.emplace_back("cRLSign");
  return fmt::format("{}", fmt::join(w, ", "));
}

std::string eku_words(const std::vector<std::string>& eku) {
  if (eku.empty()) return "(none: any)";
  std::vector<std::string> w;
  for (const auto& oid : eku) {
    w.push_back(oid == "1.3.6.1.5.5.7.3.4"   ? "emailProtection"
                : oid == "1.3.6.1.5.5.7.3.1" ? "serverAuth"
                : oid == "1.3.6.1.5.5.7.3.2" ? "clientAuth"
                : oid == "2.5.29.37.0"       ? "anyExtendedKeyUsage"
                                             : oid);
  }
  return fmt::format("{}", fmt::join(w, ", "));
}

int run_show(const CertsArgs& args) {
  const CertStore store = args.store.open(false);
  const PathValidator validator(store.trust_policy());
  bool first = true;
  for (const auto& sc : store.resolve(args.id)) {
    const Certificate& c = sc.certificate;
    if (!first) fmt::print("\n");
    first = false;
    fmt::print("Fingerprint (SHA-256): {}\n", c.fingerprint_sha256());
    fmt::print("Subject:       {}\n", c.subject());
    fmt::print("Issuer:        {}\n", c.issuer());
    fmt::print("Serial:        {}\n", c.serial_hex());
    fmt::print("Email:         {}\n", emails_of(c));
    fmt::print("Valid from:    {}\n", format_time(c.not_before()));
    fmt::print("Valid until:   {}\n", format_time(c.not_after()));
    fmt::print("Key:           {} ({} bits of security)\n", c.key_description(),
               c.key_security_bits());
    fmt::print("Signed with:   {}\n", c.signature_algorithm());
    fmt::print("Key usage:     {}\n", key_usage_words(c.key_usage()));
    fmt::print("Extended key usage: {}\n", eku_words(c.extended_key_usage()));
    fmt::print("CA:            {}\n", c.is_ca() ? "yes" : "no");
    const auto sign = check_signing_usage(c);
    const auto enc = check_encryption_usage(c);
    fmt::print("Mail signing:  {}\n", sign.empty() ? "fit" : status_text(sign.front()));
    fmt::print("Mail encryption: {}\n", enc.empty() ? "fit" : status_text(enc.front()));
    fmt::print("Private key:   {}\n", sc.has_key ? "in the store (encrypted)" : "not in the store");
    const ValidationResult r = validator.validate(c, {});
    std::vector<std::string> chain;
    for (const auto& link : r.chain) chain.push_back(link.certificate.display_name());
    fmt::print(
        "Trust now:     {}{}\n",
        sc.anchor ? "a trust anchor of the store"
                  : (r.trusted ? "trusted" : fmt::format("not trusted: {}", status_text(r.status))),
        chain.size() > 1 ? fmt::format(" (chain: {})", fmt::join(chain, " -> ")) : "");
    if (sc.last_seen) fmt::print("Last seen:     signed mail of {}\n", format_time(*sc.last_seen));
    if (!sc.preferred_for.empty()) {
      fmt::print("Preferred for: {} (sMIMEEncryptionKeyPreference)\n",
                 fmt::join(sc.preferred_for, ", "));
    }
    if (!sc.capabilities.empty()) {
      fmt::print("Can decrypt:   {} (SMIMECapabilities of the last signed mail)\n",
                 fmt::join(sc.capabilities, ", "));
    }
  }
  return kOk;
}

int run_export(const CertsArgs& args) {
  const CertStore store = args.store.open(false);
  std::string pem;
  for (const auto& sc : store.resolve(args.id)) {
    pem += read_file(store.path() / "certs" / (sc.certificate.fingerprint_sha256() + ".pem"));
  }
  write_output(args.output, pem);
  return kOk;
}

int run_remove(const CertsArgs& args) {
  if (args.id.find('@') != std::string::npos) {
    throw UsageError{"certs remove takes a fingerprint, not an address",
                     "an address may name several certificates: see them with 'smimekit certs "
                     "list' and remove one by its fingerprint (at least 8 hex digits)"};
  }
  CertStore store = args.store.open(false);
  const auto found = store.resolve(args.id);
  const Certificate& c = found.front().certificate;
  store.remove_certificate(c.fingerprint_sha256());
  fmt::print("removed {}  {}  {}{}\n", short_fp(c), c.display_name(), emails_of(c),
             found.front().has_key ? " and its private key" : "");
  return kOk;
}

int run_find(const CertsArgs& args) {
  const CertStore store = args.store.open(false);
  const RecipientChoice choice = store.choose_recipient(args.id);
  if (choice.chosen) {
    fmt::print("{}: {}  {}  (expires {})\n", choice.address, short_fp(*choice.chosen),
               choice.chosen->display_name(), date_of(choice.chosen->not_after()));
    fmt::print("  chosen: {}\n", choice.reason);
    if (!choice.capabilities.empty()) {
      fmt::print("  can decrypt: {} (SMIMECapabilities of the newest signed mail)\n",
                 fmt::join(choice.capabilities, ", "));
    }
  } else {
    fmt::print("{}: no usable certificate ({})\n", choice.address, choice.reason);
  }
  for (const auto& cand : choice.candidates) {
    if (choice.chosen && cand.certificate == *choice.chosen) continue;
    if (cand.problems.empty()) {
      fmt::print("  passed over {} (notBefore {}): {}\n", short_fp(cand.certificate),
                 date_of(cand.certificate.not_before()),
                 choice.reason.find("Preference") != std::string::npos
                     ? "not the one the correspondent prefers"
                     : "an older usable certificate");
      continue;
    }
    std::vector<std::string> why;
    for (Status s : cand.problems) why.emplace_back(status_text(s));
    fmt::print("  rejected {} (notBefore {}): {}\n", short_fp(cand.certificate),
               date_of(cand.certificate.not_before()), fmt::join(why, "; "));
  }
  return choice.chosen ? kOk : kNotValid;
}

}  // namespace

Verb setup_certs(CLI::App& parent) {
  auto args = std::make_shared<CertsArgs>();
  CLI::App* app = parent.add_subcommand("certs", "the certificates of the store");
  app->require_subcommand(1);
  args->store.add_to(*app);

  args->import = app->add_subcommand("import",
                                     "add certificates (PEM, DER, .p7b/.p7c, PKCS#12) "
                                     "and private keys");
  args->import->add_option("FILE", args->files, "files to import")->required();
  args->import->add_option("--pass", args->pass,
                           "password of a PKCS#12 file or encrypted key: env:VAR, file:PATH, fd:N");
  args->import->add_option("--key-pass", args->key_pass,
                           "password to store private keys under (default: the --pass one)");
  args->store.add_to(*args->import);

  args->list = app->add_subcommand("list", "one line per certificate");
  args->list->add_flag("--json", args->json, "a JSON array instead");
  args->store.add_to(*args->list);

  args->show = app->add_subcommand("show", "a certificate in words");
  args->show->add_option("ID", args->id, "fingerprint (8+ hex digits) or email address")
      ->required();
  args->store.add_to(*args->show);

  args->exp = app->add_subcommand("export", "write certificates as PEM");
  args->exp->add_option("ID", args->id, "fingerprint (8+ hex digits) or email address")->required();
  args->exp->add_option("-o,--output", args->output, "where to write (default: stdout)");
  args->store.add_to(*args->exp);

  args->remove = app->add_subcommand("remove", "remove a certificate and its private key");
  args->remove->add_option("ID", args->id, "fingerprint (8+ hex digits)")->required();
  args->store.add_to(*args->remove);

  args->find = app->add_subcommand("find", "the certificate to encrypt to, and why");
  args->find->add_option("EMAIL", args->id, "the recipient's address")->required();
  args->store.add_to(*args->find);

  return {app, [args] {
            if (args->import->parsed()) return run_import(*args);
            if (args->list->parsed()) return run_list(*args);
            if (args->show->parsed()) return run_show(*args);
            if (args->exp->parsed()) return run_export(*args);
            if (args->remove->parsed()) return run_remove(*args);
            return run_find(*args);
          }};
}

}  // namespace smimekit::cli

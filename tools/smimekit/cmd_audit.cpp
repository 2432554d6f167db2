// smimekit audit: every chain of each end-entity certificate to the anchors, and what is wrong
// with each certificate of it, as text, JSON, DOT or SVG.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/audit.h"
#include "smimekit/files.h"
#include "smimekit/mail.h"

namespace smimekit::cli {

namespace {

struct AuditArgs {
  std::vector<std::string> anchors, crls, targets;
  std::string time, format = "text", output;
  int warn_days = 30;
  RevocationOptions revocation{.mode = "hard"};  // an audit that could not check says so
  StoreOptions store;
};

// What the TARGETs hand over: certificates to sort into end entities and pool (those of
// messages too), the signers of messages (always end entities), and CRLs found in directories.
struct Gathered {
  std::vector<Certificate> certs, signers, chain;
  std::vector<Crl> crls;
};

void gather_directory(const std::filesystem::path& dir, Gathered& g) {
  std::vector<std::filesystem::path> files;
  try {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error(ErrorCode::NoInput,
                fmt::format("cannot list {}: {}", dir.string(), e.code().message()));
  }
  std::sort(files.begin(), files.end());
  std::size_t found = 0;
  for (const auto& file : files) {
    const std::string bytes = read_file(file);
    // Keys, PKCS#12 files and the like sit beside certificates; they are passed over.
    try {
      auto certs = parse_certificates(bytes, file.string());
      found += certs.size();
      g.certs.insert(g.certs.end(), certs.begin(), certs.end());
      continue;
    } catch (const Error&) {
    }
    try {
      auto crls = parse_crls(bytes, file.string());
      g.crls.insert(g.crls.end(), crls.begin(), crls.end());
    } catch (const Error&) {
    }
  }
  if (found == 0) {
    throw Error(ErrorCode::Input,
                fmt::format("{}: the directory holds no certificate", dir.string()));
  }
}

// The signers of every signed layer, the issuers their chains were built with, and every
// other certificate the message carries (sorted into end entities and issuers later).
void gather_signers(const std::vector<Layer>& layers, Gathered& g) {
  for (const auto& layer : layers) {
    g.certs.insert(g.certs.end(), layer.certificates.begin(), layer.certificates.end());
    for (const auto& signer : layer.signers) {
      if (!signer.certificate) continue;
      g.signers.push_back(*signer.certificate);
      for (std::size_t i = 1; i < signer.trust.chain.size(); ++i) {
        g.chain.push_back(signer.trust.chain[i].certificate);
      }
    }
    gather_signers(layer.children, g);
  }
}

void gather_file(const std::string& target, const Opener& opener, Gathered& g) {
  const std::string name = target == "-" ? "(stdin)" : target;
  const std::string bytes = read_input(target);
  try {
    auto certs = parse_certificates(bytes, name);
    g.certs.insert(g.certs.end(), certs.begin(), certs.end());
    return;
  } catch (const Error&) {
  }
  const Report report = opener.open(bytes);
  if (report.verdict == Verdict::Error) {
    throw Error(ErrorCode::Input,
                fmt::format("{}: neither a certificate (PEM or DER) nor a message{}", name,
                            report.reasons.empty() ? "" : ": " + report.reasons.front()));
  }
  const std::size_t before = g.signers.size();
  gather_signers(report.layers, g);
  if (g.signers.size() == before) {
    throw Error(ErrorCode::Input,
                fmt::format("{}: the message carries no signer certificate to audit", name));
  }
}

int run_audit(const AuditArgs& args) {
  static constexpr std::string_view kFormats[] = {"text", "json", "dot", "svg"};
  if (std::find(std::begin(kFormats), std::end(kFormats), args.format) == std::end(kFormats)) {
    throw UsageError{fmt::format("--format {} is not a format audit writes", args.format),
                     "use --format text, json, dot or svg"};
  }
  AuditInput input;
  input.warn_days = args.warn_days;
  for (const auto& a : args.anchors) {
    auto certs = load_certificates(a);
    input.anchors.insert(input.anchors.end(), certs.begin(), certs.end());
  }
  for (const auto& c : args.crls) {
    auto list = load_crls(c);
    input.crls.insert(input.crls.end(), list.begin(), list.end());
  }
  if (!args.time.empty()) {
    input.time = parse_time(args.time);
    if (!input.time) {
      throw UsageError{fmt::format("--time {} is not a date or time", args.time),
                       "use ISO 8601: 2019-06-01 or 2019-06-01T12:00:00Z"};
    }
  }
  // No TARGET: the whole store is audited. With --store and TARGETs, the store's anchors,
  // CRLs and certificates help judge them.
  Gathered g;
  if (args.targets.empty() || !args.store.dir.empty()) {
    const CertStore store = args.store.open(false);
    const auto anchors = store.anchors();
    const auto crls = store.crls();
    input.anchors.insert(input.anchors.end(), anchors.begin(), anchors.end());
    input.crls.insert(input.crls.end(), crls.begin(), crls.end());
    for (const auto& stored : store.list()) {
      (args.targets.empty() ? g.certs : g.chain).push_back(stored.certificate);
    }
  }
  if (input.anchors.empty()) {
    warning("no trust anchors given, so no chain can be trusted");
    hint("name the root certificates you trust with --anchor FILE or --anchor DIR");
  }

  OpenOptions open_options;
  open_options.trust.anchors = input.anchors;
  open_options.trust.crls = input.crls;
  open_options.trust.validation_time = input.time;
  const Opener opener(std::move(open_options));
  for (const auto& target : args.targets) {
    std::error_code ec;
    if (target != "-" && std::filesystem::is_directory(target, ec)) {
      gather_directory(target, g);
    } else {
      gather_file(target, opener, g);
    }
  }
  AuditSubjects subjects = sort_audit_subjects(g.certs, input.anchors);
  input.end_entities = std::move(subjects.end_entities);
  input.pool = std::move(subjects.pool);
  for (const auto& s : g.signers) {
    if (std::find(input.end_entities.begin(), input.end_entities.end(), s) ==
        input.end_entities.end()) {
      input.end_entities.push_back(s);
    }
  }
  input.pool.insert(input.pool.end(), g.chain.begin(), g.chain.end());
  input.crls.insert(input.crls.end(), g.crls.begin(), g.crls.end());

  input.revocation = args.revocation.load();
  const AuditReport report = audit_certificates(input);
  std::string rendered;
  if (args.format == "json") {
    rendered = render_audit_json(report);
  } else if (args.format == "dot") {
    rendered = render_audit_dot(report);
  } else if (args.format == "svg") {
    rendered = render_audit_svg(report);
  } else {
    rendered = render_audit_text(report);
  }
  write_output(args.output, rendered);
  return report.has_errors() ? kNotValid : kOk;
}

}  // namespace

Verb setup_audit(CLI::App& parent) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* app = parent.add_subcommand(
      "audit", "audit certificate chains; exit 0 only if nothing of error severity was found");
  app->add_option("--anchor", args->anchors,
                  "trusted root certificates: a file (PEM or DER) or a directory (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--crl", args->crls,
                  "certificate revocation lists: a file or a directory (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--time", args->time,
                  "audit as of this time (2019-06-01 or 2019-06-01T12:00:00Z)");
  app->add_option("--format", args->format, "text (default), json, dot or svg");
  app->add_option("--warn-days", args->warn_days,
                  "warn about certificates expiring within N days (default 30)")
      ->check(CLI::Range(0, 36500));
  args->revocation.add_to(*app);
  args->store.add_to(*app);
  app->add_option("-o,--output", args->output, "write here instead of standard output");
  app->add_option("TARGET", args->targets,
                  "certificate files (PEM, DER, bundles), directories or signed messages; "
                  "none: every certificate of the store");
  return {app, [args] { return run_audit(*args); }};
}

}  // namespace smimekit::cli

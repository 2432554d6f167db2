// smimekit verify: check the signatures of received messages and say, per file, whether to
// trust them.
#include <fmt/format.h>

#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/mail.h"

namespace smimekit::cli {

namespace {

struct VerifyArgs {
  TrustOptions trust;
  StoreOptions store;
  bool harvest = false;
  IdentityOptions identity;
  bool require_authenticated = false;
  bool json = false;
  std::vector<std::string> files;
};

int run_verify(const VerifyArgs& args) {
  OpenOptions options;
  options.trust = args.trust.load();
  // --harvest writes into the store, making it when needed; otherwise a store is only read,
  // and only when named or when the default one exists.
  std::optional<CertStore> store =
      args.harvest ? std::optional<CertStore>(args.store.open(true)) : args.store.open_if_present();
  if (store) add_store_trust(*store, options.trust);
  if (args.identity.given()) options.identities.push_back(args.identity.load());
  options.require_authenticated = args.require_authenticated;
  if (options.trust.anchors.empty()) {
    warning("no trust anchors given, so no signature can be trusted");
    hint("name the root certificates you trust with --anchor FILE or --anchor DIR");
  }
  const Opener opener(std::move(options));

  int status = kOk;
  for (const auto& file : args.files) {
    const std::string name = file == "-" ? "(stdin)" : file;
    std::string message;
    try {
      message = read_input(file);
    } catch (const Error& e) {
      // One unreadable file does not stop the others; it decides the exit status.
      error(e.what());
      if (args.json) {
        Report failed;
        failed.verdict = Verdict::Error;
        failed.reasons.push_back(e.what());
        fmt::print("{}\n", to_json(failed, name));
      }
      status = std::max(status, exit_code(e.code()));
      continue;
    }
    const Report report = opener.open(message);
    if (args.json) {
      fmt::print("{}\n", to_json(report, name));
    } else {
      fmt::print("{}: {}\n", name, summarize(report));
    }
    if (args.harvest) {
      // On standard error, so that standard output stays one line (or JSON object) per file.
      for (const auto& line : harvest_report(*store, report)) {
        fmt::print(stderr, "smimekit: harvested {}\n", line);
      }
    }
    if (report.verdict != Verdict::Valid && status == kOk) status = kNotValid;
  }
  std::fflush(stdout);
  return status;
}

}  // namespace

Verb setup_verify(CLI::App& parent) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* app = parent.add_subcommand(
      "verify", "verify signed messages; exit 0 only if every one is valid");
  args->trust.add_to(*app);
  args->store.add_to(*app);
  app->add_flag("--harvest", args->harvest,
                "store the signer's certificate of each VALID message in the store");
  args->identity.add_to(*app, false);
  app->add_flag("--require-authenticated", args->require_authenticated,
                "refuse unauthenticated (AES-CBC) encryption");
  app->add_flag("--json", args->json, "one JSON object per file, one per line");
  app->add_option("FILE", args->files, "messages to verify ('-' for stdin)")->required();
  return {app, [args] { return run_verify(*args); }};
}

}  // namespace smimekit::cli

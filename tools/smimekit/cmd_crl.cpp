// smimekit crl: the certificate revocation lists of the store.
#include <fmt/format.h>

#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/time.h"

namespace smimekit::cli {

namespace {

struct CrlArgs {
  StoreOptions store;
  std::vector<std::string> files;
  CLI::App *import = nullptr, *list = nullptr;
};

int run_import(const CrlArgs& args) {
  CertStore store = args.store.open(true);
  for (const auto& file : args.files) {
    for (const auto& crl : load_crls(file)) {
      const bool added = store.add_crl(crl);
      fmt::print("{} CRL of {} ({} revoked, issued {})\n", added ? "imported" : "already have the",
                 crl.issuer(), crl.revoked_count(), format_time(crl.this_update()));
    }
  }
  return kOk;
}

int run_list(const CrlArgs& args) {
  const CertStore store = args.store.open(false);
  const auto now = std::chrono::system_clock::now();
  for (const auto& crl : store.crls()) {
    const auto next = crl.next_update();
    fmt::print("{}  issued {}  next update {}  {} revoked{}\n", crl.issuer(),
               format_time(crl.this_update()), next ? format_time(*next) : "(none)",
               crl.revoked_count(), next && *next < now ? "  EXPIRED" : "");
  }
  return kOk;
}

}  // namespace

Verb setup_crl(CLI::App& parent) {
  auto args = std::make_shared<CrlArgs>();
  CLI::App* app = parent.add_subcommand("crl", "the certificate revocation lists of the store");
  app->require_subcommand(1);
  args->store.add_to(*app);
  args->import = app->add_subcommand("import", "add the CRLs of FILE... (PEM or DER)");
  args->import->add_option("FILE", args->files, "CRL files")->required();
  args->store.add_to(*args->import);
  args->list = app->add_subcommand("list", "one line per CRL");
  args->store.add_to(*args->list);
  return {app, [args] { return args->import->parsed() ? run_import(*args) : run_list(*args); }};
}

}  // namespace smimekit::cli

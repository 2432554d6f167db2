// smimekit crl: the certificate revocation lists of the store.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/time.h"

namespace smimekit::cli {

namespace {

struct CrlArgs {
  StoreOptions store;
  std::vector<std::string> files;
  int timeout = 10;
  CLI::App *import = nullptr, *list = nullptr, *update = nullptr;
};

// "3 revoked, next update 2026-11-28 07:00:00 UTC"
std::string summary(const Crl& crl) {
  const auto next = crl.next_update();
  return fmt::format("{} revoked, next update {}", crl.revoked_count(),
                     next ? format_time(*next) : "(none)");
}

int run_import(const CrlArgs& args) {
  CertStore store = args.store.open(true);
  for (const auto& file : args.files) {
    for (const auto& crl : load_crls(file)) {
      const std::string what = fmt::format("CRL of {} ({} revoked, issued {})", crl.issuer(),
                                           crl.revoked_count(), format_time(crl.this_update()));
      switch (store.add_crl(crl)) {
        case CrlAdded::Added:
          fmt::print("imported {}\n", what);
          break;
        case CrlAdded::Replaced:
          fmt::print("imported {}, replacing the older one\n", what);
          break;
        case CrlAdded::AlreadyHave:
          fmt::print("already have the {}\n", what);
          break;
        case CrlAdded::Older:
          fmt::print(
              "kept the stored CRL of {}, which is at least as new as the one in {} "
              "(issued {})\n",
              crl.issuer(), file, format_time(crl.this_update()));
          break;
      }
    }
  }
  return kOk;
}

int run_update(const CrlArgs& args) {
  CertStore store = args.store.open(false);
  const auto updates = store.update_crls(std::chrono::seconds(args.timeout));
  if (updates.empty()) {
    fmt::print("no certificate in the store names an http CRL distribution point\n");
    return kOk;
  }
  int status = kOk;
  for (const auto& u : updates) {
    if (u.failure) {
      // One failed distribution point does not stop the others; the worst decides the status.
      error(fmt::format("{}: {}; nothing stored", u.url, u.failure->what()));
      if (u.issuer_missing) {
        hint(
            "import the issuer's certificate with 'smimekit certs import FILE' (or, for a "
            "root you trust, 'smimekit anchors add FILE') and run 'smimekit crl update' again");
      } else if (u.failure->code() == ErrorCode::Network) {
        hint("check that the server is reachable, or allow it longer with --timeout SECONDS");
      }
      status = std::max(status, exit_code(u.failure->code()));
      continue;
    }
    const Crl& crl = *u.crl;
    switch (*u.added) {
      case CrlAdded::Added:
      case CrlAdded::Replaced:
        fmt::print("updated CRL of {} from {} ({})\n", crl.issuer(), u.url, summary(crl));
        break;
      case CrlAdded::AlreadyHave:
        fmt::print("CRL of {} from {} already current ({})\n", crl.issuer(), u.url, summary(crl));
        break;
      case CrlAdded::Older:
        fmt::print("CRL of {} from {} is not newer than the stored one, which stays ({})\n",
                   crl.issuer(), u.url, summary(crl));
        break;
    }
  }
  return status;
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
  args->update = app->add_subcommand(
      "update", "fetch the CRLs of the http distribution points the store's certificates name");
  args->update
      ->add_option("--timeout", args->timeout, "seconds allowed for each CRL request (default 10)")
      ->check(CLI::Range(1, 300));
  args->store.add_to(*args->update);
  return {app, [args] {
            if (args->import->parsed()) return run_import(*args);
            if (args->update->parsed()) return run_update(*args);
            return run_list(*args);
          }};
}

}  // namespace smimekit::cli

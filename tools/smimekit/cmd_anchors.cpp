// smimekit anchors: the trust anchors of the store — the roots whose chains are trusted.
#include <fmt/format.h>

#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/time.h"

namespace smimekit::cli {

namespace {

struct AnchorsArgs {
  StoreOptions store;
  std::vector<std::string> files;
  std::string id;
  CLI::App *add = nullptr, *list = nullptr, *remove = nullptr;
};

int run_add(const AnchorsArgs& args) {
  CertStore store = args.store.open(true);
  for (const auto& file : args.files) {
    for (const auto& c : load_certificates(file)) {
      // An anchor is the end of every chain it validates: a user certificate is a mistake.
      if (!c.is_ca()) {
        throw UsageError{fmt::format("{}: {} is not a CA certificate", file, c.display_name()),
                         "trust anchors are root (or intermediate) CA certificates; import "
                         "a correspondent's certificate with 'smimekit certs import'"};
      }
      const bool added = store.add_anchor(c);
      fmt::print("{} {}  {}\n", added ? "added anchor" : "already an anchor:",
                 c.fingerprint_sha256().substr(0, 16), c.subject());
    }
  }
  return kOk;
}

int run_list(const AnchorsArgs& args) {
  const CertStore store = args.store.open(false);
  for (const auto& c : store.anchors()) {
    fmt::print("{}  {}  expires {}{}\n", c.fingerprint_sha256().substr(0, 16), c.subject(),
               format_time(c.not_after()).substr(0, 10),
               c.is_self_issued() ? "" : fmt::format("  (issued by {})", c.issuer()));
  }
  return kOk;
}

int run_remove(const AnchorsArgs& args) {
  CertStore store = args.store.open(false);
  std::string prefix = args.id;
  for (auto& ch : prefix) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (prefix.size() < 8) {
    throw UsageError{"an anchor is named by its fingerprint, at least 8 hex digits",
                     "see them with 'smimekit anchors list'"};
  }
  std::vector<Certificate> found;
  for (const auto& c : store.anchors()) {
    if (c.fingerprint_sha256().rfind(prefix, 0) == 0) found.push_back(c);
  }
  if (found.empty()) {
    throw Error(ErrorCode::NoInput, fmt::format("the store {} has no anchor whose fingerprint "
                                                "starts with {}",
                                                store.path().string(), prefix));
  }
  if (found.size() > 1) {
    throw UsageError{
        fmt::format("{} anchors have fingerprints starting with {}", found.size(), prefix),
        "give more digits"};
  }
  store.remove_anchor(found.front().fingerprint_sha256());
  fmt::print("removed anchor {}  {}\n", found.front().fingerprint_sha256().substr(0, 16),
             found.front().subject());
  return kOk;
}

}  // namespace

Verb setup_anchors(CLI::App& parent) {
  auto args = std::make_shared<AnchorsArgs>();
  CLI::App* app = parent.add_subcommand("anchors", "the trust anchors of the store");
  app->require_subcommand(1);
  args->store.add_to(*app);
  args->add = app->add_subcommand("add", "trust the CA certificates of FILE...");
  args->add->add_option("FILE", args->files, "PEM or DER certificate files")->required();
  args->store.add_to(*args->add);
  args->list = app->add_subcommand("list", "one line per anchor");
  args->store.add_to(*args->list);
  args->remove = app->add_subcommand("remove", "stop trusting an anchor");
  args->remove->add_option("ID", args->id, "fingerprint (8+ hex digits)")->required();
  args->store.add_to(*args->remove);
  return {app, [args] {
            if (args->add->parsed()) return run_add(*args);
            if (args->list->parsed()) return run_list(*args);
            return run_remove(*args);
          }};
}

}  // namespace smimekit::cli

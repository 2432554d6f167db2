// smimekit decrypt: decrypt a received message, write it out, and say what was inside.
#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/mail.h"

namespace smimekit::cli {

namespace {

struct DecryptArgs {
  IdentityOptions identity;
  TrustOptions trust;
  StoreOptions store;
  bool require_authenticated = false;
  bool json = false;
  std::string output;
  std::string input;
};

bool looks_binary(std::string_view data) {
  return std::any_of(data.begin(), data.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0 || (u < 0x20 && u != '\n' && u != '\r' && u != '\t');
  });
}

int run_decrypt(const DecryptArgs& args) {
  if (!args.identity.given()) {
    throw UsageError{"no key to decrypt with", "give --key PATH and --cert PATH, or --p12 PATH"};
  }
  OpenOptions options;
  options.trust = args.trust.load();
  if (const auto store = args.store.open_if_present()) add_store_trust(*store, options.trust);
  options.identities.push_back(args.identity.load());
  options.require_authenticated = args.require_authenticated;
  const Opener opener(std::move(options));

  const Report report = opener.open(read_input(args.input));
  if (args.json) fmt::print(stderr, "{}\n", to_json(report, args.input.empty() ? "-" : args.input));
  if (!report.encrypted) {
    // Nothing is written: an output file appears only for a message that decrypted.
    if (!args.json) error(report.reasons.empty() ? "the message is not encrypted" : report.reasons.front());
    return report.verdict == Verdict::Error && report.reasons.size() == 1 &&
                   report.layers.empty()
               ? kDataErr
               : kNotValid;
  }
  const bool to_terminal = (args.output.empty() || args.output == "-") && isatty(STDOUT_FILENO);
  if (to_terminal && looks_binary(report.decrypted_message)) {
    throw UsageError{"the decrypted message holds binary data and standard output is a terminal",
                     "write it to a file with -o FILE (or -o - to force)"};
  }
  write_output(args.output, report.decrypted_message);
  if (!args.json) {
    const std::string inside =
        report.verdict == Verdict::Unsigned ? fmt::format("decrypted; {}", fmt::join(report.reasons, "; "))
                                            : fmt::format("decrypted; {}", summarize(report));
    fmt::print(stderr, "smimekit: {}\n", inside);
  }
  return kOk;
}

}  // namespace

Verb setup_decrypt(CLI::App& parent) {
  auto args = std::make_shared<DecryptArgs>();
  CLI::App* app = parent.add_subcommand("decrypt", "decrypt a message and check what is inside");
  args->identity.add_to(*app, false);
  args->trust.add_to(*app);
  args->store.add_to(*app);
  app->add_flag("--require-authenticated", args->require_authenticated,
                "refuse unauthenticated (AES-CBC) encryption");
  app->add_flag("--json", args->json, "the report as one JSON object on standard error");
  app->add_option("-o,--output", args->output, "where to write the decrypted message (default: stdout)");
  app->add_option("IN", args->input, "the message to decrypt (default: stdin)");
  return {app, [args] { return run_decrypt(*args); }};
}

}  // namespace smimekit::cli

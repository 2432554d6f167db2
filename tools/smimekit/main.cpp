// smimekit — S/MIME signing, verification and certificate audit.
#include <fmt/format.h>

#include <csignal>
#include <vector>

#include "cli.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace smimekit::cli;
  // A server that hangs up must give an error, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"smimekit: sign, encrypt, verify and audit S/MIME mail"};
  app.name("smimekit");
  app.require_subcommand(1);
  app.set_version_flag("--version", "smimekit 0.1.0");
  std::vector<Verb> verbs{setup_sign(app),    setup_verify(app),  setup_encrypt(app),
                          setup_decrypt(app), setup_fetch(app),   setup_demo(app),
                          setup_certs(app),   setup_anchors(app), setup_crl(app),
                          setup_audit(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app.help());
    return kOk;
  } catch (const CLI::CallForVersion&) {
    fmt::print("smimekit 0.1.0\n");
    return kOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help of a subcommand
      for (const auto& verb : verbs) {
        if (verb.app->parsed()) {
          // `certs import --help` shows the help of import, not of certs.
          for (const CLI::App* sub : verb.app->get_subcommands()) {
            fmt::print("{}", sub->help());
            return kOk;
          }
          fmt::print("{}", verb.app->help());
          return kOk;
        }
      }
      fmt::print("{}", app.help());
      return kOk;
    }
    // An unknown verb is the likeliest slip; name it rather than CLI11's generic complaint.
    if (argc > 1 && argv[1][0] != '-') {
      bool known = false;
      for (const auto& verb : verbs) known = known || verb.app->get_name() == argv[1];
      if (!known) {
        error(fmt::format("unknown verb '{}'", argv[1]));
        hint(
            "the verbs are sign, verify, encrypt, decrypt, fetch, certs, anchors, crl, audit "
            "and demo; see 'smimekit --help'");
        return kUsage;
      }
    }
    error(e.what());
    hint("run 'smimekit --help' or 'smimekit VERB --help' for the options");
    return kUsage;
  }

  for (const auto& verb : verbs) {
    if (!verb.app->parsed()) continue;
    try {
      return verb.run();
    } catch (const UsageError& e) {
      error(e.message);
      if (!e.hint.empty()) hint(e.hint);
      return kUsage;
    } catch (const smimekit::Error& e) {
      error(e.what());
      return exit_code(e.code());
    } catch (const std::exception& e) {
      error(fmt::format("unexpected failure: {}", e.what()));
      return kSoftware;
    }
  }
  return kUsage;
}

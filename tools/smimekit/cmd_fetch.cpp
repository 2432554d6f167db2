// smimekit fetch: download new mail from a POP3 server over TLS into a Maildir, and open
// every message on arrival (see lib/include/smimekit/fetch.h).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli.h"
#include "commands.h"
#include "smimekit/config.h"
#include "smimekit/fetch.h"

namespace smimekit::cli {

namespace {

struct FetchArgs {
  std::string account, url, config, maildir, report, cacert, user, pass, key_pass;
  bool starttls = false, tls = false, remove = false, store_decrypted = false, json = false;
  std::vector<std::string> mechanisms;
  TrustOptions trust;
  IdentityOptions identity;
  StoreOptions store;
  bool no_harvest = false;
};

/// Reads a password from the terminal without echo.
Secret prompt_password(const std::string& account) {
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    throw UsageError{fmt::format("no password for {} and no terminal to ask on", account),
                     "give --pass env:VAR or file:PATH, or password_command in the config file"};
  }
  fmt::print(tty, "password for {}: ", account);
  std::fflush(tty);
  termios old{};
  const int fd = ::fileno(tty);
  const bool have_termios = ::tcgetattr(fd, &old) == 0;
  if (have_termios) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  for (int c; (c = std::fgetc(tty)) != EOF && c != '\n';) line += static_cast<char>(c);
  if (have_termios) ::tcsetattr(fd, TCSAFLUSH, &old);
  fmt::print(tty, "\n");
  std::fclose(tty);
  return Secret(std::move(line));
}

/// The account to fetch: from the URL, or the config file, with the flags on top.
AccountConfig resolve_account(const FetchArgs& args) {
  AccountConfig account;
  if (!args.url.empty()) {
    if (!args.account.empty()) {
      throw UsageError{"give an account name or a URL, not both",
                       "--account NAME reads the config file; a URL needs none"};
    }
    account = parse_account_url(args.url);
  } else {
    const std::filesystem::path path = args.config.empty() ? default_config_path() : std::filesystem::path(args.config);
    if (args.config.empty() && !std::filesystem::exists(path)) {
      throw UsageError{fmt::format("no account to fetch from: no URL given and no {}", path.string()),
                       "run 'smimekit fetch pop3s://USER@HOST --maildir DIR', or write the "
                       "config file (see 'man smimekit-fetch')"};
    }
    const Config config = load_config(path);
    if (!args.account.empty()) {
      account = config.account(args.account);
    } else if (config.accounts.size() == 1) {
      account = config.accounts.front();
    } else {
      throw UsageError{fmt::format("{} has {} accounts", path.string(), config.accounts.size()),
                       "name one with --account NAME"};
    }
  }
  if (args.tls && args.starttls) {
    throw UsageError{"--tls and --starttls exclude each other",
                     "--tls is POP3S (port 995), --starttls is STLS (port 110)"};
  }
  if (args.tls) account.server.tls = pop3::TlsMode::Implicit;
  if (args.starttls) account.server.tls = pop3::TlsMode::StartTls;
  if (!args.cacert.empty()) account.server.cacert = args.cacert;
  if (!args.user.empty()) account.user = args.user;
  if (!args.pass.empty()) {
    account.password = args.pass;
    account.password_command.clear();
  }
  if (!args.mechanisms.empty()) account.mechanisms = args.mechanisms;
  if (!args.maildir.empty()) account.maildir = args.maildir;
  if (!args.report.empty()) account.report = args.report;
  if (args.remove) account.remove_after_delivery = true;
  if (args.store_decrypted) account.store_decrypted = true;
  for (const auto& a : args.trust.anchors) account.anchors.emplace_back(a);
  for (const auto& c : args.trust.crls) account.crls.emplace_back(c);
  if (args.identity.given()) {
    account.key = args.identity.key;
    account.cert = args.identity.cert;
    account.p12 = args.identity.p12;
  }
  if (!args.key_pass.empty()) account.key_password = args.key_pass;
  if (account.user.empty()) {
    throw UsageError{"no user name", "give it in the URL (pop3s://USER@HOST) or with --user"};
  }
  if (account.maildir.empty()) {
    throw UsageError{"no Maildir to deliver into", "give --maildir DIR, or maildir in the config file"};
  }
  if (account.report.empty()) account.report = account.maildir / "smimekit-report.jsonl";
  return account;
}

FetchOptions fetch_options(const AccountConfig& account, const FetchArgs& args) {
  FetchOptions options;
  options.server = account.server;
  options.credentials.user = account.user;
  options.credentials.mechanisms = account.mechanisms;
  const std::string id = account.id();
  options.credentials.password = [account, id] {
    if (!account.password.empty()) return read_secret(account.password);
    if (!account.password_command.empty()) return run_password_command(account.password_command);
    return prompt_password(id);
  };
  options.maildir = account.maildir;
  options.report = account.report;
  options.remove_after_delivery = account.remove_after_delivery;
  options.store_decrypted = account.store_decrypted;

  TrustOptions trust = args.trust;
  trust.anchors.clear();
  trust.crls.clear();
  for (const auto& a : account.anchors) trust.anchors.push_back(a.string());
  for (const auto& c : account.crls) trust.crls.push_back(c.string());
  options.open.trust = trust.load();
  if (!account.key.empty() || !account.cert.empty() || !account.p12.empty()) {
    IdentityOptions identity;
    identity.key = account.key.string();
    identity.cert = account.cert.string();
    identity.p12 = account.p12.string();
    identity.pass = account.key_password;
    options.open.identities.push_back(identity.load());
  }
  return options;
}

std::string human_bytes(double bytes) {
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024);
  if (bytes < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024 * 1024));
  return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
}

/// The progress line on a terminal, redrawn at most ten times a second.
class ProgressLine {
 public:
  void operator()(const FetchProgress& p) {
    using namespace std::chrono;
    const bool last = p.messages_done == p.messages_total;
    if (!last && p.elapsed - m_drawn < milliseconds(100)) return;
    m_drawn = p.elapsed;
    const double seconds = duration<double>(p.elapsed).count();
    const double rate = seconds > 0 ? static_cast<double>(p.bytes_done) / seconds : 0;
    const double left = rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : 0;
    fmt::print(stderr, "\r\033[Kfetching: {}/{} messages, {} of {}, {}/s, {:.0f} s left",
               p.messages_done, p.messages_total, human_bytes(static_cast<double>(p.bytes_done)),
               human_bytes(static_cast<double>(p.bytes_total)), human_bytes(rate), left);
    if (last) fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  std::chrono::steady_clock::duration m_drawn{-std::chrono::hours(1)};
};

int run_fetch(const FetchArgs& args) {
  const AccountConfig account = resolve_account(args);
  FetchOptions options = fetch_options(account, args);
  // The store's anchors, intermediates and CRLs count too; into it go the certificates of
  // VALID signers (harvesting, on unless --no-harvest).
  std::optional<CertStore> store = args.store.open_if_present();
  if (store) add_store_trust(*store, options.open.trust);
  std::function<void(const FetchedMessage&)> on_message;
  if (store && !args.no_harvest) {
    on_message = [&store](const FetchedMessage& m) {
      try {
        for (const auto& line : harvest_report(*store, m.report)) {
          fmt::print(stderr, "smimekit: harvested {}\n", line);
        }
      } catch (const Error& e) {
        // A store that cannot be written must not stop the mail from being delivered.
        warning(fmt::format("cannot harvest from {}: {}", m.file.string(), e.what()));
      }
    };
  }
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  if (options.open.trust.anchors.empty() && terminal) {
    warning("no trust anchors given, so no signature can be trusted");
    hint("name the root certificates you trust with --anchor, or anchors in the config file");
  }
  std::function<void(const FetchProgress&)> progress;
  if (terminal) progress = ProgressLine();
  const FetchSummary summary = fetch(options, progress, on_message);
  if (args.json) {
    fmt::print("{}\n", summary.json());
  } else if (terminal || ::isatty(STDOUT_FILENO) == 1) {
    fmt::print("{}: {}\n", account.id(), summary.text());
  }
  std::fflush(stdout);
  return kOk;
}

}  // namespace

Verb setup_fetch(CLI::App& parent) {
  auto args = std::make_shared<FetchArgs>();
  CLI::App* app = parent.add_subcommand(
      "fetch", "fetch new mail over POP3 with TLS into a Maildir and check every message");
  app->add_option("URL", args->url, "pop3s://USER@HOST[:PORT] (TLS) or pop3://USER@HOST (STLS)");
  app->add_option("--account", args->account, "the account of the config file to fetch");
  app->add_option("--config", args->config, "the config file (default ~/.config/smimekit/config.toml)");
  app->add_option("--maildir", args->maildir, "deliver into this Maildir (created if missing)");
  app->add_option("--report", args->report,
                  "append one JSON line per message here (default MAILDIR/smimekit-report.jsonl)");
  app->add_option("--cacert", args->cacert,
                  "trust the server certificate only if it chains to these CAs (file or directory)");
  app->add_option("--user", args->user, "the POP3 user name");
  app->add_option("--pass", args->pass,
                  "where the POP3 password is: env:VAR, file:PATH, fd:N (or pass:TEXT, for tests)");
  app->add_option("--mechanism", args->mechanisms,
                  "SASL mechanisms to use, in order (SCRAM-SHA-256, PLAIN, ..., USER, APOP)")
      ->allow_extra_args(false);
  app->add_flag("--starttls", args->starttls, "plain POP3 upgraded with STLS (port 110)");
  app->add_flag("--tls", args->tls, "POP3S, TLS from the first byte (port 995)");
  app->add_flag("--delete", args->remove,
                "delete messages on the server once they are safely delivered");
  app->add_flag("--store-decrypted", args->store_decrypted,
                "store the decrypted message instead of the encrypted one");
  args->trust.add_to(*app);
  app->add_option("--key", args->identity.key, "your private key, to decrypt (PEM or DER)");
  app->add_option("--cert", args->identity.cert, "your certificate, to decrypt");
  app->add_option("--p12", args->identity.p12, "a PKCS#12 file with your key and certificate");
  app->add_option("--key-pass", args->key_pass, "where the key's password is (env:, file:, fd:)");
  app->add_flag("--json", args->json, "print the summary as JSON");
  args->store.add_to(*app);
  app->add_flag("--no-harvest", args->no_harvest,
                "do not store the certificates of valid signers in the store");
  return {app, [args] { return run_fetch(*args); }};
}

}  // namespace smimekit::cli

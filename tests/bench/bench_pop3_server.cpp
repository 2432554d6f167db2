// The server side of tests/bench/fetch_bench.py: a private Dovecot on 127.0.0.1 (POP3 with
// STLS, the demo server certificate) holding a mailbox of signed messages for user "bench".
//
//   SMIMEKIT_BENCH_PASSWORD=secret bench_pop3_server [--certs DIR] [--small N] [--large N]
//       [--small-size BYTES] [--large-size BYTES] [--work-dir DIR]
//
// It generates the mailbox itself (signed by the demo identity alice, so that a fetch with
// the demo root as trust anchor finds every message valid), delivers it, prints one JSON line
// on stdout ({"port": ..., "pop3s_port": ..., "messages": ..., "bytes": ...}) and serves
// until its standard input is closed or it gets SIGINT/SIGTERM; then it stops Dovecot and
// removes its work directory (unless --work-dir named one).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "smimekit/files.h"
#include "smimekit/mail.h"
#include "testbed/dovecot.h"

namespace {

using namespace smimekit;

volatile sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

struct Args {
  std::filesystem::path certs = std::filesystem::path(SMIMEKIT_SOURCE_DIR) / "certs" / "demo";
  std::filesystem::path work_dir;  // empty: a fresh one under the temp dir, removed at the end
  std::size_t small = 2000, large = 20;
  std::size_t small_size = 6 * 1024, large_size = 1024 * 1024;
};

[[noreturn]] void usage(const std::string& problem) {
  fmt::print(stderr,
             "bench_pop3_server: {}\n"
             "usage: SMIMEKIT_BENCH_PASSWORD=... bench_pop3_server [--certs DIR] [--small N] "
             "[--large N] [--small-size BYTES] [--large-size BYTES] [--work-dir DIR]\n",
             problem);
  std::exit(64);
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage(fmt::format("{} needs a value", flag));
    const std::string value = argv[++i];
    auto number = [&] {
      try {
        return static_cast<std::size_t>(std::stoull(value));
      } catch (const std::exception&) {
        usage(fmt::format("{} needs a number, not '{}'", flag, value));
      }
    };
    if (flag == "--certs") {
      args.certs = value;
    } else if (flag == "--work-dir") {
      args.work_dir = value;
    } else if (flag == "--small") {
      args.small = number();
    } else if (flag == "--large") {
      args.large = number();
    } else if (flag == "--small-size") {
      args.small_size = number();
    } else if (flag == "--large-size") {
      args.large_size = number();
    } else {
      usage(fmt::format("unknown option {}", flag));
    }
  }
  return args;
}

constexpr std::string_view kWords[] = {
    "invoice", "quarter",  "figures",  "meeting", "budget",   "review",   "contract", "shipment",
    "the",     "a",        "and",      "of",      "to",       "for",      "with",     "on",
    "please",  "attached", "signed",   "final",   "draft",    "revenue",  "forecast", "schedule",
    "team",    "project",  "delivery", "update",  "question", "answer",   "report",   "numbers",
    "Monday",  "Tuesday",  "Friday",   "morning", "office",   "customer", "supplier", "account",
};

/// About SIZE bytes of text in lines of at most 72 characters, different for every RNG.
std::string text_body(std::mt19937_64& rng, std::size_t size) {
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> number(0, 999'999);
  std::string out, line;
  out.reserve(size + 80);
  while (out.size() < size) {
    std::string word(kWords[pick(rng)]);
    if (pick(rng) % 7 == 0) word = fmt::format("{}", number(rng));
    if (line.size() + word.size() + 1 > 72) {
      out += line;
      out += pick(rng) % 5 == 0 ? ".\n\n" : "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  return out;
}

/// SIZE bytes of random data as base64 in 76-character lines.
std::string base64_noise(std::mt19937_64& rng, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(size * 4 / 3 + size / 57 + 8);
  std::size_t column = 0;
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint64_t bits = rng() & 0xFFFFFF;
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(bits >> shift) & 0x3F];
    column += 4;
    if (column == 76) {
      out += '\n';
      column = 0;
    }
  }
  if (column != 0) out += '\n';
  return out;
}

std::string header(std::size_t index, std::mt19937_64& rng, std::string_view content_type) {
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kWords) - 1);
  const unsigned day = 1 + static_cast<unsigned>(index % 28);
  const unsigned minute = static_cast<unsigned>(index % (24 * 60));
  return fmt::format(
      "From: Alice Demo <alice@example.org>\n"
      "To: Bench <bench@example.org>\n"
      "Subject: Bench message {}: {} {} {}\n"
      "Date: {} Nov 2026 {:02}:{:02}:00 +0000\n"
      "Message-ID: <bench-{}@example.org>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: {}\n"
      "\n",
      index, kWords[pick(rng)], kWords[pick(rng)], kWords[pick(rng)], day, minute / 60, minute % 60,
      index, content_type);
}

/// A plain-text message whose signed form is about TOTAL bytes (OVERHEAD is what signing adds).
std::string small_message(std::size_t index, std::size_t total, std::size_t overhead) {
  std::mt19937_64 rng(index * 2654435761u + 1);
  // Vary the size by up to 15% either way around TOTAL.
  std::uniform_int_distribution<long> jitter(-static_cast<long>(total) * 15 / 100,
                                             static_cast<long>(total) * 15 / 100);
  const long wanted = static_cast<long>(total) + jitter(rng) - static_cast<long>(overhead);
  std::string message = header(index, rng, "text/plain; charset=utf-8");
  const long body = wanted - static_cast<long>(message.size());
  message += text_body(rng, static_cast<std::size_t>(std::max(body, 256L)));
  return message;
}

/// A multipart message with a short text and an attachment, about TOTAL bytes once signed.
std::string large_message(std::size_t index, std::size_t total) {
  std::mt19937_64 rng(index * 40503u + 7);
  const std::string boundary = fmt::format("=_bench_{}_{:x}", index, rng());
  std::string message =
      header(index, rng, fmt::format("multipart/mixed; boundary=\"{}\"", boundary));
  message += fmt::format("--{}\nContent-Type: text/plain; charset=utf-8\n\n", boundary);
  message += text_body(rng, 2000);
  message += fmt::format(
      "\n--{}\nContent-Type: application/octet-stream\n"
      "Content-Disposition: attachment; filename=\"data-{}.bin\"\n"
      "Content-Transfer-Encoding: base64\n\n",
      boundary, index);
  message += base64_noise(rng, total * 3 / 4 * 76 / 77);
  message += fmt::format("--{}--\n", boundary);
  return message;
}

std::filesystem::path make_work_dir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "smimekit-bench-server-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(ErrorCode::Io, "cannot create a temporary directory for the server");
  }
  // Dovecot's unprivileged processes must reach the Maildirs below (searchable, not listable).
  std::filesystem::permissions(
      pattern, std::filesystem::perms::others_exec | std::filesystem::perms::group_exec,
      std::filesystem::perm_options::add);
  return pattern;
}

int serve(const Args& args) {
  const char* password = std::getenv("SMIMEKIT_BENCH_PASSWORD");
  if (password == nullptr || *password == '\0') {
    usage("SMIMEKIT_BENCH_PASSWORD is not set: it holds the password of user 'bench'");
  }
  const Identity alice = make_identity(load_private_key(args.certs / "alice.key", nullptr),
                                       load_certificates(args.certs / "alice.pem").front(),
                                       load_certificates(args.certs / "intermediate.pem"));

  const bool own_work_dir = args.work_dir.empty();
  const std::filesystem::path work = own_work_dir ? make_work_dir() : args.work_dir;
  struct Cleanup {
    std::filesystem::path path;
    ~Cleanup() {
      std::error_code ignored;
      if (!path.empty()) std::filesystem::remove_all(path, ignored);
    }
  } cleanup{own_work_dir ? work : std::filesystem::path()};

  testbed::DovecotOptions options;
  options.work_dir = work / "dovecot";
  options.tls_chain_pem = read_file(args.certs / "pop3-server-chain.pem");
  options.tls_key_pem = read_file(args.certs / "pop3-server.key");
  options.users.push_back({"bench", password});
  testbed::Dovecot server = testbed::Dovecot::start(options);

  // What signing adds (MIME wrapper, signature, alice's chain), so that the signed small
  // messages come out at about the size asked for.
  const std::string probe = small_message(0, 4096, 0);
  const std::size_t overhead = sign(probe, alice).size() - probe.size();

  const std::size_t count = args.small + args.large;
  // Spread the large messages evenly through the mailbox.
  const std::size_t large_every =
      args.large == 0 ? 0 : std::max<std::size_t>(1, count / args.large);
  std::uint64_t bytes = 0;
  std::size_t small_done = 0, large_done = 0;
  for (std::size_t i = 1; i <= count && g_stop == 0; ++i) {
    const bool large = large_done < args.large &&
                       (small_done == args.small || (large_every != 0 && i % large_every == 0));
    const std::string plain =
        large ? large_message(i, args.large_size) : small_message(i, args.small_size, overhead);
    (large ? large_done : small_done) += 1;
    const std::string signed_message = sign(plain, alice);
    bytes += signed_message.size();
    server.deliver("bench", signed_message);
  }
  if (g_stop != 0) return 1;
  fmt::print(stderr, "bench_pop3_server: {} messages ({} of ~{} B, {} of ~{} B), {:.1f} MiB\n",
             count, small_done, args.small_size, large_done, args.large_size,
             static_cast<double>(bytes) / (1024 * 1024));

  fmt::print("{{\"port\": {}, \"pop3s_port\": {}, \"messages\": {}, \"bytes\": {}}}\n",
             server.pop3_port(), server.pop3s_port(), count, bytes);
  std::fflush(stdout);

  // Serve until the parent closes our stdin (or dies, which closes it too) or signals us.
  char buffer[256];
  while (g_stop == 0) {
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction action {};
  action.sa_handler = on_signal;  // no SA_RESTART: the read() of stdin returns EINTR
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  try {
    return serve(parse_args(argc, argv));
  } catch (const Error& e) {
    fmt::print(stderr, "bench_pop3_server: {}\n", e.what());
    return 69;
  }
}

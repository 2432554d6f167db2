#include "support/test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>

#include <fmt/format.h>

namespace smimekit::test {

std::filesystem::path certs_dir() { return std::filesystem::path(SMIMEKIT_SOURCE_DIR) / "certs"; }
std::filesystem::path demo(const std::string& file) { return certs_dir() / "demo" / file; }
std::filesystem::path test_cert(const std::string& file) { return certs_dir() / "test" / file; }

std::filesystem::path corpus(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(SMIMEKIT_CORPORA_DIR) / name;
  return std::filesystem::is_directory(dir) ? dir : std::filesystem::path();
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

TempDir::TempDir() {
  std::random_device rd;
  m_path = std::filesystem::temp_directory_path() /
           fmt::format("smimekit-test-{}-{:08x}", ::getpid(), rd());
  std::filesystem::create_directories(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

RunResult run(const std::vector<std::string>& args, const std::string& stdin_data) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  while (out_open || err_open || in_fd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out_pipe[0], POLLIN, 0};
    if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) break;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        const ssize_t w = ::write(in_fd, stdin_data.data() + written, stdin_data.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == stdin_data.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      std::string& sink = fds[i].fd == out_pipe[0] ? result.out : result.err;
      if (r > 0) {
        sink.append(buf, static_cast<std::size_t>(r));
      } else {
        (fds[i].fd == out_pipe[0] ? out_open : err_open) = false;
      }
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

RunResult smimekit(const std::vector<std::string>& args, const std::string& stdin_data) {
  std::vector<std::string> full{SMIMEKIT_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  return run(full, stdin_data);
}

bool have_program(const std::string& program) {
  return run({"sh", "-c", "command -v " + program + " >/dev/null"}).exit_code == 0;
}

namespace {
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view data) {
  std::string out;
  std::size_t line = 0;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    unsigned v = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out.push_back(k <= n ? kBase64[(v >> (18 - 6 * k)) & 63] : '=');
    }
    line += 4;
    if (line == 76) {
      out.push_back('\n');
      line = 0;
    }
  }
  if (line != 0) out.push_back('\n');
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const std::size_t idx = kBase64.find(c);
    if (idx == std::string_view::npos) continue;  // line ends and other white space
    v = (v << 6) | static_cast<unsigned>(idx);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((v >> bits) & 0xff));
    }
  }
  return out;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

std::string to_lf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

Split split_header(const std::string& message) {
  for (std::size_t pos = 0; pos < message.size();) {
    std::size_t eol = message.find('\n', pos);
    if (eol == std::string::npos) break;
    const std::string_view line(message.data() + pos, eol - pos);
    if (line.empty() || line == "\r") return {message.substr(0, eol + 1), message.substr(eol + 1)};
    pos = eol + 1;
  }
  return {message, ""};
}

std::string sample_message(const std::string& from) {
  return fmt::format(
      "From: {}\n"
      "To: Bob Demo <bob@example.org>\n"
      "Subject: Test message\n"
      "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
      "Message-ID: <test-1@example.org>\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Hello Bob,\n"
      "\n"
      "this is a test message.\n"
      "\n"
      "Alice\n",
      from);
}

MadeCertificate make_user_certificate(const std::filesystem::path& dir, const std::string& name,
                                      const std::string& email, const std::string& key_usage,
                                      const std::string& key_type, int days) {
  const std::filesystem::path config = dir / (name + ".cnf");
  write(config, fmt::format("[req]\ndistinguished_name = dn\nprompt = no\n"
                            "[dn]\nO = smimekit test\nCN = {}\n"
                            "[ext]\nbasicConstraints = CA:FALSE\n"
                            "keyUsage = critical, {}\nextendedKeyUsage = emailProtection\n"
                            "subjectAltName = email:{}\nsubjectKeyIdentifier = hash\n"
                            "authorityKeyIdentifier = keyid\n",
                            name, key_usage, email));
  MadeCertificate made{dir / (name + ".pem"), dir / (name + ".key")};
  std::vector<std::string> args{"openssl",
                                "req",
                                "-x509",
                                "-config",
                                config.string(),
                                "-extensions",
                                "ext",
                                "-CA",
                                demo("intermediate.pem").string(),
                                "-CAkey",
                                demo("intermediate.key").string(),
                                "-nodes",
                                "-keyout",
                                made.key.string(),
                                "-out",
                                made.cert.string(),
                                "-days",
                                std::to_string(days),
                                "-sha256"};
  if (key_type == "rsa") {
    args.insert(args.end(), {"-newkey", "rsa:2048"});
  } else {
    args.insert(args.end(), {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
  }
  const RunResult r = run(args);
  if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.err);
  return made;
}

}  // namespace smimekit::test

#include "smimekit/secret.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <openssl/crypto.h>
#include <fmt/format.h>

#include "smimekit/files.h"
#include "smimekit/error.h"

namespace smimekit {

Secret::Secret(Secret&& other) noexcept : m_value(std::move(other.m_value)) { other.wipe(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    m_value = std::move(other.m_value);
    other.wipe();
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() noexcept {
  if (!m_value.empty()) OPENSSL_cleanse(m_value.data(), m_value.size());
  m_value.clear();
}

namespace {

// A secret is one line: what follows the first line end is not part of it.
std::string first_line(std::string text) {
  const auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) {
    OPENSSL_cleanse(text.data() + end, text.size() - end);
    text.resize(end);
  }
  return text;
}

std::string read_line_from_fd(int fd) {
  std::string out;
  char c = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw Error(ErrorCode::NoInput,
                  fmt::format("cannot read a password from file descriptor {}: {}", fd,
                              std::strerror(errno)));
    }
    if (n == 0 || c == '\n') break;
    out.push_back(c);
    if (out.size() > 4096) {
      throw Error(ErrorCode::Input,
                  fmt::format("the password on file descriptor {} is longer than 4096 bytes", fd));
    }
  }
  return first_line(std::move(out));
}

}  // namespace

Secret read_secret(std::string_view spec) {
  const auto colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  if (colon == std::string_view::npos) {
    throw Error(ErrorCode::Usage,
                "a password is given as pass:TEXT, env:VAR, file:PATH or fd:N, not as plain text");
  }
  if (kind == "pass") return Secret(std::string(rest));
  if (kind == "env") {
    const char* value = std::getenv(std::string(rest).c_str());
    if (value == nullptr) {
      throw Error(ErrorCode::NoInput,
                  fmt::format("environment variable {} (named by --pass env:{}) is not set", rest,
                              rest));
    }
    return Secret(value);
  }
  if (kind == "file") return Secret(first_line(read_file(std::string(rest))));
  if (kind == "fd") {
    int fd = -1;
    try {
      std::size_t used = 0;
      fd = std::stoi(std::string(rest), &used);
      if (used != rest.size() || fd < 0) throw std::invalid_argument("fd");
    } catch (const std::exception&) {
      throw Error(ErrorCode::Usage, fmt::format("fd:{} is not a file descriptor number", rest));
    }
    return Secret(read_line_from_fd(fd));
  }
  throw Error(ErrorCode::Usage,
              fmt::format("unknown password source '{}': use pass:, env:, file: or fd:", kind));
}

}  // namespace smimekit

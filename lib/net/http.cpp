#include "net/http.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "net/tcp.h"
#include "smimekit/error.h"

namespace smimekit::net {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeaderLine = 8 * 1024;
constexpr std::size_t kMaxHeaderFields = 100;
constexpr std::size_t kMaxInterimResponses = 5;

[[noreturn]] void protocol_error(std::string_view url, std::string_view what) {
  throw Error(ErrorCode::Protocol, fmt::format("{} (untrusted answer from {})", what, url));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A socket whose reads share one deadline.
class Stream {
 public:
  Stream(const HttpUrl& url, std::chrono::milliseconds timeout)
      : m_deadline(Clock::now() + timeout), m_timeout(timeout) {
    m_fd = connect_tcp(url.host, url.port, remaining());
  }
  ~Stream() { ::close(m_fd); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t put = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (put >= 0) {
        data.remove_prefix(static_cast<std::size_t>(put));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLOUT, "sending the request");
      } else if (errno != EINTR) {
        throw Error(ErrorCode::Network,
                    fmt::format("the connection broke while sending the request: {}",
                                std::strerror(errno)));
      }
    }
  }

  /// One line without its CRLF (or bare LF); Error(Protocol) past MAX octets.
  std::string line(std::string_view url, std::size_t max) {
    std::size_t scanned = 0;
    for (;;) {
      const auto lf = m_buffer.find('\n', m_begin + scanned);
      if (lf != std::string::npos) {
        std::size_t length = lf - m_begin;
        if (length > max)
          protocol_error(url, fmt::format("a response line is longer than {} octets", max));
        std::string out = m_buffer.substr(m_begin, length);
        m_begin = lf + 1;
        if (!out.empty() && out.back() == '\r') out.pop_back();
        return out;
      }
      scanned = m_buffer.size() - m_begin;
      if (scanned > max)
        protocol_error(url, fmt::format("a response line is longer than {} octets", max));
      if (!fill()) protocol_error(url, "the response ended in the middle of a line");
    }
  }

  /// Appends exactly N octets to OUT.
  void take(std::string_view url, std::size_t n, std::string& out) {
    while (m_buffer.size() - m_begin < n) {
      if (m_buffer.size() - m_begin > 0) {
        const std::size_t have = m_buffer.size() - m_begin;
        out.append(m_buffer, m_begin, have);
        n -= have;
        m_buffer.clear();
        m_begin = 0;
      }
      if (!fill()) protocol_error(url, "the response ended before its announced length");
    }
    out.append(m_buffer, m_begin, n);
    m_begin += n;
  }

  /// Appends everything up to the end of the stream, at most MAX octets in all.
  void rest(std::string_view url, std::size_t max, std::string& out) {
    for (;;) {
      out.append(m_buffer, m_begin);
      m_buffer.clear();
      m_begin = 0;
      if (out.size() > max) {
        throw Error(ErrorCode::Limit,
                    fmt::format("the response from {} is larger than {} octets", url, max));
      }
      if (!fill()) return;
    }
  }

 private:
  std::chrono::milliseconds remaining() const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - Clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }

  void wait(short events, std::string_view doing) {
    const auto left = remaining();
    if (left.count() == 0) {
      throw Error(ErrorCode::Network, fmt::format("the server did not answer within {} ms while {}",
                                                  m_timeout.count(), doing));
    }
    try {
      wait_for(m_fd, events, left, doing);
    } catch (const Error&) {
      throw Error(ErrorCode::Network, fmt::format("the server did not answer within {} ms while {}",
                                                  m_timeout.count(), doing));
    }
  }

  bool fill() {
    if (m_begin > 0 && m_begin == m_buffer.size()) {
      m_buffer.clear();
      m_begin = 0;
    }
    char chunk[16 * 1024];
    for (;;) {
      const ssize_t got = ::recv(m_fd, chunk, sizeof chunk, 0);
      if (got > 0) {
        m_buffer.append(chunk, static_cast<std::size_t>(got));
        return true;
      }
      if (got == 0) return false;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLIN, "reading the response");
      } else if (errno != EINTR) {
        throw Error(ErrorCode::Network,
                    fmt::format("the connection broke while reading the response: {}",
                                std::strerror(errno)));
      }
    }
  }

  int m_fd = -1;
  Clock::time_point m_deadline;
  std::chrono::milliseconds m_timeout;
  std::string m_buffer;
  std::size_t m_begin = 0;
};

std::optional<std::size_t> parse_size(std::string_view text, int base) {
  text = trim(text);
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string request(std::string_view method, std::string_view url_text,
                    std::string_view content_type, std::string_view body,
                    const HttpLimits& limits) {
  const auto url = parse_http_url(url_text);
  if (!url) {
    throw Error(
        ErrorCode::Usage,
        fmt::format("'{}' is not an http:// URL (only plain HTTP is used for revocation data)",
                    url_text));
  }
  Stream stream(*url, limits.timeout);
  const bool v6 = url->host.find(':') != std::string::npos;
  const std::string host = fmt::format("{}{}{}{}", v6 ? "[" : "", url->host, v6 ? "]" : "",
                                       url->port == 80 ? "" : fmt::format(":{}", url->port));
  std::string head = fmt::format(
      "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: smimekit\r\nAccept: */*\r\nConnection: close\r\n",
      method, url->target, host);
  if (method == "POST") {
    head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", content_type, body.size());
  }
  head += "\r\n";
  stream.write(head);
  stream.write(body);

  // RFC 9112 §4: status line; interim 1xx responses are skipped.
  int status = 0;
  std::string reason;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  for (std::size_t interim = 0;; ++interim) {
    const std::string line = stream.line(url_text, kMaxHeaderLine);
    if (line.size() < 12 || line.compare(0, 7, "HTTP/1.") != 0 || line[8] != ' ') {
      protocol_error(url_text, "the server did not answer with HTTP/1.x");
    }
    const auto code = parse_size(std::string_view(line).substr(9, 3), 10);
    if (!code || *code < 100 || *code > 599)
      protocol_error(url_text, "the HTTP status line is malformed");
    status = static_cast<int>(*code);
    reason = std::string(trim(std::string_view(line).substr(12)));
    content_length.reset();
    chunked = false;
    for (std::size_t fields = 0;; ++fields) {
      const std::string field = stream.line(url_text, kMaxHeaderLine);
      if (field.empty()) break;
      if (fields >= kMaxHeaderFields) {
        protocol_error(
            url_text, fmt::format("the response has more than {} header fields", kMaxHeaderFields));
      }
      const auto colon = field.find(':');
      if (colon == std::string::npos)
        protocol_error(url_text, "a response header field has no colon");
      const std::string_view name(field.data(), colon);
      const std::string_view value = trim(std::string_view(field).substr(colon + 1));
      if (iequals(name, "Content-Length")) {
        const auto n = parse_size(value, 10);
        if (!n || (content_length && *content_length != *n)) {
          protocol_error(url_text, "the response has a malformed Content-Length");
        }
        content_length = n;
      } else if (iequals(name, "Transfer-Encoding")) {
        // Only "chunked" is understood; any other coding would hand us bytes we cannot read.
        if (!iequals(value, "chunked")) {
          protocol_error(url_text, fmt::format("the transfer coding '{}' is not supported", value));
        }
        chunked = true;
      }
    }
    if (status >= 200) break;
    if (interim >= kMaxInterimResponses)
      protocol_error(url_text, "too many interim (1xx) responses");
  }
  if (status >= 300 && status < 400) {
    // RFC 5280 §4.2.1.13 and RFC 6960 name the place itself; a redirect could send the
    // client anywhere, so none is followed.
    protocol_error(url_text, fmt::format("the server redirects ({} {}); redirects are not followed",
                                         status, reason));
  }
  if (status != 200)
    protocol_error(url_text, fmt::format("the server answered {} {}", status, reason));

  std::string out;
  if (chunked) {
    // RFC 9112 §7.1: size line (hex, optional extensions), data, CRLF; a zero size ends it.
    for (;;) {
      const std::string size_line = stream.line(url_text, kMaxHeaderLine);
      const auto size = parse_size(std::string_view(size_line).substr(0, size_line.find(';')), 16);
      if (!size) protocol_error(url_text, "a chunk size is malformed");
      if (*size == 0) break;
      if (*size > limits.max_body - out.size()) {
        throw Error(ErrorCode::Limit, fmt::format("the response from {} is larger than {} octets",
                                                  url_text, limits.max_body));
      }
      stream.take(url_text, *size, out);
      if (!stream.line(url_text, 2).empty())
        protocol_error(url_text, "a chunk does not end with CRLF");
    }
    for (std::size_t fields = 0; !stream.line(url_text, kMaxHeaderLine).empty(); ++fields) {
      if (fields >= kMaxHeaderFields)
        protocol_error(url_text, "the response has too many trailer fields");
    }
  } else if (content_length) {
    const std::size_t announced = content_length.value();
    if (announced > limits.max_body) {
      throw Error(ErrorCode::Limit,
                  fmt::format("the response from {} is larger than {} octets ({})", url_text,
                              limits.max_body, announced));
    }
    stream.take(url_text, announced, out);
  } else {
    stream.rest(url_text, limits.max_body, out);
  }
  return out;
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !iequals(url.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  const auto slash = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  HttpUrl out;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    const auto n = parse_size(port, 10);
    if (!n || *n == 0 || *n > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(*n);
  }
  out.target = rest.empty() ? "/" : std::string(rest);
  if (out.target.front() == '?') out.target = "/" + out.target;
  return out;
}

std::string http_get(std::string_view url, const HttpLimits& limits) {
  return request("GET", url, {}, {}, limits);
}

std::string http_post(std::string_view url, std::string_view content_type, std::string_view body,
                      const HttpLimits& limits) {
  return request("POST", url, content_type, body, limits);
}

}  // namespace smimekit::net

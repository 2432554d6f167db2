// The POP3 session: greeting, TLS, capabilities, login, UIDL/LIST, pipelined RETR and DELE.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pop3/response.h"
#include "pop3/sasl.h"
#include "pop3/transport.h"
#include "smimekit/error.h"
#include "smimekit/pop3.h"

namespace smimekit::pop3 {

using detail::Connection;
using detail::printable;

namespace {

/// At most this many lines in a UIDL or LIST answer: ten million messages.
constexpr std::size_t kMaxListLines = 10'000'000;

/// A command argument must not be able to end the command early (CR, LF) or be empty.
void check_argument(std::string_view what, std::string_view value) {
  if (value.empty()) throw Error(ErrorCode::Usage, fmt::format("the {} is empty", what));
  for (const unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      throw Error(ErrorCode::Usage, fmt::format("the {} contains a control character", what));
    }
  }
}

std::string md5_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

}  // namespace

struct Session::Impl {
  ServerOptions server;
  Limits limits;
  std::unique_ptr<Connection> connection;
  Capabilities caps;
  std::optional<std::string> apop_stamp;
  std::string mechanism;
  std::size_t round_trips = 0;
  std::string line;  // the last line read; reused to spare allocations

  [[nodiscard]] std::string where() const {
    return fmt::format("{} port {}", server.host, server.effective_port());
  }

  void send(std::string_view text) {
    connection->write(text);
    ++round_trips;
  }

  /// Reads a status line; the returned text points into LINE.
  detail::Status status() {
    connection->read_line(line, limits.max_line);
    return detail::parse_status(line);
  }

  detail::Status command(std::string_view text) {
    send(fmt::format("{}\r\n", text));
    return status();
  }

  /// Reads the lines of a multi-line answer up to the terminating ".", unstuffed, one by one.
  template <typename Each>
  void read_lines(Each&& each, std::size_t max_lines) {
    for (std::size_t n = 0;; ++n) {
      connection->read_line(line, limits.max_line);
      if (line == ".") return;
      if (n == max_lines) {
        throw Error(ErrorCode::Limit, fmt::format("{} sent an answer of more than {} lines", where(), max_lines));
      }
      each(std::string_view(line).substr(!line.empty() && line[0] == '.' ? 1 : 0));
    }
  }

  void read_capabilities() {
    caps = {};
    if (!command("CAPA").ok) return;  // an RFC 1939 server without CAPA
    read_lines([this](std::string_view l) { detail::add_capability(l, caps); }, 1000);
  }

  void greet() {
    const detail::Status greeting = status();
    if (!greeting.ok) {
      throw Error(ErrorCode::Network,
                  fmt::format("{} refused the session: {}", where(), printable(greeting.text)));
    }
    apop_stamp = detail::apop_timestamp(greeting.text);
  }

  void upgrade() {
    read_capabilities();
    if (!caps.stls) {
      throw Error(ErrorCode::Insecure,
                  fmt::format("{} does not offer STLS, so the session cannot be encrypted, and "
                              "smimekit sends no password without TLS; if the server has POP3S, "
                              "use pop3s:// (port 995)",
                              where()));
    }
    if (const detail::Status answer = command("STLS"); !answer.ok) {
      throw Error(ErrorCode::Insecure,
                  fmt::format("{} refused STLS: {}", where(), printable(answer.text)));
    }
    // Bytes after the +OK were sent before TLS protected anything: start_tls drops them.
    connection->start_tls(server);
    read_capabilities();  // RFC 2595 §4: what was said before TLS is forgotten
  }

  [[nodiscard]] bool usable(const std::string& mech) const {
    if (mech == "USER") return caps.user || caps.sasl.empty();
    if (mech == "APOP") return apop_stamp.has_value();
    if (std::find(caps.sasl.begin(), caps.sasl.end(), mech) == caps.sasl.end()) return false;
    if (mech.ends_with("-PLUS")) {
      std::string type;
      if (connection->channel_binding(type).empty()) return false;
    }
    return detail::SaslClient::supports(mech);
  }

  [[noreturn]] void refused(const Credentials& credentials, std::string_view text) {
    throw Error(ErrorCode::Authentication,
                fmt::format("{} refused the login of '{}' with {}: {}", where(), credentials.user,
                            mechanism, printable(text)));
  }

  void login_user(const Credentials& credentials, const Secret& password) {
    check_argument("password", password.reveal());
    if (const detail::Status s = command(fmt::format("USER {}", credentials.user)); !s.ok) {
      refused(credentials, s.text);
    }
    std::string pass = fmt::format("PASS {}\r\n", password.reveal());
    send(pass);
    OPENSSL_cleanse(pass.data(), pass.size());
    if (const detail::Status s = status(); !s.ok) refused(credentials, s.text);
  }

  void login_apop(const Credentials& credentials, const Secret& password) {
    const std::string digest = md5_hex(*apop_stamp + std::string(password.reveal()));
    if (const detail::Status s = command(fmt::format("APOP {} {}", credentials.user, digest)); !s.ok) {
      refused(credentials, s.text);
    }
  }

  void login_sasl(const Credentials& credentials, const Secret& password) {
    detail::SaslParameters parameters;
    parameters.user = credentials.user;
    parameters.password = &password;
    parameters.host = server.tls_name.empty() ? server.host : server.tls_name;
    parameters.port = server.effective_port();
    if (mechanism.ends_with("-PLUS")) {
      parameters.channel_binding = connection->channel_binding(parameters.channel_binding_type);
    }
    detail::SaslClient sasl(mechanism, parameters);
    // RFC 5034 §4: an initial response rides on the AUTH command when it fits in 255 octets.
    std::string first = sasl.step("");
    std::string command_line = fmt::format("AUTH {}", mechanism);
    bool pending_first = false;
    if (!first.empty() && command_line.size() + 1 + first.size() <= 253) {
      command_line += " " + first;
    } else if (!first.empty()) {
      pending_first = true;
    }
    send(command_line + "\r\n");
    for (int round = 0;; ++round) {
      connection->read_line(line, limits.max_line);
      if (line.starts_with("+OK") || line.starts_with("-ERR")) {
        const detail::Status s = detail::parse_status(line);
        if (!s.ok) refused(credentials, s.text);
        if (sasl.mutual() && !sasl.complete()) {
          throw Error(ErrorCode::Authentication,
                      fmt::format("{} accepted the login without proving it knows the password "
                                  "({}); the server may not be the one it claims to be",
                                  where(), mechanism));
        }
        return;
      }
      if (!line.starts_with("+") || round > 16) {
        throw Error(ErrorCode::Protocol,
                    fmt::format("{} sent a malformed SASL challenge: \"{}\"", where(), printable(line)));
      }
      std::string_view challenge = std::string_view(line).substr(1);
      if (!challenge.empty() && challenge[0] == ' ') challenge.remove_prefix(1);
      std::string response;
      if (pending_first) {
        response = std::move(first);
        pending_first = false;
      } else {
        try {
          response = sasl.step(challenge);
        } catch (const Error&) {
          send("*\r\n");  // cancel (RFC 5034 §4), then report why
          connection->read_line(line, limits.max_line);
          throw;
        }
      }
      send(response + "\r\n");
    }
  }
};

Session::Session(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Session Session::connect(const ServerOptions& server, const Limits& limits) {
  check_argument("server name", server.host);
  auto impl = std::make_unique<Impl>();
  impl->server = server;
  impl->limits = limits;
  impl->connection =
      std::make_unique<Connection>(server.host, server.effective_port(), server.timeout);
  if (server.tls == TlsMode::Implicit) {
    impl->connection->start_tls(server);
    impl->greet();
    impl->read_capabilities();
  } else {
    impl->greet();
    impl->upgrade();
  }
  return Session(std::move(impl));
}

const Capabilities& Session::capabilities() const noexcept { return m_impl->caps; }
const std::string& Session::mechanism() const noexcept { return m_impl->mechanism; }
std::size_t Session::round_trips() const noexcept { return m_impl->round_trips; }

void Session::login(const Credentials& credentials) {
  Impl& s = *m_impl;
  if (!s.connection->tls()) {
    throw Error(ErrorCode::Internal, "refusing to log in over a connection without TLS");
  }
  check_argument("user name", credentials.user);
  std::vector<std::string> wanted = credentials.mechanisms;
  if (wanted.empty()) {
    wanted = detail::SaslClient::default_preference();
    wanted.emplace_back("USER");
  }
  s.mechanism.clear();
  for (const auto& mech : wanted) {
    if (s.usable(mech)) {
      s.mechanism = mech;
      break;
    }
  }
  if (s.mechanism.empty()) {
    std::string offered = fmt::format("{}", fmt::join(s.caps.sasl, " "));
    if (s.caps.user) offered += offered.empty() ? "USER" : " USER";
    if (s.apop_stamp) offered += offered.empty() ? "APOP" : " APOP";
    throw Error(ErrorCode::Authentication,
                fmt::format("{} offers no login method smimekit may use (offered: {}; wanted: {})",
                            s.where(), offered.empty() ? "none" : offered, fmt::join(wanted, " ")));
  }
  if (!credentials.password) throw Error(ErrorCode::Usage, "no password was given");
  const Secret password = credentials.password();
  if (s.mechanism == "USER") {
    s.login_user(credentials, password);
  } else if (s.mechanism == "APOP") {
    s.login_apop(credentials, password);
  } else {
    s.login_sasl(credentials, password);
  }
}

std::vector<MessageInfo> Session::list() {
  Impl& s = *m_impl;
  const bool pipelined = s.caps.pipelining;
  if (pipelined) s.send("UIDL\r\nLIST\r\n");

  if (const detail::Status uidl = pipelined ? s.status() : s.command("UIDL"); !uidl.ok) {
    throw Error(ErrorCode::Unsupported,
                fmt::format("{} does not support UIDL ({}); without unique ids a message could be "
                            "fetched twice, so smimekit does not fetch from it",
                            s.where(), printable(uidl.text)));
  }
  std::vector<MessageInfo> messages;
  std::set<std::string_view> seen;
  s.read_lines(
      [&](std::string_view l) {
        auto [number, uidl] = detail::parse_uidl_line(l);
        messages.push_back({number, std::move(uidl), 0});
      },
      kMaxListLines);
  for (const auto& m : messages) {
    if (!seen.insert(m.uidl).second) {
      throw Error(ErrorCode::Protocol,
                  fmt::format("{} gave two messages the same UIDL '{}'", s.where(), printable(m.uidl)));
    }
  }

  if (const detail::Status list = pipelined ? s.status() : s.command("LIST"); !list.ok) {
    throw Error(ErrorCode::Protocol, fmt::format("{} refused LIST: {}", s.where(), printable(list.text)));
  }
  std::map<std::uint32_t, std::uint64_t> sizes;
  s.read_lines([&](std::string_view l) { sizes.insert(detail::parse_list_line(l)); }, kMaxListLines);
  for (auto& m : messages) {
    const auto found = sizes.find(m.number);
    if (found == sizes.end()) {
      throw Error(ErrorCode::Protocol,
                  fmt::format("{} listed message {} in UIDL but not in LIST", s.where(), m.number));
    }
    m.size = found->second;
  }
  return messages;
}

void Session::retrieve(std::span<const MessageInfo> messages, const MessageSink& sink) {
  Impl& s = *m_impl;
  for (const auto& m : messages) {
    if (m.size > s.limits.max_message) {
      throw Error(ErrorCode::Limit, fmt::format("message {} is {} octets, more than the limit of {}",
                                                m.number, m.size, s.limits.max_message));
    }
  }
  const std::size_t window = s.caps.pipelining ? std::max<std::size_t>(s.limits.window, 1) : 1;
  std::size_t sent = 0;
  std::string commands;
  for (std::size_t done = 0; done < messages.size(); ++done) {
    // Keep the pipe full: refill to WINDOW commands in flight once half of them are answered.
    if (sent - done <= window / 2 && sent < messages.size()) {
      commands.clear();
      for (; sent < messages.size() && sent - done < window; ++sent) {
        commands += fmt::format("RETR {}\r\n", messages[sent].number);
      }
      s.send(commands);
    }
    const MessageInfo& m = messages[done];
    if (const detail::Status answer = s.status(); !answer.ok) {
      throw Error(ErrorCode::Protocol, fmt::format("{} refused to send message {}: {}", s.where(),
                                                   m.number, printable(answer.text)));
    }
    // The size LIST gave is a hint; the bound is the limit.
    detail::MultilineBody body(s.limits.max_message);
    body.text().reserve(static_cast<std::size_t>(std::min<std::uint64_t>(m.size + 64, s.limits.max_message)));
    do {
      s.connection->read_line(s.line, s.limits.max_line);
    } while (!body.add(s.line));
    sink(m, std::move(body.text()));
  }
}

void Session::remove(std::span<const std::uint32_t> numbers) {
  Impl& s = *m_impl;
  const std::size_t window = s.caps.pipelining ? std::max<std::size_t>(s.limits.window, 1) : 1;
  std::string commands;
  for (std::size_t at = 0; at < numbers.size();) {
    const std::size_t batch = std::min(window, numbers.size() - at);
    commands.clear();
    for (std::size_t i = 0; i < batch; ++i) commands += fmt::format("DELE {}\r\n", numbers[at + i]);
    s.send(commands);
    for (std::size_t i = 0; i < batch; ++i) {
      if (const detail::Status answer = s.status(); !answer.ok) {
        throw Error(ErrorCode::Protocol, fmt::format("{} refused to delete message {}: {}", s.where(),
                                                     numbers[at + i], printable(answer.text)));
      }
    }
    at += batch;
  }
}

void Session::quit() {
  Impl& s = *m_impl;
  const detail::Status answer = s.command("QUIT");
  const std::string text = printable(answer.text);
  s.connection->close();
  if (!answer.ok) {
    throw Error(ErrorCode::Protocol,
                fmt::format("{} could not finish the session (messages marked for deletion may "
                            "remain): {}",
                            s.where(), text));
  }
}

}  // namespace smimekit::pop3

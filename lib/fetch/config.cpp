// smimekit — the accounts of `smimekit fetch`: the TOML file, pop3 URLs, password commands.
//
// The file is strict on purpose: an unknown key is an error with its line, because a typo
// ("delet = true", "store_decripted") would otherwise silently drop a setting. Like mpop, a
// file that others can change is refused (password_command runs what it says), and so is a
// file that holds a password itself and that others can read.
#include "smimekit/config.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <toml++/toml.h>

#include "smimekit/error.h"

namespace smimekit {

namespace {

// ---------------------------------------------------------------------------------------
// Small helpers

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::filesystem::path home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  // Without HOME (a cron job, a stripped environment) the password database still knows.
  std::array<char, 4096> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_dir != nullptr && *found->pw_dir != '\0') {
    return found->pw_dir;
  }
  throw Error(ErrorCode::Usage, "cannot find your home directory: HOME is not set");
}

// "~" and "~/..." are the home directory; "~user/..." is left alone, as a shell without
// that user would leave it.
std::string expand_home(std::string_view path) {
  if (path == "~") return home_directory().string();
  if (path.starts_with("~/")) return (home_directory() / std::string(path.substr(2))).string();
  return std::string(path);
}

// Levenshtein distance, for "did you mean" on a mistyped key.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A secret SPEC as read_secret() takes it; "file:~/x" is expanded here, where "~" is known.
std::optional<std::string> checked_secret_spec(std::string_view spec) {
  for (std::string_view kind : {"env:", "fd:", "pass:"}) {
    if (spec.starts_with(kind)) return std::string(spec);
  }
  if (spec.starts_with("file:")) return "file:" + expand_home(spec.substr(5));
  return std::nullopt;
}

bool is_literal_password(std::string_view spec) {
  return spec.starts_with("pass:");
}

// RFC 4422 §3.1: a SASL mechanism name is 1 to 20 upper-case letters, digits, '-' and '_'.
bool is_mechanism_name(std::string_view name) {
  return !name.empty() && name.size() <= 20 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Host names as a resolver takes them; IP literals are checked by the URL parser.
bool is_host_name(std::string_view host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
  });
}

bool is_ipv6_literal(std::string_view text) {
  if (text.empty() || text.size() > 45 || text.find(':') == std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return hex_digit(c) >= 0 || c == ':' || c == '.'; });
}

// ---------------------------------------------------------------------------------------
// The URL

struct ParsedUrl {
  pop3::TlsMode tls = pop3::TlsMode::Implicit;
  std::string user, host;
  std::uint16_t port = 0;
  std::vector<std::string> mechanisms;  ///< from ";AUTH=" (RFC 2384 §3)
};

std::string percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int hi = complete ? hex_digit(text[i + 1]) : -1;
    const int lo = complete ? hex_digit(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      throw Error(
          ErrorCode::Usage,
          fmt::format("the {} in the URL has a '%' that is not followed by two hex digits", what));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

ParsedUrl parse_url(std::string_view url) {
  ParsedUrl out;
  const auto scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string_view::npos ? "" : lower(url.substr(0, scheme_end));
  if (scheme == "pop3s") {
    out.tls = pop3::TlsMode::Implicit;
  } else if (scheme == "pop3" || scheme == "pop") {
    // Plain POP3 is never spoken: a pop3:// account is upgraded with STLS before anything
    // else, or refused.
    out.tls = pop3::TlsMode::StartTls;
  } else {
    // The URL itself is not repeated: it may hold a password.
    throw Error(ErrorCode::Usage,
                "not a POP3 URL: it must start with pop3s:// (TLS, port 995) or pop3:// (STLS, "
                "port 110)");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  // The authority ends at the path; only an empty path or "/" names a maildrop.
  const auto path_start = rest.find_first_of("/?#");
  if (path_start != std::string_view::npos) {
    if (rest.substr(path_start) != "/") {
      throw Error(ErrorCode::Usage,
                  "a POP3 URL has no path, query or fragment: pop3s://USER@HOST[:PORT]");
    }
    rest = rest.substr(0, path_start);
  }
  // userinfo "@" host: a raw '@' in the user name is not allowed by RFC 3986 (it is %40),
  // but "alice@example.org@mail.example.org" is what people write; the host has no '@'.
  const auto at = rest.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    throw Error(ErrorCode::Usage, "the URL names no user: pop3s://USER@HOST[:PORT]");
  }
  std::string_view userinfo = rest.substr(0, at);
  const std::string_view hostport = rest.substr(at + 1);
  if (userinfo.find(':') != std::string_view::npos) {
    throw Error(ErrorCode::Usage,
                "a password in the URL is refused: every user of this computer can read the "
                "command line in the process list; give password_command or password = "
                "\"env:VAR\" / \"file:PATH\" in the config file, or --pass");
  }
  // RFC 2384 §3: pop://user;AUTH=mechanism@host. "*" is any mechanism, "+APOP" is APOP.
  const auto semicolon = userinfo.find(';');
  if (semicolon != std::string_view::npos) {
    const std::string_view parameter = userinfo.substr(semicolon + 1);
    if (lower(parameter.substr(0, 5)) != "auth=") {
      throw Error(ErrorCode::Usage,
                  "the only parameter a POP3 URL's user may carry is ;AUTH=MECHANISM (RFC 2384)");
    }
    std::string mechanism = percent_decode(parameter.substr(5), "mechanism");
    std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (mechanism == "+APOP") mechanism = "APOP";
    if (mechanism != "*") {
      if (!is_mechanism_name(mechanism)) {
        throw Error(ErrorCode::Usage, "the ;AUTH= of the URL is not a SASL mechanism name");
      }
      out.mechanisms.push_back(mechanism);
    }
    userinfo = userinfo.substr(0, semicolon);
  }
  out.user = percent_decode(userinfo, "user name");
  if (out.user.empty()) throw Error(ErrorCode::Usage, "the URL names no user");
  if (has_control(out.user)) {
    // A CR or LF would end the USER command and start another one of the URL's choosing.
    throw Error(ErrorCode::Usage, "the user name in the URL holds a control character");
  }
  std::string_view host = hostport;
  std::string_view port;
  if (hostport.starts_with('[')) {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      throw Error(ErrorCode::Usage, "the URL's IPv6 address has no closing ']'");
    }
    host = hostport.substr(1, close - 1);
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      throw Error(ErrorCode::Usage, "unexpected text after the URL's IPv6 address");
    }
    if (!after.empty()) port = after.substr(1);
    if (!is_ipv6_literal(host)) {
      throw Error(ErrorCode::Usage, "the URL's [...] does not hold an IPv6 address");
    }
  } else {
    const auto colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
    }
    if (!is_host_name(host)) {
      throw Error(ErrorCode::Usage, host.empty()
                                        ? std::string("the URL names no host")
                                        : "the URL's host is not a host name or IP address");
    }
  }
  out.host = std::string(host);
  // RFC 3986 §3.2.3: an empty port is the scheme's default.
  if (!port.empty()) {
    unsigned long value = 0;
    const bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (digits) value = std::stoul(std::string(port));
    if (!digits || value < 1 || value > 65535) {
      throw Error(ErrorCode::Usage, "the URL's port must be a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The file

// clang-format off
constexpr std::array<std::string_view, 20> kAccountKeys = {
    "url", "host", "port", "tls", "user", "password", "password_command", "mechanisms", "cacert",
    "maildir", "report", "delete", "store_decrypted", "anchors", "crls", "p12", "key", "cert",
    "p12_password", "key_password"};
// clang-format on

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number with a fraction";
    case toml::node_type::boolean:
      return "true or false";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

/// Reads one [account.NAME] table, naming SOURCE:LINE in every error.
class AccountReader {
 public:
  AccountReader(std::string_view source, std::string name, const toml::table& table)
      : m_source(source), m_name(std::move(name)), m_table(table) {}

  AccountConfig read() {
    for (auto&& [key, node] : m_table) check_known(key);

    AccountConfig account;
    account.name = m_name;
    if (const auto url = string("url")) {
      for (std::string_view conflicting : {"host", "port", "tls", "user"}) {
        if (const toml::node* node = m_table.get(conflicting)) {
          throw Error(ErrorCode::Usage,
                      fmt::format("{}: {}url and {} exclude each other: give the server either "
                                  "as url or as host, port, tls and user",
                                  where(*node), prefix(), conflicting));
        }
      }
      try {
        account = parse_account_url(*url);
      } catch (const Error& e) {
        throw Error(e.code(),
                    fmt::format("{}: {}{}", where(*m_table.get("url")), prefix(), e.what()));
      }
      account.name = m_name;
      if (!account.mechanisms.empty() && m_table.contains("mechanisms")) {
        throw Error(ErrorCode::Usage,
                    fmt::format("{}: {}the URL's ;AUTH= and mechanisms exclude each other",
                                where(*m_table.get("mechanisms")), prefix()));
      }
    } else {
      const auto host = string("host");
      if (!host) {
        throw Error(ErrorCode::Usage,
                    fmt::format("{}: {}no server: give host (or url)", where(m_table), prefix()));
      }
      if (!is_host_name(*host) && !is_ipv6_literal(*host)) {
        throw Error(ErrorCode::Usage,
                    fmt::format("{}: {}host '{}' is not a host name or IP address",
                                where(*m_table.get("host")), prefix(), *host));
      }
      account.server.host = *host;
      if (const auto* port = m_table.get("port")) {
        const auto value = port->value_exact<std::int64_t>();
        if (!value) wrong_type("port", *port, "an integer");
        if (*value < 1 || *value > 65535) {
          throw Error(ErrorCode::Usage, fmt::format("{}: {}port must be from 1 to 65535, not {}",
                                                    where(*port), prefix(), *value));
        }
        account.server.port = static_cast<std::uint16_t>(*value);
      }
      if (const auto tls = string("tls")) {
        if (*tls == "pop3s") {
          account.server.tls = pop3::TlsMode::Implicit;
        } else if (*tls == "starttls") {
          account.server.tls = pop3::TlsMode::StartTls;
        } else {
          throw Error(ErrorCode::Usage,
                      fmt::format("{}: {}tls must be \"pop3s\" (TLS from the start, port 995) or "
                                  "\"starttls\" (STLS, port 110), not \"{}\"",
                                  where(*m_table.get("tls")), prefix(), *tls));
        }
      }
      const auto user = string("user");
      if (!user) {
        throw Error(ErrorCode::Usage,
                    fmt::format("{}: {}no user: give user (or url)", where(m_table), prefix()));
      }
      account.user = *user;
    }

    const auto password = string("password");
    const auto command = string("password_command", /*allow_control=*/true);
    if (password && command) {
      throw Error(ErrorCode::Usage,
                  fmt::format("{}: {}password and password_command exclude each other",
                              where(*m_table.get("password_command")), prefix()));
    }
    if (password) account.password = secret_spec("password", *password);
    if (command) account.password_command = *command;

    if (const auto* node = m_table.get("mechanisms")) {
      for (std::string mechanism : strings("mechanisms", *node)) {
        std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (!is_mechanism_name(mechanism)) {
          throw Error(ErrorCode::Usage, fmt::format("{}: {}'{}' is not a SASL mechanism name",
                                                    where(*node), prefix(), mechanism));
        }
        account.mechanisms.push_back(mechanism);
      }
    }
    if (const auto cacert = string("cacert")) account.server.cacert = expand_home(*cacert);
    if (const auto maildir = string("maildir")) account.maildir = expand_home(*maildir);
    if (const auto report = string("report")) account.report = expand_home(*report);
    account.remove_after_delivery = boolean("delete");
    account.store_decrypted = boolean("store_decrypted");
    if (const auto* node = m_table.get("anchors")) {
      for (const auto& path : strings("anchors", *node))
        account.anchors.emplace_back(expand_home(path));
    }
    if (const auto* node = m_table.get("crls")) {
      for (const auto& path : strings("crls", *node)) account.crls.emplace_back(expand_home(path));
    }

    const auto p12 = string("p12");
    const auto key = string("key");
    const auto cert = string("cert");
    if (p12 && (key || cert)) {
      throw Error(
          ErrorCode::Usage,
          fmt::format("{}: {}p12 and {} exclude each other: a PKCS#12 file holds both key "
                      "and certificate",
                      where(*m_table.get(key ? "key" : "cert")), prefix(), key ? "key" : "cert"));
    }
    if (key.has_value() != cert.has_value()) {
      throw Error(ErrorCode::Usage,
                  fmt::format("{}: {}{} needs {} too", where(*m_table.get(key ? "key" : "cert")),
                              prefix(), key ? "key" : "cert", key ? "cert" : "key"));
    }
    if (p12) account.p12 = expand_home(*p12);
    if (key) account.key = expand_home(*key);
    if (cert) account.cert = expand_home(*cert);
    const auto p12_password = string("p12_password");
    const auto key_password = string("key_password");
    if (p12_password && key_password) {
      throw Error(ErrorCode::Usage,
                  fmt::format("{}: {}p12_password and key_password are the same setting; give one",
                              where(*m_table.get("key_password")), prefix()));
    }
    if (p12_password) account.key_password = secret_spec("p12_password", *p12_password);
    if (key_password) account.key_password = secret_spec("key_password", *key_password);
    return account;
  }

 private:
  std::string where(const toml::node& node) const {
    return fmt::format("{}:{}", m_source, node.source().begin.line);
  }
  std::string where(const toml::key& key) const {
    return fmt::format("{}:{}", m_source, key.source().begin.line);
  }
  std::string prefix() const { return fmt::format("account.{}: ", m_name); }

  void check_known(const toml::key& key) const {
    const std::string_view name = key.str();
    if (std::find(kAccountKeys.begin(), kAccountKeys.end(), name) != kAccountKeys.end()) return;
    std::string suggestion;
    std::size_t best = 3;
    for (std::string_view known : kAccountKeys) {
      const std::size_t d = distance(name, known);
      if (d < best) {
        best = d;
        suggestion = fmt::format(" (did you mean '{}'?)", known);
      }
    }
    throw Error(
        ErrorCode::Input,
        fmt::format("{}: {}unknown key '{}'{}; nothing is ignored, so that a mistyped "
                    "setting is not silently lost",
                    where(key), prefix(), has_control(name) ? "(unprintable)" : name, suggestion));
  }

  [[noreturn]] void wrong_type(std::string_view key, const toml::node& node,
                               std::string_view wanted) const {
    throw Error(ErrorCode::Usage, fmt::format("{}: {}{} must be {}, not {}", where(node), prefix(),
                                              key, wanted, type_name(node)));
  }

  std::optional<std::string> string(std::string_view key, bool allow_control = false) const {
    const toml::node* node = m_table.get(key);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_string();
    if (value == nullptr) wrong_type(key, *node, "a string");
    const std::string& text = value->get();
    if (text.empty()) {
      throw Error(ErrorCode::Usage, fmt::format("{}: {}{} is empty", where(*node), prefix(), key));
    }
    if (!allow_control && has_control(text)) {
      throw Error(ErrorCode::Usage,
                  fmt::format("{}: {}{} holds a control character", where(*node), prefix(), key));
    }
    return text;
  }

  bool boolean(std::string_view key) const {
    const toml::node* node = m_table.get(key);
    if (node == nullptr) return false;
    const auto value = node->value_exact<bool>();
    if (!value) wrong_type(key, *node, "true or false");
    return *value;
  }

  std::vector<std::string> strings(std::string_view key, const toml::node& node) const {
    const auto* array = node.as_array();
    if (array == nullptr) wrong_type(key, node, "an array of strings");
    std::vector<std::string> out;
    for (const toml::node& element : *array) {
      const auto* value = element.as_string();
      if (value == nullptr) wrong_type(key, element, "an array of strings");
      if (value->get().empty() || has_control(value->get())) {
        throw Error(ErrorCode::Usage, fmt::format("{}: {}{} holds an empty or unprintable string",
                                                  where(element), prefix(), key));
      }
      out.push_back(value->get());
    }
    return out;
  }

  std::string secret_spec(std::string_view key, const std::string& value) const {
    if (auto spec = checked_secret_spec(value)) return std::move(*spec);
    // The value is probably the password itself: do not repeat it.
    throw Error(ErrorCode::Usage,
                fmt::format("{}: {}{} must say where the password is: \"env:VAR\", \"file:PATH\", "
                            "\"fd:N\" or \"pass:TEXT\" (password_command runs a program instead)",
                            where(*m_table.get(key)), prefix(), key));
  }

  std::string_view m_source;
  std::string m_name;
  const toml::table& m_table;
};

std::string shell_quoted(const std::string& text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("/._-+,:@%~", c);
  });
  if (plain && !text.empty()) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct FdCloser {
  void operator()(const int* fd) const {
    if (fd != nullptr && *fd >= 0) ::close(*fd);
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------

std::string AccountConfig::id() const {
  // Host names do not depend on case; the UIDL state must not either.
  const std::string host = lower(server.host);
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("{}@{}{}{}:{}", user, ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                     server.effective_port());
}

const AccountConfig& Config::account(std::string_view name) const {
  for (const auto& a : accounts) {
    if (a.name == name) return a;
  }
  if (accounts.empty()) {
    throw Error(
        ErrorCode::Usage,
        fmt::format("no account '{}': the configuration has no [account.NAME] at all", name));
  }
  std::string names;
  for (const auto& a : accounts) names += (names.empty() ? "" : ", ") + a.name;
  throw Error(
      ErrorCode::Usage,
      fmt::format("no account '{}' in the configuration; its accounts are: {}", name, names));
}

std::filesystem::path default_config_path() {
  // XDG Base Directory: an unset, empty or relative XDG_CONFIG_HOME is ignored.
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg == '/') return std::filesystem::path(xdg) / "smimekit" / "config.toml";
  return home_directory() / ".config" / "smimekit" / "config.toml";
}

Config parse_config(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(ErrorCode::Input, fmt::format("{}:{}:{}: {}", source, e.source().begin.line,
                                              e.source().begin.column, e.description()));
  }
  Config config;
  for (auto&& [key, node] : root) {
    if (key.str() != "account") {
      throw Error(ErrorCode::Input,
                  fmt::format("{}:{}: unknown key '{}': the file holds [account.NAME] tables only",
                              source, key.source().begin.line,
                              has_control(key.str()) ? "(unprintable)" : key.str()));
    }
    const toml::table* accounts = node.as_table();
    if (accounts == nullptr) {
      throw Error(ErrorCode::Usage, fmt::format("{}:{}: account must be a table of [account.NAME]",
                                                source, node.source().begin.line));
    }
    // In the order of the file, not of the names.
    std::vector<std::pair<const toml::key*, const toml::node*>> ordered;
    for (auto&& [name, value] : *accounts) ordered.emplace_back(&name, &value);
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
      return a.first->source().begin.line < b.first->source().begin.line;
    });
    for (const auto& [name, value] : ordered) {
      const toml::table* table = value->as_table();
      if (table == nullptr || name->str().empty() || has_control(name->str())) {
        throw Error(ErrorCode::Usage,
                    fmt::format("{}:{}: account.{} must be a table with a printable name: "
                                "[account.NAME]",
                                source, name->source().begin.line,
                                has_control(name->str()) ? "(unprintable)" : name->str()));
      }
      config.accounts.push_back(AccountReader(source, std::string(name->str()), *table).read());
    }
  }
  return config;
}

namespace {

// Whoever may rename files in the config's directory can put a file of their own in its
// place, whatever the file's mode: the directory must be the user's (or root's) and closed to
// others' writes, unless sticky (like /tmp, where others cannot replace what is not theirs).
void check_config_directory(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw Error(ErrorCode::Io, fmt::format("cannot check {}: {}", dir.string(), std::strerror(errno)));
  }
  const std::string quoted = shell_quoted(dir.string());
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    throw Error(ErrorCode::Usage,
                fmt::format("{} is refused: its directory {} belongs to another user (uid {}), who "
                            "could put another file in its place; hint: keep it in a directory of "
                            "your own",
                            path.string(), dir.string(), st.st_uid));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    throw Error(ErrorCode::Usage,
                fmt::format("{} is refused: others can replace it, because they may write to its "
                            "directory {} (mode {:04o}); hint: chmod go-w {}",
                            path.string(), dir.string(), static_cast<unsigned>(st.st_mode) & 07777,
                            quoted));
  }
}

}  // namespace

Config load_config(const std::filesystem::path& path) {
  // The mode is checked on the descriptor that is read, so that the file cannot be swapped
  // between the check and the read. O_NONBLOCK: a FIFO must not hang the open.
  const int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (raw_fd < 0) {
    throw Error(ErrorCode::NoInput,
                fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  int fd = raw_fd;
  const std::unique_ptr<int, FdCloser> closer(&fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw Error(ErrorCode::Io,
                fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::NoInput,
                fmt::format("cannot read {}: not a regular file", path.string()));
  }
  const unsigned mode = static_cast<unsigned>(st.st_mode) & 07777;
  const std::string quoted = shell_quoted(path.string());
  // password_command runs a program: whoever can change the file can run theirs as you.
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    throw Error(ErrorCode::Usage,
                fmt::format("{} is refused: it belongs to another user (uid {}), who could make it "
                            "run any program as you (password_command); hint: chown $(id -u) {}",
                            path.string(), st.st_uid, quoted));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw Error(ErrorCode::Usage,
                fmt::format("{} is refused: others can change it (mode {:04o}), and it can name a "
                            "program to run (password_command); hint: chmod go-w {}",
                            path.string(), mode, quoted));
  }
  check_config_directory(path);
  if (st.st_size > 1024 * 1024) {
    throw Error(ErrorCode::Input,
                fmt::format("{} is {} bytes; a config file is not larger than 1 MiB", path.string(),
                            st.st_size));
  }
  std::string text;
  std::array<char, 8192> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      OPENSSL_cleanse(buffer.data(), buffer.size());
      OPENSSL_cleanse(text.data(), text.size());
      throw Error(ErrorCode::Io,
                  fmt::format("cannot read {}: {}", path.string(), std::strerror(saved)));
    }
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
    if (text.size() > 1024 * 1024) {
      // It grew after fstat(); a cut-off file would silently lose its last settings.
      OPENSSL_cleanse(buffer.data(), buffer.size());
      OPENSSL_cleanse(text.data(), text.size());
      throw Error(ErrorCode::Input,
                  fmt::format("{} is larger than 1 MiB; a config file is not", path.string()));
    }
  }
  OPENSSL_cleanse(buffer.data(), buffer.size());
  Config config;
  try {
    config = parse_config(text, path.string());
  } catch (...) {
    OPENSSL_cleanse(text.data(), text.size());
    throw;
  }
  OPENSSL_cleanse(text.data(), text.size());

  const bool holds_password =
      std::any_of(config.accounts.begin(), config.accounts.end(), [](const AccountConfig& a) {
        return is_literal_password(a.password) || is_literal_password(a.key_password);
      });
  if (holds_password && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    throw Error(ErrorCode::Usage,
                fmt::format("{} is refused: it holds a password (\"pass:...\") and others can read "
                            "it (mode {:04o}); hint: chmod 600 {}, or keep the password elsewhere "
                            "(password_command, \"env:VAR\" or \"file:PATH\")",
                            path.string(), mode, quoted));
  }
  return config;
}

AccountConfig parse_account_url(std::string_view url) {
  ParsedUrl parsed = parse_url(url);
  AccountConfig account;
  account.server.host = std::move(parsed.host);
  account.server.port = parsed.port;
  account.server.tls = parsed.tls;
  account.user = std::move(parsed.user);
  account.mechanisms = std::move(parsed.mechanisms);
  return account;
}

// ---------------------------------------------------------------------------------------
// password_command

Secret run_password_command(const std::string& command) {
  // The output is the password: it is never logged, never put into an error message, and
  // every buffer that held it is wiped.
  int pipe_fds[2] = {-1, -1};
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw Error(ErrorCode::Authentication,
                fmt::format("cannot run the password command: {}", std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork(): after it, in a program that may
  // have threads, only async-signal-safe calls are allowed until exec.
  const char* const argv[] = {"sh", "-c", command.c_str(), nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int saved = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw Error(ErrorCode::Authentication,
                fmt::format("cannot run the password command: {}", std::strerror(saved)));
  }
  if (pid == 0) {
    // stdin and stderr stay the caller's: a command may ask for a passphrase (pinentry,
    // gpg) and say why it failed.
    if (pipe_fds[1] == STDOUT_FILENO) {
      ::fcntl(STDOUT_FILENO, F_SETFD, 0);
    } else if (::dup2(pipe_fds[1], STDOUT_FILENO) < 0) {
      ::_exit(127);
    }
    // A parent that ignores SIGPIPE (as network programs do) must not pass that on.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv("/bin/sh", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);

  // Only the first line is kept; the rest is read and dropped so that the command does not
  // die of SIGPIPE. A command that never stops printing is stopped.
  constexpr std::size_t kMaxLine = 4096;
  constexpr std::size_t kMaxOutput = 1024 * 1024;
  std::array<char, kMaxLine + 1> line{};
  std::size_t line_size = 0;
  bool line_done = false, too_long = false, too_much = false;
  int read_errno = 0;
  std::size_t total = 0;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_errno = errno;
      break;
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
    for (ssize_t i = 0; i < n && !line_done; ++i) {
      if (buffer[static_cast<std::size_t>(i)] == '\n') {
        line_done = true;
      } else if (line_size < kMaxLine) {
        line[line_size++] = buffer[static_cast<std::size_t>(i)];
      } else {
        too_long = true;
        line_done = true;
      }
    }
    if (total > kMaxOutput) {
      too_much = true;
      ::kill(pid, SIGKILL);
      break;
    }
  }
  OPENSSL_cleanse(buffer.data(), buffer.size());
  ::close(pipe_fds[0]);

  int status = 0;
  pid_t waited = -1;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  const int wait_errno = waited < 0 ? errno : 0;
  // Reserved past the short-string buffer, so that moving it into the Secret moves the
  // heap block and leaves no copy behind.
  std::string value;
  value.reserve(64 + line_size);
  value.assign(line.data(), line_size);
  OPENSSL_cleanse(line.data(), line.size());
  if (!value.empty() && value.back() == '\r') value.pop_back();
  Secret secret(std::move(value));  // from here on only the Secret holds it

  if (wait_errno != 0) {
    // Without the exit status the output cannot be trusted to be a password.
    throw Error(ErrorCode::Authentication,
                fmt::format("cannot learn whether the password command succeeded: {}",
                            std::strerror(wait_errno)));
  }
  if (read_errno != 0) {
    throw Error(ErrorCode::Authentication, fmt::format("cannot read the output of the password "
                                                       "command: {}",
                                                       std::strerror(read_errno)));
  }
  if (too_much) {
    throw Error(ErrorCode::Authentication,
                "the password command printed more than 1 MiB and was stopped; it must print the "
                "password on its first line");
  }
  if (WIFSIGNALED(status)) {
    throw Error(ErrorCode::Authentication,
                fmt::format("the password command was killed by signal {} ({}); its output was "
                            "not used",
                            WTERMSIG(status), ::strsignal(WTERMSIG(status))));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    throw Error(ErrorCode::Authentication,
                fmt::format("the password command failed with exit status {}{}; its output was "
                            "not used",
                            code, code == 127 ? " (command not found?)" : ""));
  }
  if (too_long) {
    throw Error(ErrorCode::Authentication,
                fmt::format("the first line the password command printed is longer than {} bytes",
                            kMaxLine));
  }
  if (secret.empty()) {
    throw Error(ErrorCode::Authentication,
                "the password command printed no password (its first line is empty)");
  }
  return secret;
}

}  // namespace smimekit

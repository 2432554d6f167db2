#include "pop3/response.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "smimekit/error.h"

namespace smimekit::pop3::detail {

namespace {

[[noreturn]] void malformed(std::string_view what, std::string_view line) {
  throw Error(ErrorCode::Protocol, fmt::format("the server sent a malformed {}: \"{}\"", what, printable(line)));
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); });
  return out;
}

template <typename Int>
bool parse_number(std::string_view text, Int& out) {
  if (text.empty() || text.size() > 20) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// Splits "A B" at the first run of spaces; B may be empty.
std::pair<std::string_view, std::string_view> split_word(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  std::string_view rest = line.substr(space);
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  return {line.substr(0, space), rest};
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  for (const unsigned char c : text.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  if (text.size() > 200) out += "...";
  return out;
}

Status parse_status(std::string_view line) {
  if (line.starts_with("+OK") && (line.size() == 3 || line[3] == ' ')) {
    return {true, line.size() > 4 ? line.substr(4) : std::string_view{}};
  }
  if (line.starts_with("-ERR") && (line.size() == 4 || line[4] == ' ')) {
    return {false, line.size() > 5 ? line.substr(5) : std::string_view{}};
  }
  malformed("status line", line);
}

std::optional<std::string> apop_timestamp(std::string_view greeting) {
  const auto open = greeting.find('<');
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = greeting.find('>', open);
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view stamp = greeting.substr(open, close - open + 1);
  if (stamp.find('@') == std::string_view::npos || stamp.size() > 256) return std::nullopt;
  for (const unsigned char c : stamp) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return std::string(stamp);
}

void add_capability(std::string_view line, Capabilities& caps) {
  const auto [word, rest] = split_word(line);
  const std::string name = upper(word);
  if (name == "STLS") {
    caps.stls = true;
  } else if (name == "UIDL") {
    caps.uidl = true;
  } else if (name == "USER") {
    caps.user = true;
  } else if (name == "PIPELINING") {
    caps.pipelining = true;
  } else if (name == "TOP") {
    caps.top = true;
  } else if (name == "IMPLEMENTATION") {
    caps.implementation = printable(rest);
  } else if (name == "SASL") {
    std::string_view mechs = rest;
    while (!mechs.empty()) {
      const auto [mech, more] = split_word(mechs);
      if (!mech.empty() && mech.size() <= 20) caps.sasl.push_back(upper(mech));
      mechs = more;
    }
  }
}

std::pair<std::uint32_t, std::string> parse_uidl_line(std::string_view line) {
  const auto [number, uidl] = split_word(line);
  std::uint32_t n = 0;
  if (!parse_number(number, n) || n == 0) malformed("UIDL line", line);
  if (uidl.empty() || uidl.size() > 70) malformed("UIDL line", line);
  for (const unsigned char c : uidl) {
    if (c < 0x21 || c > 0x7e) malformed("UIDL line", line);
  }
  return {n, std::string(uidl)};
}

std::pair<std::uint32_t, std::uint64_t> parse_list_line(std::string_view line) {
  const auto [number, size_text] = split_word(line);
  // Some servers add more after the size (RFC 1939 allows it); only the size counts.
  const std::string_view size_word = split_word(size_text).first;
  std::uint32_t n = 0;
  std::uint64_t size = 0;
  if (!parse_number(number, n) || n == 0 || !parse_number(size_word, size)) malformed("LIST line", line);
  return {n, size};
}

bool MultilineBody::add(std::string_view line) {
  if (!line.empty() && line[0] == '.') {
    if (line.size() == 1) return true;
    line.remove_prefix(1);
  }
  if (m_text.size() + line.size() + 2 > m_max) {
    throw Error(ErrorCode::Limit, fmt::format("the server sent more than {} octets for one answer", m_max));
  }
  m_text.append(line);
  m_text.append("\r\n");
  return false;
}

}  // namespace smimekit::pop3::detail

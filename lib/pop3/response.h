// Parsing of what a POP3 server says: pure functions over untrusted text, so that they can
// be tested and fuzzed without a server. Internal to lib/pop3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "smimekit/pop3.h"

namespace smimekit::pop3::detail {

struct Status {
  bool ok = false;
  std::string_view text;  ///< what follows "+OK " or "-ERR "
};

/// "+OK text" or "-ERR text"; Error(Protocol) for anything else.
[[nodiscard]] Status parse_status(std::string_view line);

/// The APOP timestamp "<...@...>" of a greeting (RFC 1939 §7), if it has a well-formed one.
[[nodiscard]] std::optional<std::string> apop_timestamp(std::string_view greeting);

/// Adds one line of a CAPA answer to CAPS.
void add_capability(std::string_view line, Capabilities& caps);

/// "1 whqtswO00WBw418f9t5JxYwZ" -> {1, uidl}. Error(Protocol) unless the number is a
/// positive integer and the UIDL is 1 to 70 characters of 0x21..0x7E (RFC 1939 §7).
[[nodiscard]] std::pair<std::uint32_t, std::string> parse_uidl_line(std::string_view line);

/// "1 120" -> {1, 120}. Error(Protocol) otherwise.
[[nodiscard]] std::pair<std::uint32_t, std::uint64_t> parse_list_line(std::string_view line);

/// A multi-line answer, one line at a time: the termination line "." ends it, a leading
/// dot is removed from the others ("byte-stuffing"), and the lines are joined with CRLF.
class MultilineBody {
 public:
  /// MAX bounds the size of the joined body; Error(Limit) past it.
  explicit MultilineBody(std::size_t max) : m_max(max) {}
  /// Takes one line (without its line end); true when it was the termination line.
  bool add(std::string_view line);
  [[nodiscard]] std::string& text() noexcept { return m_text; }

 private:
  std::size_t m_max;
  std::string m_text;
};

/// Server text made safe to show in an error: printable ASCII only, at most 200 characters.
[[nodiscard]] std::string printable(std::string_view text);

}  // namespace smimekit::pop3::detail

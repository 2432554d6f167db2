// The POP3 answers smimekit parses: status lines, CAPA, UIDL and LIST lines, and multi-line
// bodies with dot-unstuffing. The input is a server's byte stream, split into lines.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pop3/response.h"
#include "smimekit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smimekit::pop3::detail;
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  smimekit::pop3::Capabilities caps;
  MultilineBody body(4096);
  bool body_done = false;
  while (!stream.empty()) {
    const auto lf = stream.find('\n');
    std::string_view line = stream.substr(0, lf);
    stream = lf == std::string_view::npos ? std::string_view{} : stream.substr(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    try {
      (void)parse_status(line);
    } catch (const smimekit::Error&) {
    }
    try {
      (void)parse_uidl_line(line);
    } catch (const smimekit::Error&) {
    }
    try {
      (void)parse_list_line(line);
    } catch (const smimekit::Error&) {
    }
    try {
      if (!body_done) body_done = body.add(line);
    } catch (const smimekit::Error&) {
      body_done = true;
    }
    (void)apop_timestamp(line);
    (void)printable(line);
    add_capability(line, caps);
  }
  return 0;
}

// The config file parser on arbitrary text, and the account URL parser on its first line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smimekit/config.h"
#include "smimekit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const smimekit::Config config = smimekit::parse_config(text, "fuzz.toml");
    for (const auto& account : config.accounts) (void)account.id();
  } catch (const smimekit::Error&) {
  }
  try {
    (void)smimekit::parse_account_url(text.substr(0, text.find('\n')));
  } catch (const smimekit::Error&) {
  }
  return 0;
}

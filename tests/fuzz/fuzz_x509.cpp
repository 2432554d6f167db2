// Certificate parsing (PEM or DER, one or many) and path validation of each parsed
// certificate against the demo hierarchy, with the others as candidate issuers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "smimekit/error.h"
#include "smimekit/trust.h"

namespace {
const smimekit::PathValidator* validator = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  validator = new smimekit::PathValidator(smimekit::fuzz::demo_policy());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smimekit;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<Certificate> certificates;
  try {
    certificates = parse_certificates(text, "fuzz input");
  } catch (const Error&) {
    return 0;
  }
  for (const auto& c : certificates) {
    (void)c.email_addresses();
    (void)c.subject();
    (void)c.key_description();
    (void)validator->validate(c, certificates);
    (void)check_signing_usage(c);
  }
  return 0;
}

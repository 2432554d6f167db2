// open() on arbitrary message bytes: MIME parsing, S/MIME layers, decryption with Bob's demo
// key, verification against the demo root. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fuzz_support.h"
#include "smimekit/mail.h"

namespace {
const smimekit::Opener* opener = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace smimekit;
  OpenOptions options;
  options.trust = fuzz::demo_policy();
  options.identities.push_back(make_identity(load_private_key(fuzz::demo_path("bob.key"), nullptr),
                                             load_certificates(fuzz::demo_path("bob.pem")).front(),
                                             {}));
  opener = new Opener(std::move(options));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const smimekit::Report report =
      opener->open(std::string_view(reinterpret_cast<const char*>(data), size));
  (void)smimekit::summarize(report);
  (void)smimekit::to_json(report, "fuzz");
  return 0;
}

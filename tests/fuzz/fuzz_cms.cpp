// CMS parsing of arbitrary DER: the SignedData checker (encapsulated and detached), the
// envelope classifier and the decryptor.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cms/cms.h"
#include "fuzz_support.h"
#include "smimekit/error.h"

namespace {
std::vector<smimekit::Identity>* identities = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace smimekit;
  identities = new std::vector<Identity>{
      make_identity(load_private_key(fuzz::demo_path("bob.key"), nullptr),
                    load_certificates(fuzz::demo_path("bob.pem")).front(), {})};
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace smimekit;
  const std::string der(reinterpret_cast<const char*>(data), size);
  const std::string detached = "Content-Type: text/plain\r\n\r\nhello\r\n";
  try {
    (void)cms::check_signed_data(der, nullptr, {});
  } catch (const Error&) {
  }
  try {
    (void)cms::check_signed_data(der, &detached, {});
  } catch (const Error&) {
  }
  if (const auto kind = cms::envelope_kind(der);
      kind == cms::EnvelopeKind::Enveloped || kind == cms::EnvelopeKind::AuthEnveloped) {
    try {
      (void)cms::decrypt(der, *identities);
    } catch (const Error&) {
    }
  }
  return 0;
}

#include <algorithm>
#include <cctype>

#include "cms/cms.h"
#include "mime/mime.h"
#include "smimekit/error.h"
#include "smimekit/mail.h"

namespace smimekit {

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "sha256" || n == "sha-256") return DigestAlgorithm::Sha256;
  if (n == "sha384" || n == "sha-384") return DigestAlgorithm::Sha384;
  if (n == "sha512" || n == "sha-512") return DigestAlgorithm::Sha512;
  return std::nullopt;
}

namespace {

// RFC 8551 §3.5.3.2 names the micalg values.
std::string_view micalg(DigestAlgorithm d) {
  switch (d) {
    case DigestAlgorithm::Sha256: return "sha-256";
    case DigestAlgorithm::Sha384: return "sha-384";
    case DigestAlgorithm::Sha512: return "sha-512";
  }
  return "sha-256";
}

}  // namespace

std::string sign(std::string_view message, const Identity& signer, const SignOptions& options) {
  const mime::SignableMessage prepared = mime::prepare_for_signing(message);
  cms::SignParams params;
  params.digest = options.digest;
  params.rsa_pss = options.rsa_pss;
  params.detached = options.format == SignFormat::Detached;
  const std::string signature = cms::sign(prepared.canonical_entity, signer, params);
  if (options.format == SignFormat::Detached) {
    return mime::build_multipart_signed(prepared, signature, micalg(options.digest), options.crlf);
  }
  return mime::build_opaque_signed(prepared, signature, options.crlf);
}

}  // namespace smimekit

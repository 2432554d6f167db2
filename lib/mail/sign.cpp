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

namespace {

// The signed entity (multipart/signed or signed-data) for a prepared message, CRLF.
std::string signed_entity(const mime::SignableMessage& prepared, const Identity& signer,
                          const SignOptions& options) {
  cms::SignParams params;
  params.digest = options.digest;
  params.rsa_pss = options.rsa_pss;
  params.detached = options.format == SignFormat::Detached;
  const std::string signature = cms::sign(prepared.canonical_entity, signer, params);
  if (options.format == SignFormat::Detached) {
    return mime::multipart_signed_entity(prepared.canonical_entity, signature,
                                         micalg(options.digest));
  }
  return mime::pkcs7_mime_entity(signature, "signed-data");
}

std::string encrypted_entity(std::string_view entity, const std::vector<Certificate>& recipients,
                             const EncryptOptions& options) {
  cms::EncryptParams params;
  params.cipher = options.cipher;
  params.rsa_pkcs1 = options.rsa_pkcs1;
  const std::string der = cms::encrypt(entity, recipients, params);
  return mime::pkcs7_mime_entity(
      der, is_authenticated(options.cipher) ? "authEnveloped-data" : "enveloped-data");
}

}  // namespace

std::string sign(std::string_view message, const Identity& signer, const SignOptions& options) {
  const mime::SignableMessage prepared = mime::prepare_for_signing(message);
  return mime::assemble_message(prepared.outer_headers, signed_entity(prepared, signer, options),
                                options.crlf);
}

std::string encrypt(std::string_view message, const std::vector<Certificate>& recipients,
                    const EncryptOptions& options) {
  const mime::SignableMessage prepared = mime::prepare_for_signing(message);
  return mime::assemble_message(
      prepared.outer_headers, encrypted_entity(prepared.canonical_entity, recipients, options),
      options.crlf);
}

std::string sign_and_encrypt(std::string_view message, const Identity& signer,
                             const std::vector<Certificate>& recipients,
                             const SignOptions& sign_options,
                             const EncryptOptions& encrypt_options) {
  const mime::SignableMessage prepared = mime::prepare_for_signing(message);
  const std::string inner = signed_entity(prepared, signer, sign_options);
  return mime::assemble_message(prepared.outer_headers,
                                encrypted_entity(inner, recipients, encrypt_options),
                                encrypt_options.crlf);
}

}  // namespace smimekit

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include <fmt/format.h>

#include "smimekit/files.h"
#include "core/providers.h"
#include "core/x509_impl.h"

namespace smimekit {

std::string PrivateKey::description() const { return describe_key(m_impl->pkey.get()); }

namespace {

struct PassphraseState {
  const Secret* password = nullptr;
  bool asked = false;
};

// OpenSSL asks for the passphrase only when the key is encrypted, so the callback also tells
// us whether it was.
int passphrase_cb(char* buf, size_t size, size_t* len, const OSSL_PARAM*, void* arg) {
  auto* state = static_cast<PassphraseState*>(arg);
  state->asked = true;
  if (state->password == nullptr) return 0;
  const std::string_view pw = state->password->reveal();
  if (pw.size() > size) return 0;
  std::copy(pw.begin(), pw.end(), buf);
  *len = pw.size();
  return 1;
}

PrivateKey wrap(EVP_PKEY* pkey) {
  auto impl = std::make_shared<PrivateKey::Impl>();
  impl->pkey.reset(pkey);
  return PrivateKey(std::move(impl));
}

}  // namespace

PrivateKey load_private_key(const std::filesystem::path& path, const Secret* password) {
  return parse_private_key(read_file(path), path.string(), password);
}

PrivateKey parse_private_key(std::string_view bytes, std::string_view origin,
                             const Secret* password) {
  EVP_PKEY* pkey = nullptr;
  PassphraseState state{password, false};
  ossl::clear_errors();
  OSSL_DECODER_CTX* ctx = OSSL_DECODER_CTX_new_for_pkey(
      &pkey, nullptr, nullptr, nullptr, OSSL_KEYMGMT_SELECT_KEYPAIR, nullptr, nullptr);
  if (ctx == nullptr) ossl::fail(ErrorCode::Internal, "cannot create a key decoder");
  OSSL_DECODER_CTX_set_passphrase_cb(ctx, passphrase_cb, &state);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t len = bytes.size();
  const int ok = OSSL_DECODER_from_data(ctx, &data, &len);
  OSSL_DECODER_CTX_free(ctx);
  if (ok == 1 && pkey != nullptr) {
    ossl::clear_errors();
    return wrap(pkey);
  }
  EVP_PKEY_free(pkey);
  if (state.asked && password == nullptr) {
    ossl::clear_errors();
    throw Error(ErrorCode::Password,
                fmt::format("{} is an encrypted key: give its password with --pass", origin));
  }
  if (state.asked) {
    ossl::clear_errors();
    throw Error(ErrorCode::Password,
                fmt::format("cannot decrypt {}: wrong password", origin));
  }
  ossl::fail(ErrorCode::Input,
             fmt::format("{} holds no private key (expected PEM or DER, PKCS#8 or traditional)",
                         origin));
}

namespace {

// Some tools write PKCS#12 armored as PEM ("-----BEGIN PKCS12-----"); take the DER inside.
std::string pkcs12_der(const std::string& bytes) {
  if (bytes.rfind("-----BEGIN ", 0) != 0) return bytes;
  ossl::BioPtr bio = ossl::memory_bio(bytes);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ossl::clear_errors();
    return bytes;
  }
  std::string der(reinterpret_cast<char*>(data), static_cast<std::size_t>(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return der;
}

}  // namespace

Identity load_pkcs12(const std::filesystem::path& path, const Secret& password) {
  const std::string bytes = pkcs12_der(read_file(path));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  ossl::clear_errors();
  ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  if (!p12) ossl::fail(ErrorCode::Input, fmt::format("{} is not a PKCS#12 file", path.string()));
  const std::string pw(password.reveal());
  if (PKCS12_verify_mac(p12.get(), pw.c_str(), static_cast<int>(pw.size())) != 1) {
    ossl::clear_errors();
    throw Error(ErrorCode::Password,
                fmt::format("cannot open {}: wrong password", path.string()));
  }
  EVP_PKEY* pkey = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  int ok = PKCS12_parse(p12.get(), pw.c_str(), &pkey, &cert, &ca);
  if (ok != 1) {
    // PKCS#12 files from older software use RC2-40.
    LegacyProviderScope legacy;
    ossl::clear_errors();
    ok = PKCS12_parse(p12.get(), pw.c_str(), &pkey, &cert, &ca);
  }
  if (ok != 1) ossl::fail(ErrorCode::Input, fmt::format("cannot read {}", path.string()));
  ossl::X509StackPtr ca_owner(ca);
  ossl::X509Ptr cert_owner(cert);
  auto key = wrap(pkey);
  if (!cert_owner) {
    throw Error(ErrorCode::Input,
                fmt::format("{} holds a key but no certificate for it", path.string()));
  }
  std::vector<Certificate> chain;
  for (int i = 0; ca != nullptr && i < sk_X509_num(ca); ++i) {
    X509* x = sk_X509_value(ca, i);
    X509_up_ref(x);
    chain.push_back(certificate_from_x509(ossl::X509Ptr(x)));
  }
  return make_identity(std::move(key), certificate_from_x509(std::move(cert_owner)),
                       std::move(chain));
}

Identity make_identity(PrivateKey key, Certificate certificate, std::vector<Certificate> chain) {
  ossl::clear_errors();
  if (X509_check_private_key(certificate.impl().x509.get(), key.impl().pkey.get()) != 1) {
    ossl::clear_errors();
    throw Error(ErrorCode::Usage,
                fmt::format("the private key does not belong to the certificate of {}",
                            certificate.subject()));
  }
  // The leaf travels on its own; a copy of it in the chain would only be sent twice.
  std::erase_if(chain, [&](const Certificate& c) { return c == certificate; });
  return Identity{std::move(key), std::move(certificate), std::move(chain)};
}

}  // namespace smimekit

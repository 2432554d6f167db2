// OpenSSL's legacy provider, loaded only for as long as a legacy object is being read.
// Internal to the library.
#pragma once

#include <openssl/provider.h>

namespace smimekit {

/// Loads the legacy provider (RC2, DES, ...) for the lifetime of the object, so that no
/// message is ever processed with a legacy algorithm by accident.
class LegacyProviderScope {
 public:
  LegacyProviderScope()
      : m_default(OSSL_PROVIDER_load(nullptr, "default")),
        m_legacy(OSSL_PROVIDER_load(nullptr, "legacy")) {}
  ~LegacyProviderScope() {
    if (m_legacy != nullptr) OSSL_PROVIDER_unload(m_legacy);
    if (m_default != nullptr) OSSL_PROVIDER_unload(m_default);
  }
  LegacyProviderScope(const LegacyProviderScope&) = delete;
  LegacyProviderScope& operator=(const LegacyProviderScope&) = delete;

 private:
  OSSL_PROVIDER* m_default;
  OSSL_PROVIDER* m_legacy;
};

}  // namespace smimekit

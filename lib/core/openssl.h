// RAII handles for OpenSSL objects and the error-queue helpers. Internal to the library.
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>
#include <string_view>

#include "smimekit/error.h"

namespace smimekit::ossl {

template <auto FreeFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) FreeFn(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;

struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

/// A read-only memory BIO over DATA (which must outlive it).
[[nodiscard]] BioPtr memory_bio(std::string_view data);
/// Everything written into a memory BIO so far.
[[nodiscard]] std::string bio_contents(BIO* bio);

/// Takes and clears OpenSSL's error queue, as one "; "-separated line (empty if none).
[[nodiscard]] std::string drain_errors();
/// Clears OpenSSL's error queue (before an operation whose failure we report ourselves).
void clear_errors() noexcept;

/// Throws Error(CODE) with WHAT followed by the drained OpenSSL error queue.
[[noreturn]] void fail(ErrorCode code, std::string_view what);

/// Short name of an object identifier ("sha256"), or its dotted form.
[[nodiscard]] std::string object_name(const ASN1_OBJECT* obj);
/// Dotted form of an object identifier.
[[nodiscard]] std::string object_oid(const ASN1_OBJECT* obj);

}  // namespace smimekit::ossl

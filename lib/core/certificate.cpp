#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "smimekit/files.h"
#include "core/time_util.h"
#include "core/x509_impl.h"

namespace smimekit {

std::string name_to_string(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  const unsigned long flags =
      (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC;
  X509_NAME_print_ex(bio.get(), name, 0, flags);
  return ossl::bio_contents(bio.get());
}

std::string describe_key(const EVP_PKEY* key) {
  if (key == nullptr) return "unknown key";
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return fmt::format("RSA-{}", bits);
    case EVP_PKEY_EC: {
      char group[64] = {0};
      std::size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) {
        const std::string g(group, len);
        if (g == "prime256v1") return "EC P-256";
        if (g == "secp384r1") return "EC P-384";
        if (g == "secp521r1") return "EC P-521";
        return "EC " + g;
      }
      return fmt::format("EC-{}", bits);
    }
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_X25519: return "X25519";
    case EVP_PKEY_DSA: return fmt::format("DSA-{}", bits);
    default: return fmt::format("{}-{}", OBJ_nid2sn(EVP_PKEY_get_base_id(key)), bits);
  }
}

ossl::X509StackPtr to_stack(const std::vector<Certificate>& certs) {
  ossl::X509StackPtr stack(sk_X509_new_null());
  if (!stack) ossl::fail(ErrorCode::Internal, "out of memory");
  for (const auto& c : certs) {
    X509* x = c.impl().x509.get();
    X509_up_ref(x);
    sk_X509_push(stack.get(), x);
  }
  return stack;
}

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 0xf]);
  }
  return out;
}

std::string asn1_string_utf8(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> extract_emails(X509* x) {
  std::vector<std::string> out;
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      if (gn->type == GEN_EMAIL) out.push_back(asn1_string_utf8(gn->d.rfc822Name));
    }
  }
  if (out.empty()) {
    // RFC 8550 §3: without rfc822Name, the emailAddress attribute of the subject DN counts.
    const X509_NAME* subject = X509_get_subject_name(x);
    int pos = -1;
    while ((pos = X509_NAME_get_index_by_NID(subject, NID_pkcs9_emailAddress, pos)) >= 0) {
      out.push_back(asn1_string_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, pos))));
    }
  }
  return out;
}

std::string common_name(X509* x) {
  const X509_NAME* subject = X509_get_subject_name(x);
  const int pos = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (pos < 0) return {};
  return asn1_string_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, pos)));
}

}  // namespace

Certificate certificate_from_x509(ossl::X509Ptr x509) {
  auto impl = std::make_shared<Certificate::Impl>();
  X509* x = x509.get();
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  if (len <= 0) ossl::fail(ErrorCode::Input, "cannot encode certificate");
  impl->der.assign(der, der + len);
  OPENSSL_free(der);

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(impl->der.data(), impl->der.size(), md, &md_len, EVP_sha256(), nullptr);
  impl->fingerprint = to_hex(md, md_len);

  impl->subject = name_to_string(X509_get_subject_name(x));
  impl->issuer = name_to_string(X509_get_issuer_name(x));
  impl->display_name = common_name(x);
  if (impl->display_name.empty()) impl->display_name = impl->subject;

  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  impl->serial_hex = to_hex(serial->data, static_cast<std::size_t>(serial->length));

  // X509_check_purpose caches the extensions and tells us if any of them is malformed.
  X509_check_purpose(x, -1, 0);
  const uint32_t flags = X509_get_extension_flags(x);
  impl->self_issued = (flags & EXFLAG_SI) != 0;
  impl->ca = X509_check_ca(x) != 0;

  if ((flags & EXFLAG_KUSAGE) != 0) {
    const uint32_t ku = X509_get_key_usage(x);
    impl->key_usage.present = true;
    impl->key_usage.digital_signature = (ku & KU_DIGITAL_SIGNATURE) != 0;
    impl->key_usage.non_repudiation = (ku & KU_NON_REPUDIATION) != 0;
    impl->key_usage.key_encipherment = (ku & KU_KEY_ENCIPHERMENT) != 0;
    impl->key_usage.key_agreement = (ku & KU_KEY_AGREEMENT) != 0;
    impl->key_usage.key_cert_sign = (ku & KU_KEY_CERT_SIGN) != 0;
    impl->key_usage.crl_sign = (ku & KU_CRL_SIGN) != 0;
  }
  if (auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
          X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr))) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
      impl->eku.push_back(ossl::object_oid(sk_ASN1_OBJECT_value(eku, i)));
    }
    EXTENDED_KEY_USAGE_free(eku);
  }
  impl->emails = extract_emails(x);
  if (auto t = from_asn1_time(X509_get0_notBefore(x))) impl->not_before = *t;
  if (auto t = from_asn1_time(X509_get0_notAfter(x))) impl->not_after = *t;

  const EVP_PKEY* key = X509_get0_pubkey(x);
  impl->key_description = describe_key(key);
  impl->security_bits = key != nullptr ? EVP_PKEY_get_security_bits(key) : 0;
  impl->rsa = key != nullptr && (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ||
                                 EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS);
  impl->signature_algorithm = OBJ_nid2ln(X509_get_signature_nid(x));

  impl->x509 = std::move(x509);
  return Certificate(std::move(impl));
}

Certificate Certificate::from_der(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  ossl::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) ossl::fail(ErrorCode::Input, "not a DER certificate");
  return certificate_from_x509(std::move(x));
}

Certificate cached_certificate(std::span<const std::uint8_t> der) {
  constexpr std::size_t kCapacity = 1024;
  static std::mutex mutex;
  static std::unordered_map<std::string, Certificate> cache;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(der.data(), der.size(), md, &md_len, EVP_sha256(), nullptr);
  std::string key(reinterpret_cast<char*>(md), md_len);
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  Certificate cert = Certificate::from_der(der);
  std::lock_guard lock(mutex);
  if (cache.size() >= kCapacity) cache.clear();
  cache.insert_or_assign(std::move(key), cert);
  return cert;
}

const std::vector<std::uint8_t>& Certificate::der() const noexcept { return m_impl->der; }
const std::string& Certificate::subject() const noexcept { return m_impl->subject; }
const std::string& Certificate::issuer() const noexcept { return m_impl->issuer; }
const std::string& Certificate::display_name() const noexcept { return m_impl->display_name; }
const std::string& Certificate::serial_hex() const noexcept { return m_impl->serial_hex; }
const std::string& Certificate::fingerprint_sha256() const noexcept { return m_impl->fingerprint; }
const std::vector<std::string>& Certificate::email_addresses() const noexcept {
  return m_impl->emails;
}
TimePoint Certificate::not_before() const noexcept { return m_impl->not_before; }
TimePoint Certificate::not_after() const noexcept { return m_impl->not_after; }
bool Certificate::is_self_issued() const noexcept { return m_impl->self_issued; }
bool Certificate::is_ca() const noexcept { return m_impl->ca; }
const std::string& Certificate::key_description() const noexcept {
  return m_impl->key_description;
}
bool Certificate::has_rsa_key() const noexcept { return m_impl->rsa; }
int Certificate::key_security_bits() const noexcept { return m_impl->security_bits; }
const KeyUsage& Certificate::key_usage() const noexcept { return m_impl->key_usage; }
const std::vector<std::string>& Certificate::extended_key_usage() const noexcept {
  return m_impl->eku;
}
const std::string& Certificate::signature_algorithm() const noexcept {
  return m_impl->signature_algorithm;
}

std::vector<std::uint8_t> Certificate::subject_key_id() const {
  const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(m_impl->x509.get());
  if (id == nullptr) return {};
  const unsigned char* data = ASN1_STRING_get0_data(id);
  return {data, data + ASN1_STRING_length(id)};
}

CertificateRef certificate_ref(const X509_NAME* issuer, const ASN1_INTEGER* serial) {
  CertificateRef ref;
  const unsigned char* der = nullptr;
  std::size_t length = 0;
  if (X509_NAME_get0_der(issuer, &der, &length) == 1) ref.issuer_der.assign(der, der + length);
  ref.serial_hex = to_hex(serial->data, static_cast<std::size_t>(serial->length));
  return ref;
}

CertificateRef CertificateRef::issuer_and_serial_of(const Certificate& cert) {
  X509* x = cert.impl().x509.get();
  return certificate_ref(X509_get_issuer_name(x), X509_get0_serialNumber(x));
}

bool CertificateRef::names(const Certificate& cert) const {
  if (!subject_key_id.empty()) return cert.subject_key_id() == subject_key_id;
  if (issuer_der.empty() || serial_hex != cert.serial_hex()) return false;
  const unsigned char* p = issuer_der.data();
  ossl::X509NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(issuer_der.size())));
  ossl::clear_errors();
  return name && X509_NAME_cmp(name.get(), X509_get_issuer_name(cert.impl().x509.get())) == 0;
}

std::string CertificateRef::describe() const {
  if (!subject_key_id.empty()) {
    std::string hex;
    for (std::uint8_t b : subject_key_id) hex += fmt::format("{}{:02x}", hex.empty() ? "" : ":", b);
    return "subject key identifier " + hex;
  }
  const unsigned char* p = issuer_der.data();
  ossl::X509NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(issuer_der.size())));
  ossl::clear_errors();
  return fmt::format("issuer {}, serial {}", name ? name_to_string(name.get()) : "(unreadable)",
                     serial_hex);
}

bool operator==(const Certificate& a, const Certificate& b) noexcept {
  return a.m_impl == b.m_impl || a.m_impl->der == b.m_impl->der;
}

namespace {

bool looks_like_pem(std::string_view bytes) {
  return bytes.find("-----BEGIN ") != std::string_view::npos;
}

std::vector<Certificate> certificates_from_pkcs7(std::string_view bytes) {
  std::vector<Certificate> out;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(bytes.size()));
  if (p7 == nullptr) return out;
  STACK_OF(X509)* certs = nullptr;
  if (PKCS7_type_is_signed(p7) && p7->d.sign != nullptr) certs = p7->d.sign->cert;
  for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
    X509* x = sk_X509_value(certs, i);
    X509_up_ref(x);
    out.push_back(certificate_from_x509(ossl::X509Ptr(x)));
  }
  PKCS7_free(p7);
  return out;
}

template <typename T>
std::vector<T> load_each(const std::filesystem::path& path,
                         std::vector<T> (*parse)(std::string_view, std::string_view)) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return parse(read_file(path), path.string());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  // A stable order makes chain building and reports reproducible.
  std::sort(files.begin(), files.end());
  std::vector<T> out;
  for (const auto& f : files) {
    auto part = parse(read_file(f), f.string());
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace

std::vector<Certificate> parse_certificates(std::string_view bytes, std::string_view origin) {
  std::vector<Certificate> out;
  ossl::clear_errors();
  if (looks_like_pem(bytes)) {
    ossl::BioPtr bio = ossl::memory_bio(bytes);
    while (X509* x = PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr)) {
      out.push_back(certificate_from_x509(ossl::X509Ptr(x)));
    }
    ossl::clear_errors();  // the loop always ends with "no start line"
    if (out.empty()) {
      // A PEM PKCS#7 bundle (-----BEGIN PKCS7-----) is the other common form.
      bio = ossl::memory_bio(bytes);
      if (PKCS7* p7 = PEM_read_bio_PKCS7(bio.get(), nullptr, nullptr, nullptr)) {
        unsigned char* der = nullptr;
        const int len = i2d_PKCS7(p7, &der);
        PKCS7_free(p7);
        if (len > 0) {
          out = certificates_from_pkcs7(std::string_view(reinterpret_cast<char*>(der),
                                                         static_cast<std::size_t>(len)));
          OPENSSL_free(der);
        }
      }
      ossl::clear_errors();
    }
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    if (X509* x = d2i_X509(nullptr, &p, static_cast<long>(bytes.size()))) {
      out.push_back(certificate_from_x509(ossl::X509Ptr(x)));
    } else {
      out = certificates_from_pkcs7(bytes);
    }
    ossl::clear_errors();
  }
  if (out.empty()) {
    throw Error(ErrorCode::Input,
                fmt::format("{}: no certificate found (expected PEM, DER or PKCS#7)", origin));
  }
  return out;
}

std::vector<Certificate> load_certificates(const std::filesystem::path& path) {
  return load_each<Certificate>(path, &parse_certificates);
}

Crl Crl::from_der(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  ossl::X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl) ossl::fail(ErrorCode::Input, "not a DER CRL");
  auto impl = std::make_shared<Crl::Impl>();
  impl->der.assign(der.begin(), der.end());
  impl->issuer = name_to_string(X509_CRL_get_issuer(crl.get()));
  impl->crl = std::move(crl);
  return Crl(std::move(impl));
}

const std::vector<std::uint8_t>& Crl::der() const noexcept { return m_impl->der; }
const std::string& Crl::issuer() const noexcept { return m_impl->issuer; }
TimePoint Crl::this_update() const {
  return from_asn1_time(X509_CRL_get0_lastUpdate(m_impl->crl.get())).value_or(TimePoint{});
}
std::optional<TimePoint> Crl::next_update() const {
  const ASN1_TIME* t = X509_CRL_get0_nextUpdate(m_impl->crl.get());
  return t != nullptr ? from_asn1_time(t) : std::nullopt;
}
std::size_t Crl::revoked_count() const noexcept {
  const auto* revoked = X509_CRL_get_REVOKED(m_impl->crl.get());
  return revoked != nullptr ? static_cast<std::size_t>(sk_X509_REVOKED_num(revoked)) : 0;
}

std::vector<Crl> parse_crls(std::string_view bytes, std::string_view origin) {
  std::vector<Crl> out;
  ossl::clear_errors();
  auto add = [&out](X509_CRL* crl) {
    unsigned char* der = nullptr;
    const int len = i2d_X509_CRL(crl, &der);
    X509_CRL_free(crl);
    if (len <= 0) ossl::fail(ErrorCode::Input, "cannot encode CRL");
    std::vector<std::uint8_t> bytes(der, der + len);
    OPENSSL_free(der);
    out.push_back(Crl::from_der(bytes));
  };
  if (looks_like_pem(bytes)) {
    ossl::BioPtr bio = ossl::memory_bio(bytes);
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) add(crl);
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    if (X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()))) add(crl);
  }
  ossl::clear_errors();
  if (out.empty()) {
    throw Error(ErrorCode::Input, fmt::format("{}: no CRL found (expected PEM or DER)", origin));
  }
  return out;
}

std::vector<Crl> load_crls(const std::filesystem::path& path) {
  return load_each<Crl>(path, &parse_crls);
}

}  // namespace smimekit

// Online revocation: OCSP first (RFC 6960), then the CRL of the distribution point (RFC 5280).
// Every answer is untrusted until its signature chains to the certificate's issuer and its
// times say it is current; cached answers are checked again each time they are used.
#include "trust/revocation.h"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "core/time_util.h"
#include "core/x509_impl.h"
#include "net/http.h"
#include "smimekit/files.h"

namespace smimekit {

namespace {

using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, ossl::Deleter<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, ossl::Deleter<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, ossl::Deleter<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, ossl::Deleter<OCSP_CERTID_free>>;
using IdpPtr = std::unique_ptr<ISSUING_DIST_POINT, ossl::Deleter<ISSUING_DIST_POINT_free>>;

using Kind = detail::RevocationOutcome::Kind;

// Clocks differ; RFC 5019 §4 and common practice allow a few minutes.
constexpr long kSkewSeconds = 300;
// A response without nextUpdate is current only when just made (RFC 6960 §4.2.2.1).
constexpr long kNoNextUpdateMaxAgeSeconds = 300;
constexpr std::size_t kMaxOcspResponse = 64 * 1024;
constexpr std::size_t kMaxCrl = 16 * 1024 * 1024;
constexpr auto kFailureMemory = std::chrono::minutes(5);

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), md, &length, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Good:
      return "good";
    case Kind::Revoked:
      return "revoked";
    case Kind::Unknown:
      return "unknown";
  }
  return "unknown";
}

struct Verified {
  std::optional<Kind> kind;  ///< nullopt: the answer is not acceptable, see why
  std::string why;
  TimePoint expires{};
};

// RFC 6960 §3.2: the response is signed by the issuer or by a responder the issuer certified
// with id-kp-OCSPSigning; it names this certificate; it is current. REQUEST is given for a
// fresh answer (its nonce must come back unchanged, if the responder returns one).
Verified verify_ocsp(std::string_view der, const Certificate& cert, const Certificate& issuer,
                     OCSP_REQUEST* request) {
  Verified out;
  ossl::clear_errors();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!response || p != reinterpret_cast<const unsigned char*>(der.data() + der.size())) {
    ossl::clear_errors();
    out.why = "the answer is not an OCSP response";
    return out;
  }
  if (const int rs = OCSP_response_status(response.get()); rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    out.why = fmt::format("the responder answered '{}'", OCSP_response_status_str(rs));
    return out;
  }
  OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) {
    ossl::clear_errors();
    out.why = "the response is not a basic OCSP response";
    return out;
  }
  // OCSP_check_nonce: 1 equal, 0 different, -1 not echoed (pre-signed responses; freshness
  // then rests on thisUpdate/nextUpdate), 2 or 3 none was asked for.
  if (request != nullptr && OCSP_check_nonce(request, basic.get()) == 0) {
    out.why = "the response's nonce differs from the request's (a replayed or misdirected answer)";
    return out;
  }
  ossl::X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), issuer.impl().x509.get());
  // The issuer is the only anchor for its responder, even when it is itself an intermediate.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  ossl::X509StackPtr certs = to_stack({issuer});
  if (OCSP_basic_verify(basic.get(), certs.get(), store.get(), OCSP_NOEXPLICIT) != 1) {
    out.why = fmt::format(
        "the response is not signed by the issuer nor by a responder it authorised ({})",
        ossl::drain_errors());
    return out;
  }
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert.impl().x509.get(), issuer.impl().x509.get()));
  int status = 0, reason = 0;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  if (!id || OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at,
                                   &this_update, &next_update) != 1) {
    ossl::clear_errors();
    out.why = "the response does not speak of this certificate (CertID differs)";
    return out;
  }
  if (OCSP_check_validity(this_update, next_update, kSkewSeconds,
                          next_update != nullptr ? -1 : kNoNextUpdateMaxAgeSeconds) != 1) {
    ossl::clear_errors();
    out.why = "the response is out of date or not yet valid (thisUpdate/nextUpdate)";
    return out;
  }
  const TimePoint now = std::chrono::system_clock::now();
  const auto next = next_update != nullptr ? from_asn1_time(next_update) : std::nullopt;
  out.expires = next.value_or(now + std::chrono::seconds(kNoNextUpdateMaxAgeSeconds));
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      out.kind = Kind::Good;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      out.kind = Kind::Revoked;
      break;
    default:
      out.why = "the responder does not know the certificate";
  }
  return out;
}

// RFC 5280 §6.3.3: a CRL that check_crl() accepts, covering this kind of certificate.
Verified verify_crl(std::string_view der, std::string_view url, const Certificate& cert,
                    const Certificate& issuer) {
  Verified out;
  std::vector<Crl> crls;
  try {
    crls = parse_crls(der, url);
  } catch (const Error& e) {
    out.why = e.what();
    return out;
  }
  if (crls.size() != 1) {
    out.why = fmt::format("the answer holds {} CRLs, not one", crls.size());
    return out;
  }
  const Crl& crl = crls.front();
  out.why = check_crl(crl, issuer, std::chrono::system_clock::now());
  if (!out.why.empty()) return out;
  X509_CRL* x509_crl = crl.impl().crl.get();
  IdpPtr idp(static_cast<ISSUING_DIST_POINT*>(
      X509_CRL_get_ext_d2i(x509_crl, NID_issuing_distribution_point, nullptr, nullptr)));
  if (idp && ((idp->onlyuser != 0 && cert.is_ca()) || (idp->onlyCA != 0 && !cert.is_ca()))) {
    out.why = "the CRL does not cover this certificate (issuingDistributionPoint)";
    return out;
  }
  out.expires = crl.next_update().value();  // check_crl() insists on a nextUpdate
  X509_REVOKED* entry = nullptr;
  out.kind = X509_CRL_get0_by_cert(x509_crl, &entry, cert.impl().x509.get()) == 1 ? Kind::Revoked
                                                                                  : Kind::Good;
  return out;
}

std::vector<std::string> http_only(std::vector<std::string> urls) {
  std::erase_if(urls, [](const std::string& u) { return !net::parse_http_url(u); });
  return urls;
}

}  // namespace

std::string check_crl(const Crl& crl, const Certificate& issuer, TimePoint now) {
  X509_CRL* x509_crl = crl.impl().crl.get();
  X509* issuer_x509 = issuer.impl().x509.get();
  if (X509_NAME_cmp(X509_CRL_get_issuer(x509_crl), X509_get_subject_name(issuer_x509)) != 0) {
    return fmt::format("the CRL was issued by {}, not by the certificate's issuer {}", crl.issuer(),
                       issuer.subject());
  }
  if (issuer.key_usage().present && !issuer.key_usage().crl_sign) {
    return "the issuer's key usage does not allow it to sign CRLs";
  }
  ossl::clear_errors();
  if (X509_CRL_verify(x509_crl, X509_get0_pubkey(issuer_x509)) != 1) {
    ossl::clear_errors();
    return "the CRL's signature does not verify with the issuer's key";
  }
  for (int i = 0; i < X509_CRL_get_ext_count(x509_crl); ++i) {
    X509_EXTENSION* ext = X509_CRL_get_ext(x509_crl, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (nid == NID_delta_crl) return "the CRL is a delta CRL";
    if (X509_EXTENSION_get_critical(ext) != 0 && nid != NID_issuing_distribution_point) {
      return "the CRL has a critical extension that is not understood";
    }
  }
  // A CRL for some reasons only, of an indirect CRL issuer or of attribute certificates is
  // no complete answer for any certificate; onlyUser/onlyCA are judged per certificate.
  IdpPtr idp(static_cast<ISSUING_DIST_POINT*>(
      X509_CRL_get_ext_d2i(x509_crl, NID_issuing_distribution_point, nullptr, nullptr)));
  ossl::clear_errors();
  if (idp && (idp->onlysomereasons != nullptr || idp->indirectCRL != 0 || idp->onlyattr != 0)) {
    return "the CRL is not a complete CRL (its issuingDistributionPoint limits its scope)";
  }
  const auto skew = std::chrono::seconds(kSkewSeconds);
  const auto last = from_asn1_time(X509_CRL_get0_lastUpdate(x509_crl));
  const ASN1_TIME* next_time = X509_CRL_get0_nextUpdate(x509_crl);
  const auto next = next_time != nullptr ? from_asn1_time(next_time) : std::nullopt;
  if (!last || *last > now + skew) return "the CRL is not yet valid (thisUpdate lies ahead)";
  if (!next) return "the CRL has no nextUpdate";
  if (now > *next + skew) return "the CRL is out of date (its nextUpdate has passed)";
  return {};
}

std::vector<std::string> ocsp_responders(const Certificate& cert) {
  std::vector<std::string> out;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert.impl().x509.get());
  for (int i = 0; i < sk_OPENSSL_STRING_num(urls); ++i)
    out.emplace_back(sk_OPENSSL_STRING_value(urls, i));
  X509_email_free(urls);
  return http_only(std::move(out));
}

std::vector<std::string> crl_distribution_points(const Certificate& cert) {
  std::vector<std::string> out;
  auto* points = static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(cert.impl().x509.get(), NID_crl_distribution_points, nullptr, nullptr));
  for (int i = 0; i < sk_DIST_POINT_num(points); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(points, i);
    // A point for some reasons only, or of an indirect CRL issuer, cannot give a complete
    // answer on its own; such points are skipped.
    if (dp->reasons != nullptr || dp->CRLissuer != nullptr || dp->distpoint == nullptr ||
        dp->distpoint->type != 0) {
      continue;
    }
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                       static_cast<std::size_t>(ASN1_STRING_length(uri)));
    }
  }
  sk_DIST_POINT_pop_free(points, DIST_POINT_free);
  ossl::clear_errors();
  return http_only(std::move(out));
}

Crl fetch_crl(std::string_view url, std::chrono::milliseconds timeout) {
  const std::string body = net::http_get(url, {timeout, kMaxCrl});
  auto crls = parse_crls(body, url);
  if (crls.size() != 1) {
    throw Error(ErrorCode::Input, fmt::format("{} holds {} CRLs, not one", url, crls.size()));
  }
  return crls.front();
}

namespace detail {

RevocationChecker::RevocationChecker(RevocationPolicy policy) : m_policy(std::move(policy)) {}

RevocationOutcome RevocationChecker::check(const Certificate& cert,
                                           const Certificate& issuer) const {
  const auto responders = ocsp_responders(cert);
  const auto points = crl_distribution_points(cert);
  RevocationOutcome out;
  if (responders.empty() && points.empty()) {
    out.no_source = true;
    out.how = "the certificate names no OCSP responder and no http CRL distribution point";
    return out;
  }
  std::vector<std::string> failures;
  for (const auto& url : responders) {
    auto r = check_ocsp(cert, issuer, url);
    failures.push_back(std::move(r.how));
    if (r.kind != Kind::Unknown)
      return {r.kind, false, fmt::format("{}", fmt::join(failures, "; "))};
  }
  for (const auto& url : points) {
    auto r = check_crl(cert, issuer, url);
    failures.push_back(std::move(r.how));
    if (r.kind != Kind::Unknown)
      return {r.kind, false, fmt::format("{}", fmt::join(failures, "; "))};
  }
  out.how = fmt::format("{}", fmt::join(failures, "; "));
  return out;
}

RevocationOutcome RevocationChecker::check_ocsp(const Certificate& cert, const Certificate& issuer,
                                                const std::string& url) const {
  const std::string key =
      "ocsp-" + sha256_hex(cert.fingerprint_sha256() + issuer.fingerprint_sha256());
  if (const std::string der = cached(key); !der.empty()) {
    const Verified v = verify_ocsp(der, cert, issuer, nullptr);
    if (v.kind)
      return {*v.kind, false, fmt::format("OCSP {} (cached): {}", url, kind_name(*v.kind))};
  }
  if (const std::string why = recent_failure(url); !why.empty()) {
    return {Kind::Unknown, false, fmt::format("OCSP {}: {} (not tried again)", url, why)};
  }
  OcspRequestPtr request(OCSP_REQUEST_new());
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert.impl().x509.get(), issuer.impl().x509.get());
  if (!request || id == nullptr || OCSP_request_add0_id(request.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    return {Kind::Unknown, false,
            fmt::format("OCSP {}: cannot build a request: {}", url, ossl::drain_errors())};
  }
  if (OCSP_request_add1_nonce(request.get(), nullptr, -1) != 1) {
    return {Kind::Unknown, false,
            fmt::format("OCSP {}: cannot add a nonce: {}", url, ossl::drain_errors())};
  }
  const int length = i2d_OCSP_REQUEST(request.get(), nullptr);
  std::string body(static_cast<std::size_t>(std::max(length, 0)), '\0');
  auto* q = reinterpret_cast<unsigned char*>(body.data());
  i2d_OCSP_REQUEST(request.get(), &q);
  std::string answer;
  try {
    answer =
        net::http_post(url, "application/ocsp-request", body, {m_policy.timeout, kMaxOcspResponse});
  } catch (const Error& e) {
    note_failure(url, e.what());
    return {Kind::Unknown, false, fmt::format("OCSP {}: {}", url, e.what())};
  }
  const Verified v = verify_ocsp(answer, cert, issuer, request.get());
  if (!v.kind) return {Kind::Unknown, false, fmt::format("OCSP {}: {}", url, v.why)};
  remember(key, answer, v.expires);
  return {*v.kind, false, fmt::format("OCSP {}: {}", url, kind_name(*v.kind))};
}

RevocationOutcome RevocationChecker::check_crl(const Certificate& cert, const Certificate& issuer,
                                               const std::string& url) const {
  const std::string key = "crl-" + sha256_hex(url);
  if (const std::string der = cached(key); !der.empty()) {
    const Verified v = verify_crl(der, url, cert, issuer);
    if (v.kind)
      return {*v.kind, false, fmt::format("CRL {} (cached): {}", url, kind_name(*v.kind))};
  }
  if (const std::string why = recent_failure(url); !why.empty()) {
    return {Kind::Unknown, false, fmt::format("CRL {}: {} (not tried again)", url, why)};
  }
  std::string answer;
  try {
    answer = net::http_get(url, {m_policy.timeout, kMaxCrl});
  } catch (const Error& e) {
    note_failure(url, e.what());
    return {Kind::Unknown, false, fmt::format("CRL {}: {}", url, e.what())};
  }
  const Verified v = verify_crl(answer, url, cert, issuer);
  if (!v.kind) return {Kind::Unknown, false, fmt::format("CRL {}: {}", url, v.why)};
  remember(key, answer, v.expires);
  return {*v.kind, false, fmt::format("CRL {}: {}", url, kind_name(*v.kind))};
}

std::string RevocationChecker::cached(const std::string& key) const {
  const TimePoint now = std::chrono::system_clock::now();
  {
    std::lock_guard lock(m_mutex);
    if (const auto it = m_cache.find(key); it != m_cache.end()) {
      if (now < it->second.expires) return it->second.der;
      m_cache.erase(it);
    }
  }
  if (m_policy.cache_dir.empty()) return {};
  const auto path = m_policy.cache_dir / (key + ".der");
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0 || size > kMaxCrl) return {};
  try {
    return read_file(path);  // verified by the caller like a fresh answer
  } catch (const Error&) {
    return {};
  }
}

void RevocationChecker::remember(const std::string& key, const std::string& der,
                                 TimePoint expires) const {
  {
    std::lock_guard lock(m_mutex);
    m_cache.insert_or_assign(key, Entry{der, expires});
  }
  if (m_policy.cache_dir.empty()) return;
  // The cache only saves fetches: a directory that cannot be written costs speed, not safety.
  // It says whose certificates were checked, so it is private to the user.
  try {
    std::error_code ec;
    if (std::filesystem::create_directories(m_policy.cache_dir, ec)) {
      std::filesystem::permissions(m_policy.cache_dir, std::filesystem::perms::owner_all, ec);
    }
    write_file_atomic(m_policy.cache_dir / (key + ".der"), der, 0600);
  } catch (const Error&) {
  }
}

std::string RevocationChecker::recent_failure(const std::string& url) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_failures.find(url);
  if (it == m_failures.end()) return {};
  if (std::chrono::system_clock::now() - it->second.first > kFailureMemory) {
    m_failures.erase(it);
    return {};
  }
  return it->second.second;
}

void RevocationChecker::note_failure(const std::string& url, const std::string& why) const {
  std::lock_guard lock(m_mutex);
  m_failures.insert_or_assign(url, std::make_pair(std::chrono::system_clock::now(), why));
}

}  // namespace detail

}  // namespace smimekit

// Reading RFC 5280 extensions with OpenSSL, and OpenSSL's own opinion of a chain.
#include "audit/inspect.h"

#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>

#include "core/x509_impl.h"

namespace smimekit::audit_detail {

namespace {

std::string asn1_string(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return n > 0
             ? std::string(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1))
             : std::string("?");
}

// "email:.example.org", "DNS:example.com", "dirName:O=Example", ... for people.
std::string general_name_text(const GENERAL_NAME* name) {
  switch (name->type) {
    case GEN_EMAIL:
      return "email:" + asn1_string(name->d.rfc822Name);
    case GEN_DNS:
      return "DNS:" + asn1_string(name->d.dNSName);
    case GEN_URI:
      return "URI:" + asn1_string(name->d.uniformResourceIdentifier);
    case GEN_DIRNAME:
      return "dirName:" + name_to_string(name->d.directoryName);
    case GEN_IPADD:
      return "IP:(" + std::to_string(ASN1_STRING_length(name->d.iPAddress)) + " octets)";
    default:
      return "other name form";
  }
}

void read_subtrees(const STACK_OF(GENERAL_SUBTREE) * trees, std::vector<std::string>& out) {
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(trees); ++i) {
    const GENERAL_SUBTREE* t = sk_GENERAL_SUBTREE_value(trees, i);
    if (t != nullptr && t->base != nullptr) out.push_back(general_name_text(t->base));
  }
}

}  // namespace

Extensions read_extensions(const Certificate& cert) {
  Extensions ext;
  X509* x = cert.impl().x509.get();
  int crit = 0;

  std::unique_ptr<BASIC_CONSTRAINTS, ossl::Deleter<BASIC_CONSTRAINTS_free>> bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, &crit, nullptr)));
  if (bc) {
    ext.has_basic_constraints = true;
    ext.ca = bc->ca != 0;
    if (bc->pathlen != nullptr) ext.path_length = ASN1_INTEGER_get(bc->pathlen);
  }

  std::unique_ptr<NAME_CONSTRAINTS, ossl::Deleter<NAME_CONSTRAINTS_free>> nc(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_name_constraints, &crit, nullptr)));
  if (nc) {
    ext.name_constraints_critical = crit == 1;
    read_subtrees(nc->permittedSubtrees, ext.permitted);
    read_subtrees(nc->excludedSubtrees, ext.excluded);
  }

  std::unique_ptr<CERTIFICATEPOLICIES, ossl::Deleter<CERTIFICATEPOLICIES_free>> pol(
      static_cast<CERTIFICATEPOLICIES*>(
          X509_get_ext_d2i(x, NID_certificate_policies, &crit, nullptr)));
  if (pol) {
    for (int i = 0; i < sk_POLICYINFO_num(pol.get()); ++i) {
      ext.policies.push_back(oid_text(sk_POLICYINFO_value(pol.get(), i)->policyid));
    }
  }

  std::unique_ptr<AUTHORITY_INFO_ACCESS, ossl::Deleter<AUTHORITY_INFO_ACCESS_free>> aia(
      static_cast<AUTHORITY_INFO_ACCESS*>(X509_get_ext_d2i(x, NID_info_access, &crit, nullptr)));
  if (aia) {
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia.get()); ++i) {
      const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia.get(), i);
      const std::string where = general_name_text(ad->location);
      const int nid = OBJ_obj2nid(ad->method);
      if (nid == NID_ad_OCSP) ext.ocsp_urls.push_back(where);
      if (nid == NID_ad_ca_issuers) ext.ca_issuer_urls.push_back(where);
    }
  }

  std::unique_ptr<CRL_DIST_POINTS, ossl::Deleter<CRL_DIST_POINTS_free>> cdp(
      static_cast<CRL_DIST_POINTS*>(
          X509_get_ext_d2i(x, NID_crl_distribution_points, &crit, nullptr)));
  if (cdp) {
    ext.has_crl_distribution_points = true;
    for (int i = 0; i < sk_DIST_POINT_num(cdp.get()); ++i) {
      const DIST_POINT* dp = sk_DIST_POINT_value(cdp.get(), i);
      if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
      const GENERAL_NAMES* names = dp->distpoint->name.fullname;
      for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
        ext.crl_urls.push_back(general_name_text(sk_GENERAL_NAME_value(names, j)));
      }
    }
  }

  if (const EVP_PKEY* key = X509_get0_pubkey(x);
      key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char curve[80] = {0};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof curve, &len) == 1) {
      ext.ec_curve.assign(curve, len);
    }
  }
  ossl::clear_errors();  // an absent extension leaves nothing worth keeping on the queue
  return ext;
}

bool may_have_issued(const Certificate& issuer, const Certificate& cert) {
  const int result = X509_check_issued(issuer.impl().x509.get(), cert.impl().x509.get());
  ossl::clear_errors();
  return result == X509_V_OK;
}

bool same_subject_and_key(const Certificate& a, const Certificate& b) {
  X509* x = a.impl().x509.get();
  X509* y = b.impl().x509.get();
  if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(y)) != 0) return false;
  const EVP_PKEY* kx = X509_get0_pubkey(x);
  const EVP_PKEY* ky = X509_get0_pubkey(y);
  const bool same = kx != nullptr && ky != nullptr && EVP_PKEY_eq(kx, ky) == 1;
  ossl::clear_errors();
  return same;
}

std::optional<std::string> openssl_verify(const std::vector<Certificate>& chain, TimePoint when) {
  if (chain.empty()) return std::string("no certificate");
  ossl::X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), chain.back().impl().x509.get()) != 1) {
    ossl::clear_errors();
    return std::string("OpenSSL could not set up the anchor");
  }
  std::vector<Certificate> middle;
  if (chain.size() > 2) middle.assign(chain.begin() + 1, chain.end() - 1);
  ossl::X509StackPtr untrusted = to_stack(middle);
  std::unique_ptr<X509_STORE_CTX, ossl::Deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().impl().x509.get(),
                                  untrusted.get()) != 1) {
    ossl::clear_errors();
    return std::string("OpenSSL could not start verifying");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(when));
  // 112 bits, as Botan's restrictions in lib/trust: no RSA under 2048, no SHA-1 signatures.
  X509_VERIFY_PARAM_set_auth_level(param, 2);
  // The anchor may be an intermediate (as in Botan), and policy processing stays off (as in
  // PathValidator's second opinion), so only real disagreements show.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ossl::clear_errors();
  if (ok == 1) return std::nullopt;
  return std::string(X509_verify_cert_error_string(error)) + " (at depth " + std::to_string(depth) +
         ")";
}

}  // namespace smimekit::audit_detail

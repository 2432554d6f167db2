// CertStore::update_crls: the store's CRLs fetched again from the distribution points its
// certificates name. A fetched CRL is untrusted until check_crl() accepts it with an issuer
// the store holds; only then is it stored.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/x509_impl.h"
#include "smimekit/store.h"

namespace smimekit {

namespace {

bool issued_by(const X509_NAME* issuer_name, const Certificate& candidate) {
  return X509_NAME_cmp(issuer_name, X509_get_subject_name(candidate.impl().x509.get())) == 0;
}

// Fetches and checks one URL that the certificates CITING name; KNOWN are the store's.
CrlUpdate update_one(const std::string& url, const std::vector<Certificate>& citing,
                     const std::vector<Certificate>& known, std::chrono::milliseconds timeout,
                     TimePoint now) {
  CrlUpdate out;
  out.url = url;
  std::optional<Crl> fetched;
  try {
    fetched = fetch_crl(url, timeout);
  } catch (const Error& e) {
    out.failure = e;
    return out;
  }
  const Crl& crl = *fetched;
  const X509_NAME* crl_issuer = X509_CRL_get_issuer(crl.impl().crl.get());
  // RFC 5280 §4.2.1.13: without a cRLIssuer in the point, the CRL is the certificate's issuer's.
  const bool cited = std::any_of(citing.begin(), citing.end(), [&](const Certificate& c) {
    return X509_NAME_cmp(crl_issuer, X509_get_issuer_name(c.impl().x509.get())) == 0;
  });
  if (!cited) {
    out.failure =
        Error(ErrorCode::Input, fmt::format("the CRL was issued by {}, not by the issuer of the "
                                            "certificate that names this distribution point ({})",
                                            crl.issuer(), citing.front().issuer()));
    return out;
  }
  std::vector<std::string> refusals;
  for (const auto& candidate : known) {
    if (!issued_by(crl_issuer, candidate)) continue;
    std::string why = check_crl(crl, candidate, now);
    if (why.empty()) {
      out.crl = crl;
      return out;
    }
    if (std::find(refusals.begin(), refusals.end(), why) == refusals.end()) {
      refusals.push_back(std::move(why));
    }
  }
  if (refusals.empty()) {
    out.issuer_missing = true;
    out.failure = Error(ErrorCode::Input,
                        fmt::format("the CRL's issuer {} is not in the store, so its signature "
                                    "cannot be checked",
                                    crl.issuer()));
  } else {
    out.failure = Error(ErrorCode::Input, fmt::format("{}", fmt::join(refusals, "; ")));
  }
  return out;
}

}  // namespace

std::vector<CrlUpdate> CertStore::update_crls(std::chrono::milliseconds timeout,
                                              std::optional<TimePoint> now) {
  std::vector<Certificate> known = anchors();
  for (const auto& stored : list()) known.push_back(stored.certificate);

  // Each URL once, in the order first named; with the certificates naming it.
  std::vector<std::string> urls;
  std::map<std::string, std::vector<Certificate>> citing;
  for (const auto& cert : known) {
    for (const auto& url : crl_distribution_points(cert)) {
      auto& list = citing[url];
      if (list.empty()) urls.push_back(url);
      list.push_back(cert);
    }
  }

  std::vector<CrlUpdate> out;
  for (const auto& url : urls) {
    CrlUpdate update = update_one(url, citing[url], known, timeout,
                                  now.value_or(std::chrono::system_clock::now()));
    if (update.crl) update.added = add_crl(*update.crl);
    out.push_back(std::move(update));
  }
  return out;
}

}  // namespace smimekit

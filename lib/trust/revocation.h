// Online revocation checking for PathValidator: OCSP (RFC 6960) and CRLs fetched from the
// distribution point (RFC 5280 §4.2.1.13, §6.3), with an in-memory and an optional on-disk
// cache. Internal to lib/trust.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "smimekit/trust.h"

namespace smimekit::detail {

/// What could be learned about one certificate.
struct RevocationOutcome {
  enum class Kind { Good, Revoked, Unknown } kind = Kind::Unknown;
  /// No OCSP responder and no http CRL distribution point was named (Unknown only).
  bool no_source = false;
  /// For people: which source answered what, or why each failed.
  std::string how;
};

class RevocationChecker {
 public:
  explicit RevocationChecker(RevocationPolicy policy);

  /// The status of CERT, issued by ISSUER: OCSP first, then the CRL of each distribution
  /// point. Never throws for network or data trouble: that is an Unknown outcome.
  [[nodiscard]] RevocationOutcome check(const Certificate& cert, const Certificate& issuer) const;

 private:
  struct Entry {
    std::string der;  ///< a CRL or an OCSP response, re-verified on every use
    TimePoint expires;
  };
  [[nodiscard]] RevocationOutcome check_ocsp(const Certificate& cert, const Certificate& issuer,
                                             const std::string& url) const;
  [[nodiscard]] RevocationOutcome check_crl(const Certificate& cert, const Certificate& issuer,
                                            const std::string& url) const;
  /// The cached bytes under KEY (memory, then disk); empty when there are none.
  [[nodiscard]] std::string cached(const std::string& key) const;
  void remember(const std::string& key, const std::string& der, TimePoint expires) const;
  /// Whether URL failed within the last few minutes: a dead server costs one timeout per run,
  /// not one per message.
  [[nodiscard]] std::string recent_failure(const std::string& url) const;
  void note_failure(const std::string& url, const std::string& why) const;

  RevocationPolicy m_policy;
  mutable std::mutex m_mutex;
  mutable std::map<std::string, Entry> m_cache;
  mutable std::map<std::string, std::pair<TimePoint, std::string>> m_failures;
};

}  // namespace smimekit::detail

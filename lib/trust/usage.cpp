#include <algorithm>
#include <cctype>

#include "smimekit/trust.h"

namespace smimekit {

namespace {
constexpr std::string_view kEmailProtection = "1.3.6.1.5.5.7.3.4";
constexpr std::string_view kAnyExtendedKeyUsage = "2.5.29.37.0";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool addresses_equal(std::string_view a, std::string_view b) {
  const auto at_a = a.rfind('@');
  const auto at_b = b.rfind('@');
  if (at_a == std::string_view::npos || at_b == std::string_view::npos) return false;
  // RFC 5321 §2.4: the local part may be case-sensitive, the domain is not.
  return a.substr(0, at_a) == b.substr(0, at_b) && iequals(a.substr(at_a), b.substr(at_b));
}
}  // namespace

std::vector<Status> check_signing_usage(const Certificate& cert) {
  std::vector<Status> out;
  const KeyUsage& ku = cert.key_usage();
  // RFC 8550 §4.4.2: a signing certificate needs digitalSignature or nonRepudiation.
  if (ku.present && !ku.digital_signature && !ku.non_repudiation) {
    out.push_back(Status::KeyUsageForbidsSigning);
  }
  // RFC 8550 §4.4.4: when extendedKeyUsage is present it must allow emailProtection.
  const auto& eku = cert.extended_key_usage();
  if (!eku.empty() && std::find(eku.begin(), eku.end(), kEmailProtection) == eku.end() &&
      std::find(eku.begin(), eku.end(), kAnyExtendedKeyUsage) == eku.end()) {
    out.push_back(Status::ExtKeyUsageForbidsEmail);
  }
  return out;
}

bool certificate_matches_address(const Certificate& cert, std::string_view address) {
  const auto& emails = cert.email_addresses();
  return std::any_of(emails.begin(), emails.end(),
                     [&](const std::string& e) { return addresses_equal(e, address); });
}

}  // namespace smimekit

// The agreement table shared by the path-validation runners over foreign suites (x509-limbo,
// Botan's x509 data): each case's verdict from smimekit::PathValidator next to the suite's
// expected result, a table (suite, cases, applicable, agree, disagree), every disagreement by
// name, and a check that the disagreements are exactly the known ones, each with its class.
//
// The classes are explained, one paragraph each, in docs/conformance.md; the counts are pinned
// by the runners, so a change either way fails until the pin (and the doc) is updated.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "conformance_util.h"
#include "smimekit/trust.h"

namespace smimekit::conformance {

/// One case of a suite, run.
struct PathOutcome {
  std::string name;
  bool expected = false;       ///< the suite says the path must validate
  std::string expected_text;   ///< the suite's own words ("Verified", "FAILURE", ...)
  std::string not_applicable;  ///< why the case is not run against smimekit; empty = run
  bool trusted = false;        ///< smimekit's verdict
  std::string ours;            ///< smimekit's status and detail
  [[nodiscard]] bool applicable() const { return not_applicable.empty(); }
  [[nodiscard]] bool agrees() const { return trusted == expected; }
};

/// A disagreement smimekit has with a suite today, and the class that explains it.
struct KnownPathDisagreement {
  const char* name;
  const char* cls;  ///< a key of the suite's class table (a docs/conformance.md paragraph)
};

/// The counts a runner pins.
struct SuitePins {
  std::size_t cases;
  std::size_t applicable;
  std::size_t agree;
  std::size_t disagree;
};

/// The classes of disagreement, shared by the runners; docs/conformance.md explains each in a
/// paragraph of the same name.
inline const std::map<std::string, std::string> kPathDisagreementClasses = {
    {"weak-key",
     "smimekit is stricter: a key of the path is below PathValidator's fixed 110-bit minimum "
     "(RSA-1024), which the suite's driver lowers to 80 bits"},
    {"openssl-path-building",
     "smimekit is stricter: OpenSSL's second opinion takes the first CA certificate with the "
     "issuer's name, fails its signature and does not try the others Botan tried"},
    {"issuer-profile",
     "smimekit is laxer: an RFC 5280 section 4 rule for conforming CAs (AKI/SKI present, serial "
     "1..20 octets, critical basicConstraints and nameConstraints, SAN critical with an empty "
     "subject) that section 6 path validation does not check"},
    {"nc-form-unsupported",
     "smimekit is stricter: Botan 2 does not implement iPAddress (IPv6) or otherName name "
     "constraints and fails closed with an unknown critical extension"},
    {"nc-self-issued",
     "smimekit is stricter: Botan 2 applies name constraints to a self-issued intermediate, "
     "which RFC 5280 6.1.3 (b) exempts"},
    {"nc-botan2-stricter",
     "smimekit is stricter: Botan 2's name matching lacks forms Botan 3 knows (DN case and "
     "space folding, rfc822Name host and domain forms, URI hosts, CN fallback rules)"},
    {"nc-openssl-stricter",
     "smimekit is stricter: OpenSSL's second opinion refuses a path Botan accepted (SmtpUTF8 "
     "and CN-as-DNS rules, an otherName constraint it does not support)"},
    {"encoding-lenient",
     "smimekit is laxer: Botan 3 refuses a malformed name or constraint encoding at decoding "
     "(empty SAN, misplaced wildcard, underscore, non-contiguous mask, DER SET order); Botan 2 "
     "and OpenSSL 3.0 parse it, and no mail-address check depends on it"},
    {"nc-smtputf8-conservative",
     "smimekit is stricter: an SmtpUTF8Mailbox name under any rfc822Name constraint is refused, "
     "since Botan 2 and OpenSSL 3.0 do not fully match it (RFC 9598 section 6)"},
    {"nc-exclusion-missed",
     "smimekit is laxer: an excluded subtree that Botan 2 and OpenSSL 3.0 both fail to match "
     "(IPv4-mapped IPv6, URI userinfo/IP hosts, wildcard DNS names); "
     "none is a name smimekit binds a From address to"},
};

/// "trusted" or "rejected: status (detail)".
inline std::string verdict_text(const ValidationResult& r) {
  if (r.trusted) return "trusted";
  return "rejected: " + std::string(status_name(r.status)) + " (" + r.detail + ")";
}

/// Runs VALIDATE, turning a thrown error (a certificate the case gives that smimekit cannot
/// parse) into a rejection: such a chain is never trusted.
inline void run_path_case(PathOutcome& o, const std::function<ValidationResult()>& validate) {
  try {
    const ValidationResult r = validate();
    o.trusted = r.trusted;
    o.ours = verdict_text(r);
  } catch (const std::exception& e) {
    o.trusted = false;
    o.ours = std::string("rejected: cannot load the case (") + e.what() + ")";
  }
}

/// Prints the table and the disagreements of SUITE and checks them against KNOWN (each
/// disagreement listed, nothing listed that agrees, every class one of
/// kPathDisagreementClasses) and PINS.
inline void check_suite(const std::string& suite, const std::vector<PathOutcome>& outcomes,
                        const std::vector<KnownPathDisagreement>& known, const SuitePins& pins) {
  const auto& classes = kPathDisagreementClasses;
  std::size_t applicable = 0, agree = 0, disagree = 0, weak_key_agree = 0;
  std::map<std::string, std::size_t> na_reasons;
  std::map<std::string, std::size_t> per_class;
  std::ostringstream lines;
  for (const PathOutcome& o : outcomes) {
    if (!o.applicable()) {
      ++na_reasons[o.not_applicable];
      continue;
    }
    ++applicable;
    const auto k = std::find_if(known.begin(), known.end(),
                                [&](const KnownPathDisagreement& d) { return o.name == d.name; });
    if (o.agrees()) {
      ++agree;
      if (!o.expected && o.ours.find("weak_key") != std::string::npos) ++weak_key_agree;
      EXPECT_EQ(k, known.end()) << suite << " " << o.name
                                << " is listed as a known disagreement but now agrees (" << o.ours
                                << "): remove it and update the pins and "
                                   "docs/conformance.md";
      continue;
    }
    ++disagree;
    const std::string cls = k == known.end() ? "UNEXPLAINED" : k->cls;
    ++per_class[cls];
    lines << "  " << o.name << ": ours " << o.ours << "; expected "
          << (o.expected ? "valid" : "invalid") << " (" << o.expected_text << ") [" << cls << "]\n";
    EXPECT_NE(k, known.end()) << suite << " " << o.name << ": unexplained disagreement: ours "
                              << o.ours << ", expected " << o.expected_text;
  }
  for (const auto& [cls, n] : per_class) {
    if (cls != "UNEXPLAINED") {
      EXPECT_TRUE(classes.count(cls)) << suite << ": disagreement class " << cls << " undefined";
    }
  }
  for (const KnownPathDisagreement& k : known) {
    const bool exists = std::any_of(outcomes.begin(), outcomes.end(),
                                    [&](const PathOutcome& o) { return o.name == k.name; });
    EXPECT_TRUE(exists) << suite << ": known disagreement " << k.name << " names no case";
  }

  std::ostringstream table;
  table << std::left << std::setw(22) << "suite" << std::right << std::setw(7) << "cases"
        << std::setw(12) << "applicable" << std::setw(7) << "agree" << std::setw(10) << "disagree"
        << "\n"
        << std::left << std::setw(22) << suite << std::right << std::setw(7) << outcomes.size()
        << std::setw(12) << applicable << std::setw(7) << agree << std::setw(10) << disagree
        << "\n";
  if (weak_key_agree > 0) {
    table << "  of the agreements, " << weak_key_agree
          << " invalid paths rejected first for a key below 110 bits (the suite's reason may "
             "hold too)\n";
  }
  for (const auto& [reason, n] : na_reasons) {
    table << "  not applicable (" << n << "): " << reason << "\n";
  }
  for (const auto& [cls, n] : per_class) {
    const auto c = classes.find(cls);
    table << "  class " << cls << " (" << n
          << "): " << (c == classes.end() ? "not explained" : c->second) << "\n";
  }
  std::cout << table.str() << lines.str();
  ::testing::Test::RecordProperty(
      suite + "_summary", std::to_string(outcomes.size()) + " cases, " +
                              std::to_string(applicable) + " applicable, " + std::to_string(agree) +
                              " agree, " + std::to_string(disagree) + " disagree");

  EXPECT_EQ(outcomes.size(), pins.cases) << suite << ": case count changed";
  EXPECT_EQ(applicable, pins.applicable) << suite << ": applicable count changed";
  EXPECT_EQ(agree, pins.agree) << suite
                               << ": agreement count changed (update the pin "
                                  "deliberately, with docs/conformance.md)";
  EXPECT_EQ(disagree, pins.disagree) << suite << ": disagreement count changed";
}

/// Every certificate of the PEM or DER file PATH (several for a chain file).
inline std::vector<Certificate> load_all(const std::filesystem::path& path) {
  return parse_certificates(test::read(path), path.string());
}

}  // namespace smimekit::conformance

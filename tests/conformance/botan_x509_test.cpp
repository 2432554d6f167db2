// Botan's X.509 path-validation suites (botan-x509/src/tests/data/x509, see the corpus'
// SOURCE.txt) through smimekit::PathValidator, the validator `smimekit verify` uses.
//
// Each sub-suite's expected.txt gives the result string Botan's own driver
// (src/tests/test_x509_path.cpp) gets; here only its verdict is compared: "Verified" (or a
// BSI "Warning: ...", which Botan reports beside a successful validation) means the path must
// validate, any other string that it must not. Inputs are read the way Botan's driver reads
// them (per suite below). PathValidator's own policy applies throughout: a 110-bit minimum key
// strength, SHA-1 only where Botan's driver allows it (its 80-bit restrictions do), MD5 never,
// and OpenSSL's X509_verify_cert as a second opinion on every path Botan accepts.
//
// Not applicable, by rule:
//   - an entry without an expected result (Botan's driver skips it);
//   - x509test entries that expect "Certificate does not match provided name" or "Certificate
//     does not allow the requested usage": Botan's driver validates for TLS server
//     "www.tls.test", a host name and a usage PathValidator does not check for mail;
//   - pss_certs entries that are a lone self-signed certificate or a PKCS#10 request: Botan's
//     driver checks one signature there, no certification path.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "conformance_util.h"
#include "path_suite.h"
#include "smimekit/trust.h"

namespace smimekit::conformance {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCorpus = "botan-x509";

fs::path data(const fs::path& root) {
  return root / "src" / "tests" / "data" / "x509";
}

/// NAME<delim>RESULT lines in file order; blank lines and '#' comments skipped.
std::vector<std::pair<std::string, std::string>> read_expected(const fs::path& file,
                                                               char delim = ':') {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(test::read(file));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto at = line.find(delim);
    if (at == std::string::npos) throw std::runtime_error(file.string() + ": bad line " + line);
    out.emplace_back(line.substr(0, at), line.substr(at + 1));
  }
  return out;
}

PathOutcome outcome_for(const std::string& name, const std::string& expected) {
  PathOutcome o;
  o.name = name;
  o.expected_text = expected;
  o.expected = expected == "Verified" || expected.rfind("Warning: ", 0) == 0;
  if (expected.empty()) o.not_applicable = "no expected result: Botan's own driver skips it";
  return o;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<Crl> crls_of(const fs::path& file) {
  return parse_crls(test::read(file), file.string());
}

ValidationResult validate(TrustPolicy policy, const Certificate& leaf,
                          const std::vector<Certificate>& extra) {
  return PathValidator(std::move(policy)).validate(leaf, extra);
}

// nist/: anchor root.crt with root.crl; testNN/end.crt the target, the other .crt untrusted,
// the .crl files CRLs; revocation data required for every certificate; 2018-04-01 09:30:33.
std::vector<PathOutcome> run_nist(const fs::path& x509) {
  const fs::path dir = x509 / "nist";
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt")) {
    PathOutcome o = outcome_for(name, expected);
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        TrustPolicy policy;
        policy.anchors = {load_cert(dir / "root.crt")};
        policy.crls = crls_of(dir / "root.crl");
        std::vector<Certificate> extra;
        for (const fs::path& f : files_in(dir / name)) {
          const std::string file = f.filename().string();
          if (ends_with(file, ".crl")) {
            for (auto& crl : crls_of(f)) policy.crls.push_back(std::move(crl));
          } else if (ends_with(file, ".crt") && file != "end.crt") {
            extra.push_back(load_cert(f));
          }
        }
        policy.validation_time = at("2018-04-01T09:30:33Z");
        policy.allow_sha1 = true;
        policy.require_revocation_data = true;
        return validate(std::move(policy), load_cert(dir / name / "end.crt"), extra);
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// x509test/: each .pem a chain, leaf first; anchor root.pem; 2016-10-21 04:20:00.
std::vector<PathOutcome> run_x509test(const fs::path& x509) {
  const fs::path dir = x509 / "x509test";
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt")) {
    PathOutcome o = outcome_for(name, expected);
    if (expected == "Certificate does not match provided name") {
      o.not_applicable = "TLS host name www.tls.test (Botan's driver asks for it)";
    } else if (expected == "Certificate does not allow the requested usage") {
      o.not_applicable = "TLS server usage (Botan's driver asks for it)";
    }
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        TrustPolicy policy;
        policy.anchors = {load_cert(dir / "root.pem")};
        policy.validation_time = at("2016-10-21T04:20:00Z");
        policy.allow_sha1 = true;
        auto chain = load_all(dir / name);
        if (chain.empty()) throw std::runtime_error("no certificate in " + name);
        const Certificate leaf = chain.front();
        chain.erase(chain.begin());
        return validate(std::move(policy), leaf, chain);
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// extended/: every .crt but end.crt is a trust anchor (Botan's driver puts them all in the
// trusted store); 2017-09-01 09:30:33.
std::vector<PathOutcome> run_extended(const fs::path& x509) {
  const fs::path dir = x509 / "extended";
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt")) {
    PathOutcome o = outcome_for(name, expected);
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        TrustPolicy policy;
        for (const fs::path& f : files_in(dir / name)) {
          const std::string file = f.filename().string();
          if (ends_with(file, ".crt") && file != "end.crt") policy.anchors.push_back(load_cert(f));
        }
        policy.validation_time = at("2017-09-01T09:30:33Z");
        return validate(std::move(policy), load_cert(dir / name / "end.crt"), {});
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// bsi/: in NAME/, files with "TA" are anchors, with "TC" the target, other .crt candidate
// intermediates; CRLs (and revocation required) only when NAME contains "CRL"; 2017-08-19
// 12:00:00. Botan's driver shuffles the intermediates 16 times; PathValidator builds the path
// itself, so they are given once, in name order.
std::vector<PathOutcome> run_bsi(const fs::path& x509) {
  const fs::path dir = x509 / "bsi";
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt", '$')) {
    PathOutcome o = outcome_for(name, expected);
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        const bool use_crl = name.find("CRL") != std::string::npos;
        TrustPolicy policy;
        std::optional<Certificate> target;
        std::vector<Certificate> extra;
        for (const fs::path& f : files_in(dir / name)) {
          const std::string file = f.filename().string();
          if (file.find("TA") != std::string::npos) {
            policy.anchors.push_back(load_cert(f));
          } else if (file.find("TC") != std::string::npos) {
            target = load_cert(f);
          } else if (file.find(".crt") != std::string::npos) {
            extra.push_back(load_cert(f));
          } else if (file.find(".crl") != std::string::npos && use_crl) {
            for (auto& crl : crls_of(f)) policy.crls.push_back(std::move(crl));
          }
        }
        if (!target) throw std::runtime_error("no TC certificate in " + name);
        policy.validation_time = at("2017-08-19T12:00:00Z");
        policy.allow_sha1 = true;
        policy.require_revocation_data = use_crl;
        return validate(std::move(policy), *target, extra);
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// name_constraints/: NAME.pem a chain, leaf first; anchor root.pem; 2027-01-01.
std::vector<PathOutcome> run_name_constraints(const fs::path& x509) {
  const fs::path dir = x509 / "name_constraints";
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt")) {
    PathOutcome o = outcome_for(name, expected);
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        TrustPolicy policy;
        policy.anchors = {load_cert(dir / "root.pem")};
        policy.validation_time = at("2027-01-01");
        auto chain = load_all(dir / (name + ".pem"));
        if (chain.empty()) throw std::runtime_error("no certificate in " + name);
        const Certificate leaf = chain.front();
        chain.erase(chain.begin());
        return validate(std::move(policy), leaf, chain);
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// path_building/: anchor root.pem, the level1_* / level2_* files a pool of intermediates,
// endNN.pem the targets; 2026-04-01 04:20:00.
std::vector<PathOutcome> run_path_building(const fs::path& x509) {
  const fs::path dir = x509 / "path_building";
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt")) {
    PathOutcome o = outcome_for(name, expected);
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        TrustPolicy policy;
        policy.anchors = {load_cert(dir / "root.pem")};
        policy.validation_time = at("2026-04-01T04:20:00Z");
        std::vector<Certificate> pool;
        for (const fs::path& f : files_in(dir)) {
          if (f.filename().string().rfind("level", 0) == 0) pool.push_back(load_cert(f));
        }
        return validate(std::move(policy), load_cert(dir / name), pool);
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// pss_certs/: NN/root.crt the anchor, NN/end.crt the target, an NN/*.crl a CRL for the target
// (revocation then required); Jan 1 of the year validation_times.txt gives; SHA-1 allowed.
std::vector<PathOutcome> run_pss(const fs::path& x509) {
  const fs::path dir = x509 / "pss_certs";
  std::map<std::string, std::string> years;
  for (const auto& [name, year] : read_expected(dir / "validation_times.txt")) years[name] = year;
  std::vector<PathOutcome> out;
  for (const auto& [name, expected] : read_expected(dir / "expected.txt")) {
    PathOutcome o = outcome_for(name, expected);
    const bool has_root = fs::exists(dir / name / "root.crt");
    const bool has_end = fs::exists(dir / name / "end.crt");
    if (!has_root || !has_end) {
      o.not_applicable =
          "a lone self-signed certificate or a PKCS#10 request: one signature, no path";
    }
    if (o.applicable()) {
      run_path_case(o, [&, name = name] {
        TrustPolicy policy;
        policy.anchors = {load_cert(dir / name / "root.crt")};
        for (const fs::path& f : files_in(dir / name)) {
          if (ends_with(f.filename().string(), ".crl")) {
            for (auto& crl : crls_of(f)) policy.crls.push_back(std::move(crl));
            policy.require_revocation_data = true;
          }
        }
        policy.validation_time = at(years.at(name) + "-01-01");
        policy.allow_sha1 = true;
        // 03/ and 04/ hold a second certificate after the target, which Botan's driver
        // does not read either.
        return validate(std::move(policy), load_first_cert(dir / name / "end.crt"), {});
      });
    }
    out.push_back(std::move(o));
  }
  return out;
}

// Every disagreement today, with its class (path_suite.h, docs/conformance.md).
const std::vector<KnownPathDisagreement> kKnownNist = {
    {"test01", "weak-key"}, {"test04", "weak-key"}, {"test07", "weak-key"}, {"test12", "weak-key"},
    {"test15", "weak-key"}, {"test16", "weak-key"}, {"test17", "weak-key"}, {"test18", "weak-key"},
    {"test24", "weak-key"}, {"test26", "weak-key"}, {"test27", "weak-key"}, {"test30", "weak-key"},
    {"test33", "weak-key"}, {"test34", "weak-key"}, {"test35", "weak-key"}, {"test36", "weak-key"},
    {"test37", "weak-key"}, {"test38", "weak-key"}, {"test39", "weak-key"}, {"test40", "weak-key"},
    {"test41", "weak-key"}, {"test42", "weak-key"}, {"test43", "weak-key"}, {"test44", "weak-key"},
    {"test48", "weak-key"}, {"test49", "weak-key"}, {"test50", "weak-key"}, {"test51", "weak-key"},
    {"test52", "weak-key"}, {"test53", "weak-key"}, {"test56", "weak-key"}, {"test57", "weak-key"},
    {"test62", "weak-key"}, {"test63", "weak-key"}, {"test67", "weak-key"}, {"test74", "weak-key"},
    {"test45", "weak-key"}, {"test46", "weak-key"}, {"test47", "weak-key"},
};
const std::vector<KnownPathDisagreement> kKnownX509test = {
    {"ValidAltName.pem", "weak-key"},  {"ValidCert.pem", "weak-key"},
    {"ValidChained.pem", "weak-key"},  {"ValidNameConstraint.pem", "weak-key"},
    {"ValidIntCALen.pem", "weak-key"}, {"ValidWildcard.pem", "weak-key"},
};
const std::vector<KnownPathDisagreement> kKnownExtended = {};
const std::vector<KnownPathDisagreement> kKnownBsi = {};
const std::vector<KnownPathDisagreement> kKnownNameConstraints = {
    {"different-name-type-constraints-compose-valid", "nc-botan2-stricter"},
    {"directory-name-case-space-valid-rfc5280", "nc-botan2-stricter"},
    {"directory-name-domain-component-case-valid", "nc-botan2-stricter"},
    {"dn-excluded-prefix-broken-by-rdn-reorder-valid", "nc-botan2-stricter"},
    {"dn-internal-whitespace-collapse-valid-rfc5280", "nc-botan2-stricter"},
    {"dn-multi-ava-rdn-set-non-canonical-order-invalid-rfc5280", "encoding-lenient"},
    {"dns-cn-fallback-cn-is-email-string-valid", "nc-botan2-stricter"},
    {"dns-constraint-ignored-for-cn-when-non-dns-san-present-valid", "nc-openssl-stricter"},
    {"dns-constraint-with-underscore-invalid", "encoding-lenient"},
    {"dns-double-dot-san-invalid", "encoding-lenient"},
    {"dns-empty-san-and-excluded-constraint-invalid", "encoding-lenient"},
    {"dns-empty-san-invalid", "encoding-lenient"},
    {"email-full-mailbox-valid", "nc-botan2-stricter"},
    {"email-host-case-insensitive-valid", "nc-botan2-stricter"},
    {"email-host-valid", "nc-botan2-stricter"},
    {"email-leading-dot-subdomain-valid", "nc-botan2-stricter"},
    {"email-permitted-same-localpart-different-domain-valid", "nc-botan2-stricter"},
    {"email-punycode-a-label-constraint-valid", "nc-botan2-stricter"},
    {"empty-dns-permitted-allows-anything-valid", "encoding-lenient"},
    {"empty-san-sequence-invalid", "encoding-lenient"},
    {"general-name-empty-context-tag-invalid", "encoding-lenient"},
    {"ip-mapped-v6-in-v4-excluded-invalid", "nc-exclusion-missed"},
    {"ip-mixed-v4-v6-intermediate-narrows-valid", "nc-form-unsupported"},
    {"ip-name-constraint-non-contiguous-mask-invalid", "encoding-lenient"},
    {"ipv4-mapped-ipv6-excl-does-not-affect-ipv4-valid", "nc-form-unsupported"},
    {"ipv4-name-constraint-non-canonical-cidr-valid", "nc-botan2-stricter"},
    {"ipv4-name-constraint-noncontiguous-mask-invalid", "encoding-lenient"},
    {"ipv6-catch-all-exclude-does-not-block-ipv4-valid", "nc-form-unsupported"},
    {"ipv6-excluded-outside-valid", "nc-form-unsupported"},
    {"ipv6-permitted-valid", "nc-form-unsupported"},
    {"othername-msupn-constraint-no-upn-san-valid", "nc-form-unsupported"},
    {"othername-san-with-noncritical-unknown-constraint-invalid", "nc-openssl-stricter"},
    {"policy-invalid-leaf-extension-invalid", "encoding-lenient"},
    {"san-rfc822-and-smtputf8-both-permitted-valid", "nc-botan2-stricter"},
    {"self-issued-rollover-skips-name-check-valid", "nc-self-issued"},
    {"smtp-utf8-rfc822-host-permit-valid", "nc-smtputf8-conservative"},
    {"smtp-utf8-san-excluded-mailbox-diff-domain-valid", "nc-smtputf8-conservative"},
    {"smtp-utf8-utf8-localpart-permit-valid", "nc-smtputf8-conservative"},
    {"smtp-utf8-alabel-domain-permit-valid", "nc-openssl-stricter"},
    {"smtp-utf8-rfc822-subtree-permit-valid", "nc-openssl-stricter"},
    {"subject-email-ignored-when-san-present-valid", "nc-botan2-stricter"},
    {"uri-excluded-ip-host-invalid", "nc-exclusion-missed"},
    {"uri-host-case-insensitive-valid", "nc-botan2-stricter"},
    {"uri-idn-a-label-valid", "nc-botan2-stricter"},
    {"uri-leading-dot-subdomain-valid", "nc-botan2-stricter"},
    {"uri-permitted-subtree-deep-valid", "nc-botan2-stricter"},
    {"uri-permitted-with-path-query-fragment-valid", "nc-botan2-stricter"},
    {"uri-port-in-san-ignored-valid", "nc-botan2-stricter"},
    {"uri-userinfo-excluded-invalid", "nc-exclusion-missed"},
    {"uri-userinfo-valid", "nc-botan2-stricter"},
    {"wildcard-excluded-case-insensitive-invalid", "nc-exclusion-missed"},
    {"wildcard-excluded-far-outer-valid", "encoding-lenient"},
    {"wildcard-excluded-parent-invalid", "nc-exclusion-missed"},
    {"wildcard-middle-label-san-invalid", "encoding-lenient"},
    {"wildcard-multi-label-san-invalid", "encoding-lenient"},
};
const std::vector<KnownPathDisagreement> kKnownPathBuilding = {
    {"end02.pem", "openssl-path-building"}, {"end03.pem", "openssl-path-building"},
    {"end04.pem", "openssl-path-building"}, {"end05.pem", "openssl-path-building"},
    {"end06.pem", "openssl-path-building"}, {"end07.pem", "openssl-path-building"},
};
const std::vector<KnownPathDisagreement> kKnownPss = {
    {"100", "weak-key"}, {"101", "weak-key"}, {"102", "weak-key"}, {"103", "weak-key"},
    {"104", "weak-key"}, {"105", "weak-key"}, {"106", "weak-key"}, {"108", "weak-key"},
    {"110", "weak-key"}, {"111", "weak-key"}, {"112", "weak-key"}, {"113", "weak-key"},
};

TEST(conformance_botan_x509, Nist) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/nist", run_nist(data(root)), kKnownNist, SuitePins{76, 76, 37, 39});
}

TEST(conformance_botan_x509, X509test) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/x509test", run_x509test(data(root)), kKnownX509test, SuitePins{37, 27, 21, 6});
}

TEST(conformance_botan_x509, Extended) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/extended", run_extended(data(root)), kKnownExtended, SuitePins{3, 3, 3, 0});
}

TEST(conformance_botan_x509, Bsi) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/bsi", run_bsi(data(root)), kKnownBsi, SuitePins{54, 54, 54, 0});
}

TEST(conformance_botan_x509, NameConstraints) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/name_constraints", run_name_constraints(data(root)), kKnownNameConstraints,
              SuitePins{299, 299, 244, 55});
}

TEST(conformance_botan_x509, PathBuilding) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/path_building", run_path_building(data(root)), kKnownPathBuilding,
              SuitePins{7, 7, 1, 6});
}

TEST(conformance_botan_x509, Pss) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  check_suite("botan/pss_certs", run_pss(data(root)), kKnownPss, SuitePins{118, 97, 85, 12});
}

}  // namespace
}  // namespace smimekit::conformance

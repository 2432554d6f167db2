// x509-limbo (snapshot-2023-12-02/limbo.json, 135 cases; see the corpus' SOURCE.txt) through
// smimekit::PathValidator, the validator `smimekit verify` uses.
//
// Every case of this edition is a SERVER case with a DNS or IP peer name. PathValidator does
// RFC 5280 path validation for mail: it checks no peer name (mail binds the From address to
// the signer certificate separately, RFC 8550 §3) and no TLS extended key usage. So a case is
// run when its expected result is decided by RFC 5280 path validation, and is counted "not
// applicable" by one of these rules, checked in this order:
//   1. id in the webpki:: namespace: the CA/Browser Forum TLS Baseline Requirements profile
//      and RFC 6125 host-name matching, which are rules for TLS server certificates only;
//   2. extended_key_usage asks for serverAuth: a TLS server usage (mail asks emailProtection,
//      checked outside PathValidator by check_signing_usage);
//   3. the feature "max-chain-depth": a verifier input PathValidator does not take.
// The peer name of the cases that are run is ignored: none of them fails through the name
// alone (the name-constraint cases fail through the constraint, which PathValidator checks;
// the five name-constraint-dn cases name a host their directoryName-only leaf lacks, and
// their SUCCESS sibling permitted-dn-match shows the name is not what they test).
// key_usage / signature_algorithms are unset in every case that is run.
// Validation time: the case's, or the snapshot date 2023-12-02 when it has none (limbo's
// generated certificates are valid 1970..2969, so "now" and that date give the same answer).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "conformance_util.h"
#include "path_suite.h"
#include "smimekit/trust.h"

namespace smimekit::conformance {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCorpus = "x509-limbo";
constexpr const char* kLimbo = "snapshot-2023-12-02/limbo.json";
constexpr const char* kDefaultTime = "2023-12-02";

std::string not_applicable(const json& c) {
  const auto id = c.at("id").get<std::string>();
  if (id.rfind("webpki::", 0) == 0) {
    return "webpki:: namespace: CA/B Forum TLS profile and RFC 6125 host-name matching";
  }
  const json& eku = c.at("extended_key_usage");
  if (eku.is_array()) {
    for (const auto& e : eku) {
      if (e.get<std::string>() == "serverAuth") return "requires the serverAuth EKU (TLS server)";
    }
  }
  const json& features = c.at("features");
  if (features.is_array()) {
    for (const auto& f : features) {
      if (f.get<std::string>() == "max-chain-depth") {
        return "feature max-chain-depth: an input PathValidator does not take";
      }
    }
  }
  return {};
}

std::vector<Certificate> pems(const json& list, const std::string& origin) {
  std::vector<Certificate> out;
  for (const auto& p : list) {
    for (auto& c : parse_certificates(p.get<std::string>(), origin)) out.push_back(std::move(c));
  }
  return out;
}

std::vector<PathOutcome> run_limbo(const fs::path& root) {
  const json limbo = json::parse(test::read(root / kLimbo));
  std::vector<PathOutcome> outcomes;
  for (const json& c : limbo.at("testcases")) {
    PathOutcome o;
    o.name = c.at("id").get<std::string>();
    o.expected_text = c.at("expected_result").get<std::string>();
    o.expected = o.expected_text == "SUCCESS";
    o.not_applicable = not_applicable(c);
    if (o.applicable()) {
      run_path_case(o, [&] {
        TrustPolicy policy;
        policy.anchors = pems(c.at("trusted_certs"), o.name + " trusted_certs");
        const json& t = c.at("validation_time");
        policy.validation_time = at(t.is_null() ? kDefaultTime : t.get<std::string>());
        const auto extra = pems(c.at("untrusted_intermediates"), o.name + " intermediates");
        const auto leaf = parse_certificates(c.at("peer_certificate").get<std::string>(),
                                             o.name + " peer_certificate");
        if (leaf.size() != 1) throw std::runtime_error("peer_certificate is not one certificate");
        return PathValidator(std::move(policy)).validate(leaf.front(), extra);
      });
    }
    outcomes.push_back(std::move(o));
  }
  return outcomes;
}

// Every disagreement today, with its class (path_suite.h, docs/conformance.md).
const std::vector<KnownPathDisagreement> kKnown = {
    {"rfc5280::aki::leaf-missing-aki", "issuer-profile"},
    {"rfc5280::aki::intermediate-missing-aki", "issuer-profile"},
    {"rfc5280::nc::permitted-dns-match-noncritical", "issuer-profile"},
    {"rfc5280::nc::permitted-ipv6-match", "nc-form-unsupported"},
    {"rfc5280::nc::permitted-self-issued", "nc-self-issued"},
    {"rfc5280::san::noncritical-with-empty-subject", "issuer-profile"},
    {"rfc5280::serial::too-long", "issuer-profile"},
    {"rfc5280::serial::zero", "issuer-profile"},
    {"rfc5280::ski::root-missing-ski", "issuer-profile"},
    {"rfc5280::ski::intermediate-missing-ski", "issuer-profile"},
    {"rfc5280::root-non-critical-basic-constraints", "issuer-profile"},
};

TEST(conformance_limbo, Table) {
  SMIMEKIT_REQUIRE_CORPUS(root, kCorpus);
  const auto outcomes = run_limbo(root);
  check_suite("x509-limbo", outcomes, kKnown, SuitePins{135, 94, 83, 11});
}

}  // namespace
}  // namespace smimekit::conformance

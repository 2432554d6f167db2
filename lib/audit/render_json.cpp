// The audit for machines: one JSON document, described in docs/man/smimekit-audit.1.md.
#include <nlohmann/json.hpp>

#include "smimekit/audit.h"
#include "smimekit/time.h"

namespace smimekit {

namespace {

using nlohmann::json;

json findings_json(const std::vector<Finding>& findings) {
  json out = json::array();
  for (const auto& f : findings) {
    out.push_back({{"severity", severity_name(f.severity)}, {"code", f.code}, {"text", f.text}});
  }
  return out;
}

json certificate_json(const Certificate& cert) {
  return {{"subject", cert.subject()},
          {"issuer", cert.issuer()},
          {"serial", cert.serial_hex()},
          {"fingerprint_sha256", cert.fingerprint_sha256()},
          {"emails", cert.email_addresses()},
          {"not_before", format_time(cert.not_before())},
          {"not_after", format_time(cert.not_after())},
          {"key", cert.key_description()},
          {"signature_algorithm", cert.signature_algorithm()}};
}

}  // namespace

std::string render_audit_json(const AuditReport& report) {
  json entities = json::array();
  for (const auto& entity : report.entities) {
    json chains = json::array();
    for (const auto& chain : entity.chains) {
      json certs = json::array();
      for (const auto& link : chain.links) {
        json c = certificate_json(link.certificate);
        c["role"] = role_name(link.role);
        c["verdict"] = severity_name(link.verdict());
        c["revocation"] = {{"crl", revocation_state_name(link.revocation.crl)},
                           {"ocsp", revocation_state_name(link.revocation.ocsp)}};
        c["findings"] = findings_json(link.findings);
        certs.push_back(std::move(c));
      }
      chains.push_back(
          {{"verdict", severity_name(chain.verdict())},
           {"trusted", chain.trusted},
           {"reaches_anchor", chain.reaches_anchor},
           {"detail", chain.detail},
           {"openssl", {{"trusted", chain.openssl_trusted}, {"detail", chain.openssl_detail}}},
           {"findings", findings_json(chain.findings)},
           {"certificates", std::move(certs)}});
    }
    json e = certificate_json(entity.certificate);
    e["verdict"] = severity_name(entity.verdict());
    e["findings"] = findings_json(entity.findings);
    e["chains"] = std::move(chains);
    entities.push_back(std::move(e));
  }
  const json doc = {{"time", format_time(report.time)},
                    {"warn_days", report.warn_days},
                    {"errors", report.has_errors()},
                    {"entities", std::move(entities)}};
  // Certificate fields are attacker-controlled bytes: replace invalid UTF-8, never throw.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace smimekit

// The audit for people: each chain as an indented tree, anchor at the top, one verdict per
// certificate line and the findings below it.
#include <fmt/format.h>

#include "smimekit/audit.h"
#include "smimekit/time.h"

namespace smimekit {

namespace {

std::string_view verdict_word(Severity s) {
  switch (s) {
    case Severity::Info:
      return "OK";
    case Severity::Warning:
      return "WARNING";
    case Severity::Error:
      return "ERROR";
  }
  return "ERROR";
}

void finding_lines(std::string& out, const std::vector<Finding>& findings, std::size_t indent) {
  for (const auto& f : findings) {
    out += fmt::format("{:{}}{:<8} {}\n", "", indent, fmt::format("{}:", severity_name(f.severity)),
                       f.text);
  }
}

std::string title(const Certificate& cert) {
  const auto& emails = cert.email_addresses();
  return emails.empty() ? cert.display_name()
                        : fmt::format("{} <{}>", cert.display_name(), emails.front());
}

}  // namespace

std::string render_audit_text(const AuditReport& report) {
  std::string out = fmt::format("smimekit audit as of {} (expiry warnings within {} days)\n",
                                format_time(report.time), report.warn_days);
  if (report.entities.empty()) out += "\nnothing to audit: no end-entity certificate was found\n";
  for (const auto& entity : report.entities) {
    out += fmt::format("\n{}: {}\n", title(entity.certificate), verdict_word(entity.verdict()));
    finding_lines(out, entity.findings, 2);
    std::size_t n = 0;
    for (const auto& chain : entity.chains) {
      out += fmt::format("  chain {} of {}: {}\n", ++n, entity.chains.size(),
                         verdict_word(chain.verdict()));
      finding_lines(out, chain.findings, 4);
      // Anchor at the top, the end entity at the bottom, each a step further in.
      std::size_t depth = 0;
      for (auto it = chain.links.rbegin(); it != chain.links.rend(); ++it, ++depth) {
        const CertificateAudit& link = *it;
        const std::size_t indent = 4 + 3 * depth;
        out += fmt::format("  {:<7} {:{}}{}{} [{}]\n", verdict_word(link.verdict()), "", indent - 2,
                           depth == 0 ? "" : "`- ", link.certificate.display_name(),
                           role_words(link.role));
        const std::size_t detail = 10 + indent + (depth == 0 ? 0 : 3);
        out += fmt::format("{:{}}subject {}\n", "", detail, link.certificate.subject());
        out += fmt::format("{:{}}issuer  {}\n", "", detail, link.certificate.issuer());
        out += fmt::format("{:{}}serial  {}\n", "", detail, link.certificate.serial_hex());
        finding_lines(out, link.findings, detail);
      }
    }
  }
  return out;
}

}  // namespace smimekit

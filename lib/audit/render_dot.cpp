// The audit as a picture: a Graphviz digraph of the hierarchy, and SVG drawn from it by `dot`.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "smimekit/audit.h"
#include "smimekit/error.h"
#include "smimekit/files.h"
#include "smimekit/time.h"

extern char** environ;

namespace smimekit {

namespace {

struct Look {
  const char* fill;
  const char* line;
};

Look look(Severity s) {
  switch (s) {
    case Severity::Info:
      return {"#c8e6c9", "#2e7d32"};
    case Severity::Warning:
      return {"#ffe0b2", "#e65100"};
    case Severity::Error:
      return {"#ffcdd2", "#b71c1c"};
  }
  return {"#ffcdd2", "#b71c1c"};
}

// Text inside a DOT string literal: certificate names are untrusted text.
std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string dot_string(std::string_view text) {
  return "\"" + escaped(text) + "\"";
}

// A multi-line label: each line escaped, joined by DOT's own line break.
std::string label_of(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (std::size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? "" : "\\n") + escaped(lines[i]);
  return out + "\"";
}

std::string node_id(const Certificate& cert) {
  return "c" + cert.fingerprint_sha256().substr(0, 16);
}

// Words on the node for what matters most, so a glance needs no colour vision.
void add_marks(const std::vector<Finding>& findings, std::set<std::string>& marks) {
  static const std::map<std::string, std::string> words{
      {"cert_expired", "EXPIRED"},
      {"cert_not_yet_valid", "NOT YET VALID"},
      {"revoked", "REVOKED"},
      {"ocsp_revoked", "REVOKED"},
      {"cert_expiring", "EXPIRES SOON"},
      {"rsa_key_too_short", "WEAK KEY"},
      {"curve_too_small", "WEAK KEY"},
      {"weak_key", "WEAK KEY"},
      {"sha1_signature", "SHA-1"},
      {"md5_signature", "MD5"},
      {"no_chain_to_anchor", "NOT TRUSTED"},
      {"eku_forbids_email", "NOT FOR MAIL"},
      {"usage_unfit_for_mail", "NOT FOR MAIL"},
      {"validators_disagree", "VALIDATORS DISAGREE"},
  };
  for (const auto& f : findings) {
    if (auto it = words.find(f.code); it != words.end()) marks.insert(it->second);
  }
}

struct Node {
  Certificate cert;
  Role role;
  Severity verdict = Severity::Info;
  std::set<std::string> marks;
};

}  // namespace

std::string render_audit_dot(const AuditReport& report) {
  std::map<std::string, Node> nodes;  // by fingerprint: a certificate shared by chains, once
  std::vector<std::string> order;
  std::set<std::pair<std::string, std::string>> edges;
  auto node_for = [&](const CertificateAudit& link) -> Node& {
    const std::string& key = link.certificate.fingerprint_sha256();
    auto [it, fresh] =
        nodes.try_emplace(key, Node{link.certificate, link.role, Severity::Info, {}});
    if (fresh) order.push_back(key);
    // An anchor stays drawn as one even where a chain passes through it as intermediate.
    if (link.role == Role::Anchor) it->second.role = Role::Anchor;
    return it->second;
  };
  for (const auto& entity : report.entities) {
    for (const auto& chain : entity.chains) {
      for (std::size_t i = 0; i < chain.links.size(); ++i) {
        Node& n = node_for(chain.links[i]);
        n.verdict = std::max(n.verdict, chain.links[i].verdict());
        add_marks(chain.links[i].findings, n.marks);
        if (i + 1 < chain.links.size()) {
          edges.insert(
              {node_id(chain.links[i + 1].certificate), node_id(chain.links[i].certificate)});
        }
      }
      for (const auto& f : chain.findings) {
        if (f.code == "validators_disagree" && !chain.links.empty()) {
          node_for(chain.links.front()).marks.insert("VALIDATORS DISAGREE");
        }
      }
    }
    // The end entity's colour is its own verdict and that of getting to an anchor.
    CertificateAudit leaf{entity.certificate, Role::EndEntity, {}, entity.findings};
    Node& n = node_for(leaf);
    n.verdict = std::max(n.verdict, entity.verdict());
    add_marks(entity.findings, n.marks);
  }

  std::string out = "digraph audit {\n";
  out += "  graph [rankdir=TB, fontname=\"Helvetica\", label=" +
         dot_string(fmt::format("smimekit audit as of {}", format_time(report.time))) +
         ", labelloc=t];\n";
  out += "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [color=\"#555555\"];\n";
  for (const auto& key : order) {
    const Node& n = nodes.at(key);
    std::vector<std::string> lines{n.cert.display_name(), std::string(role_words(n.role))};
    if (!n.cert.email_addresses().empty()) lines.push_back(n.cert.email_addresses().front());
    lines.push_back(n.cert.key_description() + ", until " +
                    format_time(n.cert.not_after()).substr(0, 10));
    lines.insert(lines.end(), n.marks.begin(), n.marks.end());
    const Look l = look(n.verdict);
    out += fmt::format("  {} [label={}, fillcolor=\"{}\", color=\"{}\"{}{}];\n", node_id(n.cert),
                       label_of(lines), l.fill, l.line,
                       n.role == Role::Anchor ? ", peripheries=2" : "",
                       n.verdict == Severity::Error ? ", penwidth=2" : "");
  }
  for (const auto& [from, to] : edges) out += fmt::format("  {} -> {};\n", from, to);
  out += "  subgraph cluster_legend {\n    label=\"legend\"; fontsize=10; color=\"#999999\";\n";
  for (Severity s : {Severity::Info, Severity::Warning, Severity::Error}) {
    const Look l = look(s);
    const char* words = s == Severity::Info      ? "ok"
                        : s == Severity::Warning ? "warning: look at it"
                                                 : "error: not usable / not trusted";
    out += fmt::format("    legend_{} [label=\"{}\", fillcolor=\"{}\", color=\"{}\"];\n",
                       severity_name(s), words, l.fill, l.line);
  }
  out += "    legend_anchor [label=\"trust anchor\", fillcolor=\"#ffffff\", peripheries=2];\n";
  out += "    legend_info -> legend_warning -> legend_error -> legend_anchor [style=invis];\n  }\n";
  out += "}\n";
  return out;
}

std::string render_audit_svg(const AuditReport& report) {
  const std::string dot = render_audit_dot(report);
  std::string pattern = (std::filesystem::temp_directory_path() / "smimekit-audit-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(ErrorCode::Io, fmt::format("cannot create a temporary directory for Graphviz: {}",
                                           std::strerror(errno)));
  }
  const std::filesystem::path dir = pattern;
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string in = (dir / "audit.dot").string(), out = (dir / "audit.svg").string(),
                    err = (dir / "dot.err").string();
  write_file_atomic(in, dot);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  char arg0[] = "dot", arg1[] = "-Tsvg";
  char* argv[] = {arg0, arg1, nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    if (spawned == ENOENT) {
      throw Error(ErrorCode::Unsupported,
                  "cannot draw SVG: Graphviz's 'dot' is not installed (apt-get install graphviz), "
                  "or use --format dot and draw it elsewhere");
    }
    throw Error(ErrorCode::Internal,
                fmt::format("cannot run Graphviz's 'dot': {}", std::strerror(spawned)));
  }
  // A store of thousands of certificates takes dot seconds; a minute means something is wrong.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      throw Error(ErrorCode::Internal,
                  fmt::format("lost Graphviz's 'dot': {}", std::strerror(errno)));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw Error(ErrorCode::Internal,
                  "Graphviz's 'dot' took longer than 120 s and was stopped; "
                  "use --format dot and draw it with other settings");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = read_file(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    throw Error(ErrorCode::Internal, fmt::format("Graphviz's 'dot' failed to draw the audit: {}",
                                                 why.empty() ? "no message" : why));
  }
  return read_file(out);
}

}  // namespace smimekit

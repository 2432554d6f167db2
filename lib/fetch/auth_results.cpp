// smimekit — the Authentication-Results field of a fetched message: RFC 8601's header field
// with the "smime" method of RFC 7281.
//
//   Authentication-Results: mx.example.org; smime=pass body.smime-identifier=alice@example.org
//       body.smime-part=TEXT body.smime-serial=1f... body.smime-issuer="CN=..., O=..."
//       body.smime-certificate-sha256=4f0c...
//
// (one line; folded here only for reading). How the Report maps to results:
//
//   Valid     one "pass" per signer whose signature covers the whole content (inside the
//             innermost encryption: a signature over the ciphertext says nothing about the
//             content, see decide() in lib/mail/open.cpp)
//   Invalid   never "pass". Per signer: "fail" when the signature, the certificate chain, its
//             dates or revocation fail; "neutral" when the signature could not be processed
//             (unreadable, unknown digest, certificate missing); "policy" when only the
//             algorithm and address rules of RFC 8550/8551 fail, or when the signer itself is
//             fine but the message is not (only part of it signed, another signer failed).
//             These are the meanings RFC 7281 §3.1 gives the results, after RFC 8601 §2.7.1.
//             "pass" beside "fail" would let a reader that takes any pass (SpamAssassin's
//             AuthRes plugin does) trust a message smimekit calls invalid.
//   Unsigned  "none"
//   Error     "permerror" (the message could not be read at all; trying again cannot help)
//
// Everything written comes from the message or a certificate in it, so every value is
// reduced to what the grammar allows (RFC 8601 §2.2, values as RFC 2045 tokens or RFC 5322
// quoted-strings, comments as RFC 5322 ctext): printable ASCII only, so no CR or LF can start
// a header line of the message's choosing. Beyond the grammar:
//   - the only ';' in the field are the separators written here, so that even a reader that
//     splits at ';' without honouring quotes finds no result the message wrote;
//   - no value the message chose contains "smime=", so that a filter that searches the line
//     for "smime=pass" is not fooled by a certificate named "CN=smime=pass";
//   - identities (the signer's address, the issuer) are written exactly or not at all: a
//     changed address could name somebody else.
// The field stays within RFC 5322 §2.1.1's 998 octets: whole results and properties are left
// out, the least important first, and a comment says how many results were.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "smimekit/fetch.h"

namespace smimekit {

namespace {

constexpr std::size_t kMaxField = 998;  // RFC 5322 §2.1.1, without the CRLF
constexpr std::string_view kFieldName = "Authentication-Results: ";
// Not one of RFC 7281's properties, which name the certificate by issuer and serial only:
// the SHA-256 of the signer certificate (fingerprint_sha256 in `smimekit verify --json`).
// It keeps to RFC 8601's grammar (a property is a Keyword, §2.2: no '.') and sits beside
// RFC 7281's own properties under the "body" ptype, so strict parsers read the whole field.
constexpr std::string_view kFingerprintProperty = "body.smime-certificate-sha256";
constexpr std::size_t kMaxReason = 160;
constexpr std::size_t kMaxAuthservId = 255;
constexpr std::size_t kMaxIdentity = 256;

// ---------------------------------------------------------------------------------------
// Characters

bool is_printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u <= 0x7e;
}

// RFC 2045 §5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_printable(c) && c != ' ' && std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr;
  });
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Where S says "smime" then '=' (spaces between allowed, any case): the position of the '='.
std::vector<std::size_t> smime_equals(std::string_view s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i + 5 <= s.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < 5 && match; ++k) {
      match = std::tolower(static_cast<unsigned char>(s[i + k])) == "smime"[k];
    }
    if (!match) continue;
    std::size_t j = i + 5;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j < s.size() && s[j] == '=') out.push_back(j);
  }
  return out;
}

// RFC 5322 §3.2.4 quoted-string of printable ASCII S: '"' and '\' become quoted-pairs.
std::string quoted_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Text for people (a reason, a comment), reduced to printable ASCII on one line.
std::string free_text(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    char next = c;
    if (u >= 0x80) {
      next = '?';
    } else if (!is_printable(c)) {
      next = ' ';
    } else if (c == ';') {
      next = ',';
    }
    if (next == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += next;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (std::size_t at : smime_equals(out)) out[at] = ':';
  if (out.size() > max) {
    out.resize(max - 3);
    out += "...";
  }
  return out;
}

// RFC 5322 §3.2.2 comment: ctext excludes '(', ')' and '\'.
std::string comment(std::string_view s) {
  std::string text = free_text(s, kMaxReason);
  for (char& c : text) {
    if (c == '(') c = '[';
    if (c == ')') c = ']';
    if (c == '\\') c = '/';
  }
  return "(" + text + ")";
}

// RFC 8601 §2.2: reasonspec = "reason" [CFWS] "=" [CFWS] value
std::string reasonspec(std::string_view reason) {
  return "reason=" + quoted_string(free_text(reason, kMaxReason));
}

// A value that names something (an issuer, a part): RFC 2045's value, written exactly, or
// nothing when it cannot be written exactly and safely.
std::optional<std::string> exact_value(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdentity || !smime_equals(s).empty()) return std::nullopt;
  if (is_token(s)) return std::string(s);
  if (std::all_of(s.begin(), s.end(), is_printable) && s.find(';') == std::string_view::npos) {
    return quoted_string(s);
  }
  return std::nullopt;
}

// RFC 6376 §3.5 (via RFC 8601 §2.2) domain-name: sub-domain 1*("." sub-domain), each
// sub-domain Let-dig [Ldh-str] (RFC 5321 §4.1.2).
bool is_domain_name(std::string_view s) {
  std::size_t labels = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
      return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

// The signer's address: bare as RFC 8601's pvalue allows ([local-part "@"] domain-name)
// when it is a plain one, else as an exact value.
std::optional<std::string> address_value(std::string_view s) {
  const auto at = s.rfind('@');
  if (at != std::string_view::npos && at > 0 && s.size() <= kMaxIdentity) {
    const std::string_view local = s.substr(0, at);
    const bool plain_local = local.front() != '.' && local.back() != '.' &&
                             local.find("..") == std::string_view::npos &&
                             std::all_of(local.begin(), local.end(), [](char c) {
                               return is_alnum(c) || c == '.' || c == '_' || c == '+' || c == '-';
                             });
    if (plain_local && is_domain_name(s.substr(at + 1))) return std::string(s);
  }
  return exact_value(s);
}

std::string authserv_value(std::string_view id) {
  // RFC 8601 §2.5: the authserv-id names the host or domain that did the checks. Bytes that
  // cannot be in a host name are dropped; what remains is written as a value.
  std::string clean;
  for (char c : id) {
    if (is_printable(c)) clean += c;
  }
  const auto first = clean.find_first_not_of(' ');
  clean = first == std::string::npos ? ""
                                     : clean.substr(first, clean.find_last_not_of(' ') + 1 - first);
  if (clean.empty()) {
    // fetch.h: an empty authserv-id means this host's name.
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0) {
      for (char c : std::string_view(host.data())) {
        if (is_printable(c) && c != ' ') clean += c;
      }
    }
    if (clean.empty()) clean = "localhost";
  }
  if (clean.size() > kMaxAuthservId) clean.resize(kMaxAuthservId);
  if (is_token(clean)) return clean;
  return quoted_string(free_text(clean, kMaxAuthservId));
}

// ---------------------------------------------------------------------------------------
// The layers that speak for the message

bool is_encrypted(const Layer& layer) {
  return layer.kind != LayerKind::Signed;
}

bool has_signature(const Layer& layer) {
  return layer.kind == LayerKind::Signed && (!layer.signers.empty() || !layer.error.empty());
}

void collect(const std::vector<Layer>& layers, std::vector<const Layer*>& out) {
  for (const auto& layer : layers) {
    out.push_back(&layer);
    collect(layer.children, out);
  }
}

// Signed layers over the whole content: those inside the innermost encryption.
std::vector<const Layer*> whole_signed(const std::vector<const Layer*>& chain) {
  std::size_t first = 0;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (is_encrypted(*chain[i])) first = i + 1;
  }
  std::vector<const Layer*> out;
  for (std::size_t i = first; i < chain.size(); ++i) {
    if (has_signature(*chain[i])) out.push_back(chain[i]);
  }
  return out;
}

// "(decrypted: aes-256-gcm, authenticated)" and the like; empty for a message never encrypted.
std::string encryption_note(const Report& report, const std::vector<const Layer*>& chain) {
  std::vector<std::string> parts;
  if (report.encrypted) {
    std::string ciphers;
    bool legacy = false;
    for (const Layer* layer : chain) {
      if (!is_encrypted(*layer) || !layer->decrypted) continue;
      if (!layer->cipher.empty()) ciphers += (ciphers.empty() ? "" : "/") + layer->cipher;
      legacy = legacy || layer->legacy_cipher;
    }
    parts.push_back(ciphers.empty() ? "decrypted" : "decrypted: " + ciphers);
    if (legacy) parts.emplace_back("legacy cipher");
    parts.emplace_back(report.authenticated_encryption.value_or(false) ? "authenticated"
                                                                       : "not authenticated");
  } else if (std::any_of(chain.begin(), chain.end(),
                         [](const Layer* l) { return is_encrypted(*l); })) {
    parts.emplace_back("encrypted, not decrypted");
  }
  if (report.partially_encrypted) parts.emplace_back("an encrypted part was not decrypted");
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : ", ") + p;
  return text.empty() ? text : comment(text);
}

// ---------------------------------------------------------------------------------------
// Results

// What goes into a result beside "smime=RESULT". RANK says what is left out first when the
// field would grow too long (higher first); the order of the list is the order written.
struct Extra {
  int rank = 0;
  std::string text;
};

struct ResInfo {
  std::string_view result;
  std::vector<Extra> extras;
};

bool is_processing_failure(Status s) {
  return s == Status::SignatureUnreadable || s == Status::DigestAlgorithmUnsupported ||
         s == Status::SignerCertificateMissing;
}

// The 1000 band of status.h: algorithms and the S/MIME rules of RFC 8550/8551.
bool is_policy(Status s) {
  return static_cast<int>(s) >= 1000 && static_cast<int>(s) < 2000;
}

std::string part_value(const Layer& layer) {
  // RFC 7281 names the part as IMAP does (RFC 3501 §6.4.5): "TEXT" for the body of the
  // message itself, "2" or "2.1" for the parts of a multipart.
  if (layer.part.empty()) return "TEXT";
  return exact_value(layer.part).value_or("");
}

// The signer's address: the one the From field names, when the certificate has it.
std::string identifier(const Certificate& cert, const std::vector<std::string>& from) {
  const auto& emails = cert.email_addresses();
  const auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  for (const auto& e : emails) {
    for (const auto& f : from) {
      if (same(e, f)) return e;
    }
  }
  return emails.empty() ? std::string() : emails.front();
}

// RFC 7281 §3.2's properties of one signer, and the certificate's SHA-256.
void add_signer_properties(ResInfo& info, const SignerReport& signer, const Layer& layer,
                           const Report& report) {
  if (signer.certificate) {
    const Certificate& cert = *signer.certificate;
    const std::string address = identifier(cert, report.from);
    if (!address.empty()) {
      if (const auto value = address_value(address)) {
        info.extras.push_back({0, "body.smime-identifier=" + *value});
      } else {
        info.extras.push_back({0,
                               "(the signer's address is not written: it holds characters "
                               "an Authentication-Results value cannot carry safely)"});
      }
    }
  }
  if (const std::string part = part_value(layer); !part.empty()) {
    info.extras.push_back({1, "body.smime-part=" + part});
  }
  if (signer.certificate) {
    const Certificate& cert = *signer.certificate;
    // RFC 7281 §3.2: smime-serial and smime-issuer come together or not at all.
    const auto issuer = exact_value(cert.issuer());
    if (is_token(cert.serial_hex()) && issuer) {
      info.extras.push_back({2, fmt::format("body.smime-serial={} body.smime-issuer={}",
                                            cert.serial_hex(), *issuer)});
    }
    if (is_token(cert.fingerprint_sha256())) {
      info.extras.push_back(
          {0, fmt::format("{}={}", kFingerprintProperty, cert.fingerprint_sha256())});
    }
  }
}

ResInfo judge(const SignerReport& signer, const Layer& layer, const Report& report) {
  const std::vector<Status> problems = signer.problems();
  std::string_view result = "policy";
  std::string reason;
  const auto first = [&](auto predicate) {
    return std::find_if(problems.begin(), problems.end(), predicate);
  };
  if (auto s = first([](Status x) { return !is_policy(x) && !is_processing_failure(x); });
      s != problems.end()) {
    result = "fail";
    reason = status_text(*s);
  } else if (auto p = first(is_processing_failure); p != problems.end()) {
    result = "neutral";
    reason = status_text(*p);
  } else if (!problems.empty()) {
    reason = status_text(problems.front());
  } else if (!layer.covers_whole_message) {
    reason = fmt::format("only part {} of the message is signed", layer.part);
  } else {
    // This signer is fine; another one, or the layer, is not.
    reason =
        report.reasons.empty() ? "the message as a whole is not valid" : report.reasons.front();
  }
  ResInfo info{result, {{0, reasonspec(reason)}}};
  add_signer_properties(info, signer, layer, report);
  return info;
}

std::vector<ResInfo> results(const Report& report, const std::vector<const Layer*>& chain) {
  std::vector<ResInfo> out;
  const auto first_reason = [&](std::string_view fallback) {
    return report.reasons.empty() ? std::string(fallback) : report.reasons.front();
  };
  switch (report.verdict) {
    case Verdict::Valid:
      for (const Layer* layer : whole_signed(chain)) {
        for (const auto& signer : layer->signers) {
          ResInfo info{"pass", {}};
          add_signer_properties(info, signer, *layer, report);
          out.push_back(std::move(info));
        }
      }
      if (out.empty()) out.push_back({"pass", {}});
      break;
    case Verdict::Invalid: {
      const std::vector<const Layer*> whole = whole_signed(chain);
      std::vector<const Layer*> all;
      collect(report.layers, all);
      for (const Layer* layer : all) {
        const bool speaks = std::find(whole.begin(), whole.end(), layer) != whole.end() ||
                            (has_signature(*layer) && !layer->covers_whole_message);
        if (!speaks) continue;
        if (layer->signers.empty()) {
          ResInfo info{"neutral", {{0, reasonspec(layer->error)}}};
          if (const std::string part = part_value(*layer); !part.empty()) {
            info.extras.push_back({1, "body.smime-part=" + part});
          }
          out.push_back(std::move(info));
        }
        for (const auto& signer : layer->signers) out.push_back(judge(signer, *layer, report));
      }
      // Nothing signed could be checked: the encryption around it failed, say.
      if (out.empty()) out.push_back({"fail", {{0, reasonspec(first_reason("not valid"))}}});
      break;
    }
    case Verdict::Unsigned:
      out.push_back({"none", {}});
      break;
    case Verdict::Error:
      out.push_back({"permerror", {{0, reasonspec(first_reason("the message cannot be read"))}}});
      break;
  }
  return out;
}

// Writes the field within 998 octets. A result is written with its rank-0 extras (who signed,
// why it failed) or not at all, from the first: a bare "smime=fail" names nobody. Then the
// other extras, by rank, as long as they fit. Only the first result may go without its
// rank-0 extras, when even they do not fit.
std::string assemble(std::string_view authserv_id, std::vector<ResInfo> infos) {
  std::string field = std::string(kFieldName) + std::string(authserv_id);
  constexpr std::size_t kOmittedNote = 32;  // " (NNNN more results omitted)"
  std::vector<std::vector<bool>> include;
  std::size_t used = field.size();
  for (const ResInfo& info : infos) {
    const std::size_t kept = include.size();
    std::size_t need = std::string_view("; smime=").size() + info.result.size();
    std::vector<bool> chosen(info.extras.size(), false);
    for (std::size_t k = 0; k < info.extras.size(); ++k) {
      if (info.extras[k].rank != 0) continue;
      need += 1 + info.extras[k].text.size();
      chosen[k] = true;
    }
    const std::size_t limit = kMaxField - (kept + 1 < infos.size() ? kOmittedNote : 0);
    if (used + need > limit) {
      if (kept == 0) {
        include.emplace_back(info.extras.size(), false);
        used += std::string_view("; smime=").size() + info.result.size();
      }
      break;
    }
    include.push_back(std::move(chosen));
    used += need;
  }
  const std::size_t kept = include.size();
  const std::size_t omitted = infos.size() - kept;
  std::size_t spare = kMaxField - used - (omitted > 0 ? kOmittedNote : 0);
  for (int rank = 0; rank <= 2; ++rank) {
    for (std::size_t i = 0; i < kept; ++i) {
      for (std::size_t k = 0; k < infos[i].extras.size(); ++k) {
        const Extra& extra = infos[i].extras[k];
        if (include[i][k] || extra.rank != rank || extra.text.size() + 1 > spare) continue;
        include[i][k] = true;
        spare -= extra.text.size() + 1;
      }
    }
  }
  for (std::size_t i = 0; i < kept; ++i) {
    field += "; smime=";
    field += infos[i].result;
    for (std::size_t k = 0; k < infos[i].extras.size(); ++k) {
      if (include[i][k]) field += " " + infos[i].extras[k].text;
    }
  }
  if (omitted > 0) field += fmt::format(" ({} more results omitted)", omitted);
  return field;
}

}  // namespace

std::string authentication_results(const Report& report, std::string_view authserv_id) {
  const std::vector<const Layer*> chain = report.whole_message_layers();
  std::vector<ResInfo> infos = results(report, chain);
  // The encryption is the message's, not a signer's: said once, in the first result.
  if (const std::string note = encryption_note(report, chain); !note.empty()) {
    infos.front().extras.insert(infos.front().extras.begin(), Extra{0, note});
  }
  return assemble(authserv_value(authserv_id), std::move(infos));
}

}  // namespace smimekit

// What the mail tests share: the demo identities, an Opener trusting the demo root, and small
// helpers to build and take apart messages.
#pragma once

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/mail.h"
#include "smimekit/report.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit::mailtest {

inline Identity identity_from(const std::filesystem::path& key, const std::filesystem::path& cert,
                              const std::filesystem::path& chain) {
  std::vector<Certificate> rest;
  if (std::filesystem::file_size(chain) > 0) rest = load_certificates(chain);
  return make_identity(load_private_key(key, nullptr), load_certificates(cert).at(0),
                       std::move(rest));
}

/// NAME of certs/demo (alice, bob, carol).
inline const Identity& demo_identity(const std::string& name) {
  static std::map<std::string, Identity> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it = cache
             .emplace(name, identity_from(test::demo(name + ".key"), test::demo(name + ".pem"),
                                          test::demo(name + "-chain.pem")))
             .first;
  }
  return it->second;
}

/// NAME of certs/test (eve, manager, expired, noemail, ...).
inline Identity test_identity(const std::string& name) {
  return identity_from(test::test_cert(name + ".key"), test::test_cert(name + ".pem"),
                       test::test_cert(name + "-chain.pem"));
}

inline const Identity& alice() { return demo_identity("alice"); }

/// An Opener that trusts the demo root (the anchor of every certificate but `unrelated`).
inline const Opener& demo_opener() {
  static const Opener opener = [] {
    OpenOptions options;
    options.trust.anchors = load_certificates(test::demo("root.pem"));
    return Opener(std::move(options));
  }();
  return opener;
}

/// A plain message from FROM, with extra header lines EXTRA (each ending in \n).
inline std::string message_from(const std::string& from, const std::string& extra = "",
                                 const std::string& body = "Hello Bob,\n\nthis is a test message.\n\nAlice\n") {
  return "From: " + from + "\n" + extra +
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Test message\n"
         "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
         "Message-ID: <test-1@example.org>\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n" +
         body;
}

/// "verdict: reasons" for failure messages.
inline std::string describe(const Report& report) {
  return std::string(verdict_name(report.verdict)) + ": " + summarize(report);
}

/// Every policy, signature and trust problem of every signer of the report.
inline std::vector<Status> all_problems(const Report& report) {
  std::vector<Status> out;
  std::vector<const Layer*> todo;
  for (const auto& l : report.layers) todo.push_back(&l);
  while (!todo.empty()) {
    const Layer* layer = todo.back();
    todo.pop_back();
    for (const auto& s : layer->signers) {
      for (Status p : s.problems()) out.push_back(p);
    }
    for (const auto& c : layer->children) todo.push_back(&c);
  }
  return out;
}

inline bool has_problem(const Report& report, Status status) {
  const auto all = all_problems(report);
  return std::find(all.begin(), all.end(), status) != all.end();
}

inline bool reasons_mention(const Report& report, const std::string& words) {
  return std::any_of(report.reasons.begin(), report.reasons.end(),
                     [&](const std::string& r) { return r.find(words) != std::string::npos; });
}

struct HeaderAndBody {
  std::string header;  ///< the header block, each line ending in \n, without the blank line
  std::string body;
};

/// Splits an LF message at its first blank line.
inline HeaderAndBody split_message(const std::string& message) {
  const auto blank = message.find("\n\n");
  if (blank == std::string::npos) return {message, ""};
  return {message.substr(0, blank + 1), message.substr(blank + 2)};
}

/// The field NAME of HEADER with its continuation lines, ending in \n ("" when absent).
inline std::string header_field(const std::string& header, const std::string& name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t eol = header.find('\n', pos);
    if (eol == std::string::npos) eol = header.size();
    if (header.compare(pos, name.size() + 1, name + ":") == 0) {
      std::size_t end = eol;
      while (end + 1 < header.size() && (header[end + 1] == ' ' || header[end + 1] == '\t')) {
        end = header.find('\n', end + 1);
        if (end == std::string::npos) end = header.size() - 1;
      }
      return header.substr(pos, end + 1 - pos);
    }
    pos = eol + 1;
  }
  return "";
}

/// SIGNED (a signed message) as the second part of an unsigned multipart/mixed whose first
/// part is text nobody signed.
inline std::string wrap_in_mixed(const std::string& signed_message,
                                 const std::string& from = "Alice Demo <alice@example.org>") {
  const auto [header, body] = split_message(signed_message);
  return "From: " + from +
         "\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Please read the signed part\n"
         "MIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"outer-unsigned-boundary\"\n"
         "\n"
         "--outer-unsigned-boundary\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Unsigned words: please wire the money to account 666.\n"
         "\n"
         "--outer-unsigned-boundary\n" +
         header_field(header, "Content-Type") + "\n" + body +
         "\n--outer-unsigned-boundary--\n";
}

/// BYTES in base64, 76 characters a line, each line ending in \n.
inline std::string base64(const std::string& bytes) {
  std::string out;
  unsigned char buf[80];
  for (std::size_t pos = 0; pos < bytes.size(); pos += 57) {
    const std::size_t n = std::min<std::size_t>(57, bytes.size() - pos);
    const int len = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(bytes.data() + pos),
                                    static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
    out += "\n";
  }
  return out;
}

/// Replaces the first FROM after position START with TO; fails the test when absent.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to,
                                std::size_t start = 0) {
  const auto at = text.find(from, start);
  EXPECT_NE(at, std::string::npos) << "\"" << from << "\" not found";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace smimekit::mailtest

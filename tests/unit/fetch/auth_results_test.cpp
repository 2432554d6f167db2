// authentication_results(): the Report as an RFC 8601 Authentication-Results field with the
// "smime" method of RFC 7281. Every field produced here is read back with an RFC 8601 parser
// written for this test, so that "one field, these results and no others" is checked by the
// grammar and not by looking for substrings.
#include "smimekit/fetch.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "smimekit/certificate.h"
#include "smimekit/mail.h"
#include "smimekit/secret.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

// ---------------------------------------------------------------------------------------
// An RFC 8601 §2.2 reader, strict: it throws on anything outside the grammar.

struct ParsedResult {
  std::string method, result, reason;
  std::map<std::string, std::string> properties;  ///< "ptype.property" -> value, unquoted
  std::vector<std::string> comments;
};

struct ParsedField {
  std::string authserv_id;
  std::vector<ParsedResult> results;
  std::vector<std::string> trailing_comments;  ///< after the last result
};

class FieldParser {
 public:
  explicit FieldParser(std::string_view text) : m_s(text) {}

  ParsedField parse() {
    constexpr std::string_view name = "Authentication-Results:";
    if (!m_s.starts_with(name)) fail("no field name");
    m_pos = name.size();
    ParsedField out;
    cfws(nullptr);
    out.authserv_id = value();
    cfws(nullptr);
    if (!eof() && std::isdigit(static_cast<unsigned char>(peek()))) {  // authres-version
      while (!eof() && std::isdigit(static_cast<unsigned char>(peek()))) ++m_pos;
      cfws(nullptr);
    }
    if (eof()) fail("no result");
    while (!eof()) {
      expect(';');
      cfws(nullptr);
      ParsedResult r;
      r.method = keyword();
      cfws(nullptr);
      expect('=');
      cfws(nullptr);
      r.result = keyword();
      for (;;) {
        const bool space = cfws(&r.comments);
        if (eof() || peek() == ';') break;
        if (!space) fail("no space before a reason or property");
        const std::string word = keyword();
        cfws(nullptr);
        if (word == "reason" && peek() == '=') {
          if (!r.properties.empty()) fail("reason after a property");
          ++m_pos;
          cfws(nullptr);
          r.reason = value();
          continue;
        }
        expect('.');
        cfws(nullptr);
        std::string property = keyword();
        cfws(nullptr);
        expect('=');
        const std::string key = word + "." + property;
        if (r.properties.count(key) != 0) fail("property given twice");
        r.properties[key] = pvalue();
      }
      out.results.push_back(std::move(r));
    }
    // Comments at the very end were taken by the last result's CFWS.
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(
        fmt::format("{} at offset {}: [{}]", what, m_pos, std::string(m_s.substr(m_pos, 40))));
  }
  bool eof() const { return m_pos >= m_s.size(); }
  char peek() const { return m_s[m_pos]; }
  void expect(char c) {
    if (eof() || peek() != c) fail(fmt::format("expected '{}'", c));
    ++m_pos;
  }

  // CFWS of RFC 5322 §3.2.2, without folding (the field is one line). True when it took any.
  bool cfws(std::vector<std::string>* comments) {
    const std::size_t start = m_pos;
    while (!eof()) {
      if (peek() == ' ' || peek() == '\t') {
        ++m_pos;
      } else if (peek() == '(') {
        std::string text = comment();
        if (comments != nullptr) comments->push_back(std::move(text));
      } else {
        break;
      }
    }
    return m_pos > start;
  }

  std::string comment() {
    expect('(');
    std::string out;
    int depth = 1;
    while (depth > 0) {
      if (eof()) fail("unterminated comment");
      const char c = m_s[m_pos++];
      if (c == '\\') {
        if (eof()) fail("quoted-pair at the end");
        out += m_s[m_pos++];
      } else if (c == '(') {
        ++depth;
        out += c;
      } else if (c == ')') {
        if (--depth > 0) out += c;
      } else if ((c >= 33 && c <= 126) || c == ' ' || c == '\t') {
        out += c;
      } else {
        fail("a byte outside ctext");
      }
    }
    return out;
  }

  std::string quoted_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (eof()) fail("unterminated quoted-string");
      const char c = m_s[m_pos++];
      if (c == '"') return out;
      if (c == '\\') {
        if (eof()) fail("quoted-pair at the end");
        const char q = m_s[m_pos++];
        if (!((q >= 33 && q <= 126) || q == ' ' || q == '\t')) fail("bad quoted-pair");
        out += q;
      } else if ((c >= 35 && c <= 91) || (c >= 93 && c <= 126) || c == 33 || c == ' ' ||
                 c == '\t') {
        out += c;
      } else {
        fail("a byte outside qtext");
      }
    }
  }

  static bool token_char(char c) {
    return c > 32 && c < 127 &&
           std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
  }

  // RFC 2045 §5.1 token
  std::string token() {
    const std::size_t start = m_pos;
    while (!eof() && token_char(peek())) ++m_pos;
    if (m_pos == start) fail("expected a token");
    return std::string(m_s.substr(start, m_pos - start));
  }

  std::string value() { return !eof() && peek() == '"' ? quoted_string() : token(); }

  // RFC 8601 Keyword = ldh-str (RFC 5321 §4.1.2)
  std::string keyword() {
    const std::size_t start = m_pos;
    while (!eof() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '-')) ++m_pos;
    const std::string_view word = m_s.substr(start, m_pos - start);
    if (word.empty() || word.front() == '-' || word.back() == '-') fail("expected a keyword");
    return std::string(word);
  }

  static bool domain_name(std::string_view s) {
    std::size_t labels = 0;
    for (std::size_t start = 0;;) {
      const std::size_t dot = s.find('.', start);
      const std::string_view label = s.substr(start, dot == s.npos ? s.npos : dot - start);
      if (label.empty() || !std::isalnum(static_cast<unsigned char>(label.front())) ||
          !std::isalnum(static_cast<unsigned char>(label.back()))) {
        return false;
      }
      for (char c : label) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
      }
      ++labels;
      if (dot == s.npos) return labels >= 2;
      start = dot + 1;
    }
  }

  // pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
  std::string pvalue() {
    cfws(nullptr);
    std::string out;
    if (!eof() && peek() == '"') {
      out = quoted_string();
    } else {
      const std::size_t start = m_pos;
      const std::string_view atext = "!#$%&'*+-/=?^_`{|}~.@";
      while (!eof() && (std::isalnum(static_cast<unsigned char>(peek())) ||
                        atext.find(peek()) != std::string_view::npos)) {
        ++m_pos;
      }
      out = std::string(m_s.substr(start, m_pos - start));
      if (out.empty()) fail("expected a pvalue");
      const auto at = out.rfind('@');
      if (at == std::string::npos) {
        if (!std::all_of(out.begin(), out.end(), token_char)) fail("a pvalue that is no token");
      } else {
        const std::string local = out.substr(0, at);
        if (local.find('@') != std::string::npos || local.starts_with('.') ||
            local.ends_with('.') || local.find("..") != std::string::npos ||
            !domain_name(out.substr(at + 1))) {
          fail("a pvalue that is no address");
        }
      }
    }
    if (!eof() && peek() != ' ' && peek() != '\t' && peek() != '(' && peek() != ';') {
      fail("junk after a pvalue");
    }
    return out;
  }

  std::string_view m_s;
  std::size_t m_pos = 0;
};

/// Checks what every field must be, and parses it.
ParsedField checked(const std::string& field) {
  EXPECT_LE(field.size(), 998u);
  EXPECT_EQ(field.find_first_of("\r\n"), std::string::npos) << field;
  EXPECT_TRUE(std::all_of(field.begin(), field.end(), [](char c) {
    return c >= 0x20 && c <= 0x7e;
  })) << field;
  try {
    ParsedField parsed = FieldParser(field).parse();
    // The only ';' are the separators of the results.
    EXPECT_EQ(static_cast<std::size_t>(std::count(field.begin(), field.end(), ';')),
              parsed.results.size())
        << field;
    for (const auto& r : parsed.results) EXPECT_EQ(r.method, "smime") << field;
    return parsed;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an RFC 8601 field: " << e.what() << "\n" << field;
    return {};
  }
}

// ---------------------------------------------------------------------------------------
// Messages and reports

const Identity& demo_identity(const std::string& name) {
  static std::map<std::string, Identity> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it = cache.emplace(name, load_pkcs12(test::demo(name + ".p12"), Secret("demo"))).first;
  }
  return it->second;
}
const Identity& alice() {
  return demo_identity("alice");
}
const Identity& bob() {
  return demo_identity("bob");
}

/// Trusts the demo root; decrypts with KEYS.
Report open_with(const std::string& message, std::vector<Identity> keys = {}, bool anchors = true) {
  OpenOptions options;
  if (anchors) options.trust.anchors = load_certificates(test::demo("root.pem"));
  options.identities = std::move(keys);
  return Opener(std::move(options)).open(message);
}

std::string message_from(const std::string& from) {
  return "From: " + from +
         "\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Test message\n"
         "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
         "Message-ID: <auth-results-1@example.org>\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Hello Bob,\n\nthis is a test message.\n\nAlice\n";
}

const std::string kAlice = "Alice Demo <alice@example.org>";

std::string describe(const Report& report) {
  std::string out(verdict_name(report.verdict));
  for (const auto& r : report.reasons) out += "; " + r;
  return out;
}

/// A self-signed certificate whose address and issuer are whatever the test wants.
Certificate made_up_certificate(const std::string& email, const std::string& common_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), &X509_free);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 0x4242);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.data()),
                             static_cast<int>(common_name.size()), -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509_set_pubkey(x509.get(), key.get());
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  GENERAL_NAME* general = GENERAL_NAME_new();
  ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
  ASN1_STRING_set(ia5, email.data(), static_cast<int>(email.size()));
  GENERAL_NAME_set0_value(general, GEN_EMAIL, ia5);
  sk_GENERAL_NAME_push(names, general);
  X509_add1_ext_i2d(x509.get(), NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT);
  GENERAL_NAMES_free(names);
  EXPECT_GT(X509_sign(x509.get(), key.get(), EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int length = i2d_X509(x509.get(), &der);
  EXPECT_GT(length, 0);
  std::vector<std::uint8_t> bytes(der, der + length);
  OPENSSL_free(der);
  return Certificate::from_der(bytes);
}

SignerReport signer_with(const Certificate& cert, Status signature = Status::Ok) {
  SignerReport s;
  s.certificate = cert;
  s.digest_algorithm = "sha256";
  s.signature_algorithm = "ecdsa-with-SHA256";
  s.signature = signature;
  s.trust.trusted = true;
  return s;
}

Report whole_message_report(Verdict verdict, std::vector<SignerReport> signers) {
  Report report;
  report.verdict = verdict;
  report.from = {"alice@example.org"};
  Layer layer;
  layer.kind = LayerKind::Signed;
  layer.covers_whole_message = true;
  layer.content_type = "text/plain";
  layer.signers = std::move(signers);
  report.layers.push_back(std::move(layer));
  return report;
}

// ---------------------------------------------------------------------------------------
// The results

TEST(AuthResultsTest, AValidSignatureIsPassWithTheSignerAndItsCertificate) {
  const Report report = open_with(sign(message_from(kAlice), alice()));
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  const Certificate& cert = alice().certificate;
  const std::string field = authentication_results(report, "mx.example.org");
  EXPECT_EQ(field.rfind("Authentication-Results: mx.example.org; smime=pass body.smime-identifier="
                        "alice@example.org ",
                        0),
            0u)
      << field;
  EXPECT_NE(field.find(" body.smime-certificate-sha256=" + cert.fingerprint_sha256()), std::string::npos)
      << field;

  const ParsedField parsed = checked(field);
  EXPECT_EQ(parsed.authserv_id, "mx.example.org");
  ASSERT_EQ(parsed.results.size(), 1u);
  const ParsedResult& r = parsed.results[0];
  EXPECT_EQ(r.result, "pass");
  EXPECT_TRUE(r.reason.empty());
  EXPECT_EQ(r.properties.at("body.smime-identifier"), "alice@example.org");
  EXPECT_EQ(r.properties.at("body.smime-part"), "TEXT");
  EXPECT_EQ(r.properties.at("body.smime-serial"), cert.serial_hex());
  EXPECT_EQ(r.properties.at("body.smime-issuer"), cert.issuer());
  EXPECT_EQ(r.properties.at("body.smime-certificate-sha256"), cert.fingerprint_sha256());
  EXPECT_EQ(r.properties.size(), 5u);
  EXPECT_TRUE(r.comments.empty());
}

TEST(AuthResultsTest, OpaqueSigningIsPassToo) {
  SignOptions options;
  options.format = SignFormat::Opaque;
  const Report report = open_with(sign(message_from(kAlice), alice(), options));
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "pass");
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-identifier"), "alice@example.org");
}

TEST(AuthResultsTest, UnsignedIsNone) {
  const Report report = open_with(message_from(kAlice));
  ASSERT_EQ(report.verdict, Verdict::Unsigned);
  EXPECT_EQ(authentication_results(report, "mx.example.org"),
            "Authentication-Results: mx.example.org; smime=none");
}

TEST(AuthResultsTest, AnUnreadableMessageIsPermerror) {
  const Report report = open_with("this is not a message at all");
  ASSERT_EQ(report.verdict, Verdict::Error) << describe(report);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "permerror");
  EXPECT_FALSE(parsed.results[0].reason.empty());
}

TEST(AuthResultsTest, ChangedContentIsFail) {
  std::string signed_message = sign(message_from(kAlice), alice());
  const auto at = signed_message.find("this is a test message");
  ASSERT_NE(at, std::string::npos);
  signed_message.replace(at, 4, "THIS");
  const Report report = open_with(signed_message);
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "fail");
  EXPECT_FALSE(parsed.results[0].reason.empty());
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-identifier"), "alice@example.org");
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-certificate-sha256"),
            alice().certificate.fingerprint_sha256());
}

TEST(AuthResultsTest, AnUntrustedSignerIsFail) {
  const Report report = open_with(sign(message_from(kAlice), alice()), {}, /*anchors=*/false);
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "fail");
}

TEST(AuthResultsTest, AFromAddressNotInTheCertificateIsPolicy) {
  // RFC 7281 §3.1 "policy": signed, verified, but not acceptable (RFC 8550 §3 binding).
  const Report report = open_with(sign(message_from("Bob Demo <bob@example.org>"), alice()));
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "policy");
  EXPECT_EQ(parsed.results[0].reason, status_text(Status::AddressMismatch));
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-identifier"), "alice@example.org");
}

TEST(AuthResultsTest, APartiallySignedMessageIsPolicyForThatPart) {
  const std::string signed_message = sign(message_from(kAlice), alice());
  const auto blank = signed_message.find("\n\n");
  std::string content_type;
  {
    const auto start = signed_message.find("Content-Type: multipart/signed");
    ASSERT_NE(start, std::string::npos);
    auto end = signed_message.find('\n', start);
    while (end + 1 < signed_message.size() &&
           (signed_message[end + 1] == ' ' || signed_message[end + 1] == '\t')) {
      end = signed_message.find('\n', end + 1);
    }
    content_type = signed_message.substr(start, end + 1 - start);
  }
  const std::string mixed =
      "From: " + kAlice +
      "\nTo: Bob Demo <bob@example.org>\nSubject: read the signed part\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\n"
      "Content-Type: text/plain; charset=us-ascii\n\nUnsigned words.\n\n--outer\n" +
      content_type + "\n" + signed_message.substr(blank + 2) + "\n--outer--\n";
  const Report report = open_with(mixed);
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  ASSERT_TRUE(report.partially_signed);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "policy");
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-part"), "2");
  EXPECT_NE(parsed.results[0].reason.find("part 2"), std::string::npos) << parsed.results[0].reason;
}

TEST(AuthResultsTest, AnInvalidMessageNeverShowsPass) {
  // One good signer and one bad one: the message is invalid, and a reader that takes any
  // "pass" among the results must not find one.
  const Certificate& cert = alice().certificate;
  Report report = whole_message_report(
      Verdict::Invalid, {signer_with(cert), signer_with(cert, Status::SignatureInvalid)});
  report.reasons = {"signature by alice@example.org: the signature does not verify"};
  const std::string field = authentication_results(report, "mx.example.org");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 2u);
  EXPECT_EQ(parsed.results[0].result, "policy");
  EXPECT_EQ(parsed.results[0].reason, report.reasons.front());
  EXPECT_EQ(parsed.results[1].result, "fail");
  EXPECT_EQ(field.find("pass"), std::string::npos) << field;
}

TEST(AuthResultsTest, ResultsForEachKindOfProblem) {
  const Certificate& cert = alice().certificate;
  const auto result_for = [&](SignerReport signer) {
    const ParsedField parsed = checked(
        authentication_results(whole_message_report(Verdict::Invalid, {std::move(signer)}), "mx"));
    return parsed.results.empty() ? std::string() : parsed.results[0].result;
  };
  SignerReport weak = signer_with(cert);
  weak.policy = {Status::WeakDigest};
  EXPECT_EQ(result_for(weak), "policy");
  SignerReport expired = signer_with(cert);
  expired.trust.trusted = false;
  expired.trust.status = Status::CertExpired;
  EXPECT_EQ(result_for(expired), "fail");
  // Both: the failure wins.
  expired.policy = {Status::WeakDigest};
  EXPECT_EQ(result_for(expired), "fail");
  EXPECT_EQ(result_for(signer_with(cert, Status::SignatureUnreadable)), "neutral");
  SignerReport missing = signer_with(cert, Status::SignerCertificateMissing);
  missing.certificate.reset();
  EXPECT_EQ(result_for(missing), "neutral");

  Report damaged = whole_message_report(Verdict::Invalid, {});
  damaged.layers[0].error = "the signature part is not valid CMS SignedData";
  const ParsedField parsed = checked(authentication_results(damaged, "mx"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "neutral");
  EXPECT_EQ(parsed.results[0].reason, damaged.layers[0].error);
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-part"), "TEXT");
}

// ---------------------------------------------------------------------------------------
// Encryption

TEST(AuthResultsTest, DecryptedAndAuthenticatedIsSaidInAComment) {
  const Report report =
      open_with(sign_and_encrypt(message_from(kAlice), alice(), {bob().certificate}), {bob()});
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  ASSERT_TRUE(report.encrypted);
  const std::string field = authentication_results(report, "mx.example.org");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "pass");
  ASSERT_EQ(parsed.results[0].comments.size(), 1u) << field;
  const std::string& note = parsed.results[0].comments[0];
  EXPECT_EQ(note.rfind("decrypted", 0), 0u) << note;
  EXPECT_NE(note.find("gcm"), std::string::npos) << note;
  EXPECT_TRUE(note.ends_with(", authenticated")) << note;
  EXPECT_EQ(parsed.results[0].properties.at("body.smime-identifier"), "alice@example.org");
}

TEST(AuthResultsTest, UnauthenticatedEncryptionIsSaidToo) {
  EncryptOptions cbc;
  cbc.cipher = ContentCipher::Aes256Cbc;
  const Report report = open_with(encrypt(message_from(kAlice), {bob().certificate}, cbc), {bob()});
  ASSERT_EQ(report.verdict, Verdict::Unsigned) << describe(report);
  const std::string field = authentication_results(report, "mx.example.org");
  EXPECT_EQ(field.rfind("Authentication-Results: mx.example.org; smime=none (decrypted", 0), 0u)
      << field;
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u);
  ASSERT_EQ(parsed.results[0].comments.size(), 1u);
  EXPECT_TRUE(parsed.results[0].comments[0].ends_with(", not authenticated"))
      << parsed.results[0].comments[0];
}

TEST(AuthResultsTest, EncryptedButNotDecryptedIsSaid) {
  const Report report = open_with(encrypt(message_from(kAlice), {bob().certificate}));
  ASSERT_NE(report.verdict, Verdict::Valid);
  const ParsedField parsed = checked(authentication_results(report, "mx.example.org"));
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_NE(parsed.results[0].result, "pass");
  ASSERT_EQ(parsed.results[0].comments.size(), 1u);
  EXPECT_EQ(parsed.results[0].comments[0], "encrypted, not decrypted");
}

TEST(AuthResultsTest, ASignatureOverTheCiphertextDoesNotCount) {
  // Encrypt, then sign: whoever intercepted the message could have signed it.
  const std::string message =
      sign(encrypt(message_from(kAlice), {bob().certificate}), demo_identity("carol"));
  const Report report = open_with(message, {bob()});
  ASSERT_NE(report.verdict, Verdict::Valid) << describe(report);
  const std::string field = authentication_results(report, "mx.example.org");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_NE(parsed.results[0].result, "pass") << field;
  EXPECT_EQ(field.find("carol"), std::string::npos) << field;
}

// ---------------------------------------------------------------------------------------
// Hostile input

TEST(AuthResultsTest, AHostileFromAddressInjectsNothing) {
  // A From field whose display name decodes to CR LF and a header, and whose address holds
  // ';', '(' and "smime=pass".
  const std::string from =
      "=?utf-8?q?Alice=0D=0AX-Injected=3A_yes=3B_smime=3Dpass_=28?= "
      "<\"alice;smime=pass(x\"@example.org>";
  const Report report = open_with(sign(message_from(from), alice()));
  ASSERT_NE(report.verdict, Verdict::Valid) << describe(report);
  const std::string field = authentication_results(report, "mx.example.org");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u) << field;
  EXPECT_NE(parsed.results[0].result, "pass");
  EXPECT_EQ(field.find("smime=pass"), std::string::npos) << field;
  EXPECT_EQ(field.find("X-Injected"), std::string::npos) << field;
}

TEST(AuthResultsTest, AHostileCertificateInjectsNothing) {
  const Certificate evil =
      made_up_certificate("mallory;smime=pass(@evil.example\r\nX-Injected: yes",
                          "Evil CA\"; smime=pass (\r\nX-Injected: yes");
  for (const Verdict verdict : {Verdict::Invalid, Verdict::Valid}) {
    Report report = whole_message_report(
        verdict,
        {signer_with(evil, verdict == Verdict::Valid ? Status::Ok : Status::SignatureInvalid)});
    report.reasons = {"signature by mallory: \"the\r\nX-Injected: yes; smime=pass (\\"};
    const std::string field = authentication_results(report, "mx.example.org");
    const ParsedField parsed = checked(field);
    ASSERT_EQ(parsed.results.size(), 1u) << field;
    EXPECT_EQ(parsed.results[0].result, verdict == Verdict::Valid ? "pass" : "fail") << field;
    // The address and the issuer cannot be written exactly: they are left out, and said so.
    EXPECT_EQ(parsed.results[0].properties.count("body.smime-identifier"), 0u) << field;
    EXPECT_EQ(parsed.results[0].properties.count("body.smime-issuer"), 0u) << field;
    EXPECT_EQ(parsed.results[0].properties.count("body.smime-serial"), 0u) << field;
    EXPECT_EQ(parsed.results[0].properties.at("body.smime-certificate-sha256"),
              evil.fingerprint_sha256());
    EXPECT_EQ(parsed.results[0].comments.size(), 1u) << field;
    EXPECT_EQ(field.find("X-Injected:"), std::string::npos) << field;
    if (verdict != Verdict::Valid) {
      EXPECT_EQ(field.find("smime=pass"), std::string::npos) << field;
    }
  }
}

TEST(AuthResultsTest, HostileReasonsAreReducedToText) {
  Report report;
  report.verdict = Verdict::Error;
  report.reasons = {"bad\r\nX-Injected: yes; smime=pass (\"x\\ \x01\xff end"};
  const std::string field = authentication_results(report, "mx.example.org");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u) << field;
  EXPECT_EQ(parsed.results[0].result, "permerror");
  EXPECT_EQ(parsed.results[0].reason, "bad X-Injected: yes, smime:pass (\"x\\ ? end");
}

TEST(AuthResultsTest, TheAuthservIdIsAValueAndNothingMore) {
  Report unsigned_report;
  unsigned_report.verdict = Verdict::Unsigned;
  const std::string field =
      authentication_results(unsigned_report, "mx.example.org\r\nX-Injected: yes; smime=pass (");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u) << field;
  EXPECT_EQ(parsed.results[0].result, "none");
  EXPECT_EQ(parsed.authserv_id, "mx.example.orgX-Injected: yes, smime:pass (");

  EXPECT_EQ(authentication_results(unsigned_report, "host name"),
            "Authentication-Results: \"host name\"; smime=none");
  // Empty: this host's name.
  const ParsedField own = checked(authentication_results(unsigned_report, ""));
  EXPECT_FALSE(own.authserv_id.empty());
}

// ---------------------------------------------------------------------------------------
// Length

TEST(AuthResultsTest, ManySignersStayWithin998Octets) {
  const Certificate& cert = alice().certificate;
  for (const Verdict verdict : {Verdict::Invalid, Verdict::Valid}) {
    std::vector<SignerReport> signers;
    for (int i = 0; i < 300; ++i) {
      signers.push_back(
          signer_with(cert, verdict == Verdict::Valid ? Status::Ok : Status::SignatureInvalid));
    }
    const Report report = whole_message_report(verdict, std::move(signers));
    const std::string field = authentication_results(report, "mx.example.org");
    const ParsedField parsed = checked(field);
    ASSERT_GE(parsed.results.size(), 2u) << field;
    EXPECT_LT(parsed.results.size(), 300u);
    for (const auto& r : parsed.results) {
      EXPECT_EQ(r.result, verdict == Verdict::Valid ? "pass" : "fail");
    }
    // The first result is whole; the field says how many were left out.
    EXPECT_EQ(parsed.results[0].properties.count("body.smime-certificate-sha256"), 1u) << field;
    EXPECT_TRUE(
        field.ends_with(fmt::format("({} more results omitted)", 300 - parsed.results.size())))
        << field;
  }
}

TEST(AuthResultsTest, AVeryLongAuthservIdIsCut) {
  const Report report = open_with(sign(message_from(kAlice), alice()));
  ASSERT_EQ(report.verdict, Verdict::Valid);
  const std::string field = authentication_results(report, std::string(5000, 'a') + ".example");
  const ParsedField parsed = checked(field);
  ASSERT_EQ(parsed.results.size(), 1u);
  EXPECT_EQ(parsed.results[0].result, "pass");
  EXPECT_LE(parsed.authserv_id.size(), 255u);
}

}  // namespace
}  // namespace smimekit

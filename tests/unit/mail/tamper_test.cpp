// Changing a signed message after signing: every change to what the signature covers makes
// the verdict Invalid.
#include <cctype>

#include "mail_helpers.h"

namespace smimekit {
namespace {

using mailtest::alice;
using mailtest::demo_opener;
using mailtest::describe;
using mailtest::message_from;
using mailtest::replace_once;

const std::string kAliceFrom = "Alice Demo <alice@example.org>";

std::string signed_detached() { return sign(message_from(kAliceFrom), alice()); }

std::string signed_opaque() {
  SignOptions options;
  options.format = SignFormat::Opaque;
  return sign(message_from(kAliceFrom), alice(), options);
}

// Flips one base64 character at or before AT to another base64 character.
std::string flip_base64_char(std::string text, std::size_t at) {
  while (at > 0 && !std::isalnum(static_cast<unsigned char>(text[at]))) --at;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  return text;
}

void expect_invalid(const std::string& message, const char* what) {
  const Report report = demo_opener().open(message);
  EXPECT_EQ(report.verdict, Verdict::Invalid) << what << ": " << describe(report);
  EXPECT_FALSE(report.reasons.empty()) << what;
}

TEST(Tamper, UntouchedIsValid) {
  EXPECT_EQ(demo_opener().open(signed_detached()).verdict, Verdict::Valid);
  EXPECT_EQ(demo_opener().open(signed_opaque()).verdict, Verdict::Valid);
}

TEST(Tamper, OneByteOfTheBodyChanged) {
  const std::string tampered =
      replace_once(signed_detached(), "this is a test message", "this is a test massage");
  const Report report = demo_opener().open(tampered);
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  ASSERT_EQ(report.layers.size(), 1u);
  ASSERT_EQ(report.layers[0].signers.size(), 1u);
  EXPECT_EQ(report.layers[0].signers[0].signature, Status::SignatureInvalid);
  EXPECT_TRUE(mailtest::reasons_mention(report, "does not match the content")) << describe(report);
  // The chain is still fine: it is the content that changed.
  EXPECT_TRUE(report.layers[0].signers[0].trust.trusted);
}

TEST(Tamper, OneByteAddedToTheBody) {
  expect_invalid(replace_once(signed_detached(), "Alice\n", "Alice!\n"), "added byte");
}

TEST(Tamper, BodyLineRemoved) {
  expect_invalid(replace_once(signed_detached(), "Hello Bob,\n", ""), "removed line");
}

TEST(Tamper, HeaderInsideTheSignedPartChanged) {
  // The top-level Content-Type is multipart/signed, so the first "charset=" is the signed
  // part's own header.
  const std::string original = signed_detached();
  const auto first_boundary = original.find("\n--");
  ASSERT_NE(first_boundary, std::string::npos);
  expect_invalid(replace_once(original, "charset=us-ascii", "charset=us-asciz", first_boundary),
                 "charset changed");
  expect_invalid(replace_once(original, "Content-Type: text/plain", "Content-Type: text/html",
                              first_boundary),
                 "type changed");
}

TEST(Tamper, HeaderAddedToTheSignedPart) {
  const std::string original = signed_detached();
  const auto first_boundary = original.find("\n--");
  ASSERT_NE(first_boundary, std::string::npos);
  const auto after = original.find('\n', first_boundary + 1);
  std::string tampered = original;
  tampered.insert(after + 1, "Content-Disposition: attachment; filename=\"evil.exe\"\n");
  expect_invalid(tampered, "header added");
}

TEST(Tamper, OneCharacterOfTheBase64SignatureChanged) {
  const std::string original = signed_detached();
  // The signature value is the last thing in the SignedData: change a character a little
  // before the closing boundary.
  const auto closing = original.rfind("\n--");
  ASSERT_NE(closing, std::string::npos);
  const std::string tampered = flip_base64_char(original, closing - 40);
  ASSERT_NE(tampered, original);
  const Report report = demo_opener().open(tampered);
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
}

TEST(Tamper, EveryRegionOfTheBase64SignatureIsProtected) {
  // Whatever byte of the DER is hit — certificates, attributes, signature — never Valid.
  const std::string original = signed_detached();
  const auto start = original.find("S/MIME Cryptographic Signature\n\n");
  const auto closing = original.rfind("\n--");
  ASSERT_NE(start, std::string::npos);
  for (std::size_t at = start + 40; at + 5 < closing; at += 613) {
    const Report report = demo_opener().open(flip_base64_char(original, at));
    EXPECT_NE(report.verdict, Verdict::Valid) << "at " << at << ": " << describe(report);
    EXPECT_FALSE(report.reasons.empty()) << "at " << at;
  }
}

TEST(Tamper, OpaqueBase64Changed) {
  const std::string original = signed_opaque();
  const auto body = original.find("\n\n");
  ASSERT_NE(body, std::string::npos);
  for (std::size_t at = body + 100; at + 5 < original.size(); at += 401) {
    const Report report = demo_opener().open(flip_base64_char(original, at));
    EXPECT_NE(report.verdict, Verdict::Valid) << "at " << at << ": " << describe(report);
  }
  // Near the end: the signature value itself.
  expect_invalid(flip_base64_char(original, original.size() - 30), "opaque signature value");
}

TEST(Tamper, SignatureMovedOntoAnotherMessage) {
  // The signature part of one message with the content of another.
  const std::string a = sign(message_from(kAliceFrom, "", "Pay Bob 10 EUR.\n"), alice());
  const std::string b = sign(message_from(kAliceFrom, "", "Pay Eve 10000 EUR.\n"), alice());
  const auto sig_a = a.find("Content-Type: application/pkcs7-signature");
  const auto sig_b = b.find("Content-Type: application/pkcs7-signature");
  ASSERT_NE(sig_a, std::string::npos);
  ASSERT_NE(sig_b, std::string::npos);
  // Boundaries differ between the two: keep b's boundary lines, swap in a's base64.
  const auto a_b64 = a.find("\n\n", sig_a) + 2;
  const auto a_end = a.rfind("\n--");
  const auto b_b64 = b.find("\n\n", sig_b) + 2;
  const auto b_end = b.rfind("\n--");
  std::string franken = b;
  franken.replace(b_b64, b_end - b_b64, a.substr(a_b64, a_end - a_b64));
  ASSERT_NE(franken, b);
  const Report report = demo_opener().open(franken);
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_EQ(report.layers.at(0).signers.at(0).signature, Status::SignatureInvalid);
}

TEST(Tamper, OuterHeadersAreNotCoveredButStayVisible) {
  // RFC 8551: the top-level header is outside the signature. Changing Subject keeps the
  // signature valid, and the report shows the changed value (no silent trust in it).
  const std::string tampered =
      replace_once(signed_detached(), "Subject: Test message", "Subject: Changed subject");
  const Report report = demo_opener().open(tampered);
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_EQ(report.subject, "Changed subject");
}

}  // namespace
}  // namespace smimekit

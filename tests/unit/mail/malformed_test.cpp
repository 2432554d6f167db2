// What open() makes of messages that are unsigned, partially signed, broken or hostile:
// never Valid, never a crash, always a reason.
#include <random>

#include "mail_helpers.h"

namespace smimekit {
namespace {

using mailtest::alice;
using mailtest::demo_opener;
using mailtest::describe;
using mailtest::message_from;

const std::string kAliceFrom = "Alice Demo <alice@example.org>";

void expect_refused(const std::string& message, const char* what) {
  const Report report = demo_opener().open(message);
  EXPECT_TRUE(report.verdict == Verdict::Error || report.verdict == Verdict::Invalid)
      << what << ": " << describe(report);
  EXPECT_FALSE(report.reasons.empty()) << what;
  for (const auto& r : report.reasons) EXPECT_FALSE(r.empty()) << what;
}

using mailtest::base64;

// A multipart/signed shell around CONTENT_PART with the given signature part.
std::string multipart_signed(const std::string& parts) {
  return "From: Alice Demo <alice@example.org>\n"
         "Subject: broken\n"
         "MIME-Version: 1.0\n"
         "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
         "micalg=sha-256; boundary=\"b\"\n"
         "\n" +
         parts;
}

const std::string kContentPart =
    "--b\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Signed text.\n";

std::string signature_part(const std::string& base64_body) {
  return "--b\n"
         "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n"
         "Content-Transfer-Encoding: base64\n"
         "\n" +
         base64_body + "--b--\n";
}

// The base64 signature of a freshly signed message, without its boundary.
std::string real_signature_base64() {
  const std::string signed_message = sign(message_from(kAliceFrom), alice());
  const auto sig = signed_message.find("Content-Type: application/pkcs7-signature");
  const auto start = signed_message.find("\n\n", sig) + 2;
  const auto end = signed_message.rfind("\n--");
  return signed_message.substr(start, end - start) + "\n";
}

TEST(Unsigned, PlainMessageIsUnsigned) {
  const Report report = demo_opener().open(message_from(kAliceFrom));
  EXPECT_EQ(report.verdict, Verdict::Unsigned) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
  EXPECT_TRUE(report.layers.empty());
  EXPECT_FALSE(report.partially_signed);
  EXPECT_EQ(report.from, std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(summarize(report).rfind("UNSIGNED: ", 0), 0u) << summarize(report);
}

TEST(Unsigned, UnsignedMultipartIsUnsigned) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: mixed\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"m\"\n"
      "\n"
      "--m\n"
      "Content-Type: text/plain\n"
      "\n"
      "one\n"
      "--m\n"
      "Content-Type: text/html\n"
      "\n"
      "<p>two</p>\n"
      "--m--\n";
  const Report report = demo_opener().open(message);
  EXPECT_EQ(report.verdict, Verdict::Unsigned) << describe(report);
}

TEST(Unsigned, EncryptedMessageIsNotValid) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: secret\n"
      "MIME-Version: 1.0\n"
      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" +
      base64("not really encrypted, but labelled so");
  const Report report = demo_opener().open(message);
  EXPECT_NE(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
  EXPECT_TRUE(mailtest::reasons_mention(report, "encrypted")) << describe(report);
}

TEST(PartiallySigned, SignedPartInsideUnsignedMixedIsInvalid) {
  const std::string wrapped = mailtest::wrap_in_mixed(sign(message_from(kAliceFrom), alice()));
  const Report report = demo_opener().open(wrapped);
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_TRUE(report.partially_signed);
  EXPECT_FALSE(report.reasons.empty());
  EXPECT_TRUE(mailtest::reasons_mention(report, "partially signed")) << describe(report);
  EXPECT_EQ(summarize(report).rfind("PARTIALLY SIGNED", 0), 0u) << summarize(report);
  EXPECT_TRUE(report.whole_message_signers().empty());

  // The signed layer is there, marked as a sub-part, and its own signature is fine.
  ASSERT_EQ(report.layers.size(), 1u);
  const Layer& layer = report.layers[0];
  EXPECT_EQ(layer.part, "2");
  EXPECT_FALSE(layer.covers_whole_message);
  ASSERT_EQ(layer.signers.size(), 1u);
  EXPECT_EQ(layer.signers[0].signature, Status::Ok);
  EXPECT_TRUE(layer.signers[0].trust.trusted);
}

TEST(PartiallySigned, OpaqueSignedPartInsideUnsignedMixedIsInvalid) {
  SignOptions options;
  options.format = SignFormat::Opaque;
  const std::string wrapped =
      mailtest::wrap_in_mixed(sign(message_from(kAliceFrom), alice(), options));
  const Report report = demo_opener().open(wrapped);
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_TRUE(report.partially_signed);
}

TEST(PartiallySigned, ForwardedSignedMessageIsNotASignedMessage) {
  const std::string inner = sign(message_from(kAliceFrom), alice());
  const std::string message =
      "From: Eve <eve@example.org>\n"
      "Subject: Fwd: Test message\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"fwd\"\n"
      "\n"
      "--fwd\n"
      "Content-Type: text/plain\n"
      "\n"
      "See below, signed by Alice.\n"
      "--fwd\n"
      "Content-Type: message/rfc822\n"
      "\n" +
      inner + "\n--fwd--\n";
  const Report report = demo_opener().open(message);
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_TRUE(report.partially_signed);
}

TEST(BadInput, EmptyAndHeaderless) {
  for (const std::string& text : {std::string(""), std::string("\n"), std::string("   \r\n\t"),
                                 std::string("garbage without headers")}) {
    const Report report = demo_opener().open(text);
    EXPECT_EQ(report.verdict, Verdict::Error) << "\"" << text << "\": " << describe(report);
    EXPECT_FALSE(report.reasons.empty());
    EXPECT_EQ(summarize(report).rfind("ERROR: ", 0), 0u) << summarize(report);
  }
}

TEST(BadInput, MultipartSignedWithOnePart) {
  expect_refused(multipart_signed(kContentPart + "--b--\n"), "one part");
  const Report report = demo_opener().open(multipart_signed(kContentPart + "--b--\n"));
  EXPECT_TRUE(mailtest::reasons_mention(report, "parts")) << describe(report);
}

TEST(BadInput, MultipartSignedWithThreeParts) {
  const std::string sig = real_signature_base64();
  expect_refused(multipart_signed(kContentPart + kContentPart + signature_part(sig)), "three parts");
}

TEST(BadInput, MultipartSignedWithoutParts) {
  expect_refused(multipart_signed("just a preamble, no boundary at all\n"), "no parts");
}

TEST(BadInput, TruncatedBase64Signature) {
  const std::string sig = real_signature_base64();
  expect_refused(multipart_signed(kContentPart + signature_part(sig.substr(0, sig.size() / 2) + "\n")),
                 "truncated");
  expect_refused(multipart_signed(kContentPart + signature_part(sig.substr(0, 10) + "\n")),
                 "nearly empty");
  expect_refused(multipart_signed(kContentPart + signature_part("")), "empty signature");
}

TEST(BadInput, GarbageCms) {
  expect_refused(multipart_signed(kContentPart + signature_part(base64("this is not DER at all"))),
                 "garbage");
  std::mt19937 rng(42);
  std::string noise(2000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  expect_refused(multipart_signed(kContentPart + signature_part(base64(noise))), "noise");
  // DER that is valid ASN.1 but not a ContentInfo.
  expect_refused(multipart_signed(kContentPart + signature_part(base64(std::string("\x30\x03\x02\x01\x01", 5)))),
                 "small sequence");
  // A certificate is DER too, but not CMS.
  expect_refused(
      multipart_signed(kContentPart + signature_part(base64(test::read(test::demo("alice.der"))))),
      "certificate");
}

TEST(BadInput, GarbageOpaque) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: opaque garbage\n"
      "MIME-Version: 1.0\n"
      "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n" +
      base64("garbage that claims to be signed-data");
  expect_refused(message, "opaque garbage");
}

TEST(BadInput, WrongProtocol) {
  std::string message = multipart_signed(kContentPart + signature_part(real_signature_base64()));
  message = mailtest::replace_once(message, "protocol=\"application/pkcs7-signature\"",
                                   "protocol=\"application/pgp-signature\"");
  const Report report = demo_opener().open(message);
  EXPECT_NE(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
}

TEST(BadInput, RealSignatureOverOtherContent) {
  // A real signature of alice, but over other content than this part.
  const Report report =
      demo_opener().open(multipart_signed(kContentPart + signature_part(real_signature_base64())));
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_EQ(report.layers.at(0).signers.at(0).signature, Status::SignatureInvalid);
}

TEST(BadInput, DetachedSignatureCarryingContentOfItsOwn) {
  // The DER of an opaque signature (which holds the content) used as the signature part of a
  // multipart/signed: the signature matches, but two contents claim to be what was signed.
  SignOptions options;
  options.format = SignFormat::Opaque;
  const std::string opaque = sign(message_from(kAliceFrom), alice(), options);
  const std::string der_base64 = opaque.substr(opaque.find("\n\n") + 2);
  const std::string content =
      "--b\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Hello Bob,\n"
      "\n"
      "this is a test message.\n"
      "\n"
      "Alice\n"
      "\n";  // the line end before the delimiter belongs to the delimiter
  const Report report = demo_opener().open(multipart_signed(content + signature_part(der_base64)));
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
  EXPECT_TRUE(mailtest::has_problem(report, Status::ContentMismatch)) << describe(report);
}

std::string nested_mixed(int levels) {
  std::string out =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: deep\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"b0\"\n"
      "\n";
  for (int i = 0; i < levels; ++i) {
    out += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=\"b" +
           std::to_string(i + 1) + "\"\n\n";
  }
  out += "--b" + std::to_string(levels) + "\nContent-Type: text/plain\n\ndeep inside\n--b" +
         std::to_string(levels) + "--\n";
  for (int i = levels - 1; i >= 0; --i) out += "--b" + std::to_string(i) + "--\n";
  return out;
}

TEST(BadInput, NestingTwoHundredLevelsDeep) {
  const Report report = demo_opener().open(nested_mixed(200));
  EXPECT_TRUE(report.verdict == Verdict::Error || report.verdict == Verdict::Invalid)
      << describe(report);
  EXPECT_FALSE(report.reasons.empty());
}

TEST(BadInput, NestingLimitIsConfigurable) {
  OpenOptions options;
  options.trust.anchors = load_certificates(test::demo("root.pem"));
  options.max_depth = 3;
  const Opener opener(std::move(options));
  EXPECT_EQ(opener.open(nested_mixed(1)).verdict, Verdict::Unsigned);
  const Report deep = opener.open(nested_mixed(10));
  EXPECT_EQ(deep.verdict, Verdict::Error) << describe(deep);
  EXPECT_FALSE(deep.reasons.empty());
}

TEST(BadInput, SignedMessageNestedTooDeepIsNotValid) {
  // The signature is fine, but what it covers nests beyond the limit: not checked, not Valid.
  const std::string signed_message = sign(nested_mixed(60), alice());
  const Report report = demo_opener().open(signed_message);
  EXPECT_NE(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
}

TEST(BadInput, BinaryNoiseNeverValid) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::string noise(500 + round * 97, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    const Report report = demo_opener().open(noise);
    EXPECT_NE(report.verdict, Verdict::Valid);
    EXPECT_FALSE(report.reasons.empty());
  }
}

TEST(BadInput, TruncatedSignedMessagesNeverValid) {
  const std::string signed_message = sign(message_from(kAliceFrom), alice());
  for (std::size_t len = 0; len < signed_message.size() - 40; len += 211) {
    const Report report = demo_opener().open(signed_message.substr(0, len));
    EXPECT_NE(report.verdict, Verdict::Valid) << "length " << len << ": " << describe(report);
    EXPECT_FALSE(report.reasons.empty()) << "length " << len;
  }
}

}  // namespace
}  // namespace smimekit

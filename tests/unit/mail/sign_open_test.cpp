// sign() then Opener::open(): the round trips that must come out VALID, and what the report says.
#include <chrono>

#include "mail_helpers.h"
#include "smimekit/error.h"
#include "smimekit/secret.h"

namespace smimekit {
namespace {

using mailtest::alice;
using mailtest::demo_identity;
using mailtest::demo_opener;
using mailtest::describe;
using mailtest::message_from;

const std::string kAliceFrom = "Alice Demo <alice@example.org>";

Report sign_and_open(const std::string& message, const Identity& signer,
                     const SignOptions& options = {}) {
  return demo_opener().open(sign(message, signer, options));
}

TEST(SignOpen, DetachedRoundTripIsValid) {
  const std::string signed_message = sign(message_from(kAliceFrom), alice());
  EXPECT_NE(signed_message.find("Content-Type: multipart/signed"), std::string::npos);
  EXPECT_NE(signed_message.find("protocol=\"application/pkcs7-signature\""), std::string::npos);
  EXPECT_NE(signed_message.find("micalg=sha-256"), std::string::npos);
  EXPECT_NE(signed_message.find("application/pkcs7-signature; name=\"smime.p7s\""),
            std::string::npos);

  const Report report = demo_opener().open(signed_message);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_TRUE(report.reasons.empty());
  EXPECT_FALSE(report.partially_signed);
  EXPECT_EQ(report.from, std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(report.subject, "Test message");
  ASSERT_EQ(report.layers.size(), 1u);
  const Layer& layer = report.layers[0];
  EXPECT_EQ(layer.kind, LayerKind::Signed);
  EXPECT_EQ(layer.part, "");
  EXPECT_TRUE(layer.covers_whole_message);
  EXPECT_FALSE(layer.opaque);
  EXPECT_EQ(layer.content_type, "text/plain");
  EXPECT_TRUE(layer.error.empty()) << layer.error;
  ASSERT_EQ(layer.signers.size(), 1u);
  const SignerReport& signer = layer.signers[0];
  ASSERT_TRUE(signer.certificate.has_value());
  EXPECT_TRUE(*signer.certificate == alice().certificate);
  EXPECT_EQ(signer.digest_algorithm, "sha256");
  EXPECT_EQ(signer.signature_algorithm, "rsaEncryption");
  EXPECT_EQ(signer.signature, Status::Ok);
  EXPECT_TRUE(signer.trust.trusted);
  EXPECT_EQ(signer.trust.chain.size(), 3u);
  EXPECT_TRUE(signer.policy.empty());
  EXPECT_TRUE(signer.ok());
  EXPECT_TRUE(signer.problems().empty());
  ASSERT_TRUE(signer.signing_time.has_value());
  const auto skew = std::chrono::abs(std::chrono::system_clock::now() - *signer.signing_time);
  EXPECT_LT(skew, std::chrono::minutes(10));
  ASSERT_EQ(report.whole_message_signers().size(), 1u);
  EXPECT_EQ(report.whole_message_signers()[0], &signer);
}

TEST(SignOpen, OpaqueRoundTripIsValid) {
  SignOptions options;
  options.format = SignFormat::Opaque;
  const std::string signed_message = sign(message_from(kAliceFrom), alice(), options);
  EXPECT_NE(signed_message.find("application/pkcs7-mime; smime-type=signed-data"),
            std::string::npos);
  EXPECT_EQ(signed_message.find("multipart/signed"), std::string::npos);
  // The body is only base64 now: the text is not readable without S/MIME.
  EXPECT_EQ(signed_message.find("this is a test message"), std::string::npos);

  const Report report = demo_opener().open(signed_message);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  ASSERT_EQ(report.layers.size(), 1u);
  EXPECT_TRUE(report.layers[0].opaque);
  EXPECT_TRUE(report.layers[0].covers_whole_message);
  EXPECT_EQ(report.layers[0].content_type, "text/plain");
  ASSERT_EQ(report.layers[0].signers.size(), 1u);
  EXPECT_TRUE(report.layers[0].signers[0].ok());
}

class Digests : public ::testing::TestWithParam<std::tuple<DigestAlgorithm, const char*, const char*>> {};

TEST_P(Digests, DetachedAndOpaqueAreValid) {
  const auto [digest, name, micalg] = GetParam();
  for (SignFormat format : {SignFormat::Detached, SignFormat::Opaque}) {
    SignOptions options;
    options.digest = digest;
    options.format = format;
    const std::string signed_message = sign(message_from(kAliceFrom), alice(), options);
    if (format == SignFormat::Detached) {
      EXPECT_NE(signed_message.find(std::string("micalg=") + micalg), std::string::npos) << name;
    }
    const Report report = demo_opener().open(signed_message);
    ASSERT_EQ(report.verdict, Verdict::Valid) << name << ": " << describe(report);
    ASSERT_EQ(report.layers.at(0).signers.size(), 1u);
    EXPECT_EQ(report.layers[0].signers[0].digest_algorithm, name);
  }
}

INSTANTIATE_TEST_SUITE_P(
    SignOpen, Digests,
    ::testing::Values(std::make_tuple(DigestAlgorithm::Sha256, "sha256", "sha-256"),
                      std::make_tuple(DigestAlgorithm::Sha384, "sha384", "sha-384"),
                      std::make_tuple(DigestAlgorithm::Sha512, "sha512", "sha-512")));

TEST(SignOpen, RsaPssIsValid) {
  for (SignFormat format : {SignFormat::Detached, SignFormat::Opaque}) {
    SignOptions options;
    options.rsa_pss = true;
    options.format = format;
    options.digest = DigestAlgorithm::Sha384;
    const Report report = sign_and_open(message_from(kAliceFrom), alice(), options);
    ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
    const auto& signer = report.layers.at(0).signers.at(0);
    EXPECT_EQ(signer.signature_algorithm, "RSASSA-PSS");
    EXPECT_EQ(signer.digest_algorithm, "sha384");
  }
}

TEST(SignOpen, EcdsaWithCarolIsValid) {
  const Identity& carol = demo_identity("carol");
  for (SignFormat format : {SignFormat::Detached, SignFormat::Opaque}) {
    SignOptions options;
    options.format = format;
    const Report report =
        sign_and_open(message_from("Carol Demo <carol@example.org>"), carol, options);
    ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
    const auto& signer = report.layers.at(0).signers.at(0);
    EXPECT_NE(signer.signature_algorithm.find("ecdsa"), std::string::npos)
        << signer.signature_algorithm;
    EXPECT_EQ(signer.certificate->key_description(), "EC P-256");
  }
}

TEST(SignOpen, BobWithRsa3072IsValid) {
  const Report report =
      sign_and_open(message_from("Bob Demo <bob@example.org>"), demo_identity("bob"));
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, Pkcs12IdentityIsValid) {
  const Identity id = load_pkcs12(test::demo("alice.p12"), Secret("demo"));
  const Report report = sign_and_open(message_from(kAliceFrom), id);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, DnEmailSignerIsValid) {
  const Report report = sign_and_open(message_from("DN Email <dnemail@example.org>"),
                                      mailtest::test_identity("dnemail"));
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, SummaryOfAValidMessage) {
  const Report report = sign_and_open(message_from(kAliceFrom), alice());
  EXPECT_EQ(summarize(report),
            "VALID signature by alice@example.org (chain: Alice Demo -> Demo Intermediate CA -> "
            "Demo Root CA)");
}

TEST(SignOpen, EightBitBodyIsQuotedPrintableAndStillVerifies) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "To: Bob Demo <bob@example.org>\n"
      "Subject: Umlaute\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n"
      "\n"
      "Gr\xc3\xbc\xc3\x9f"
      "e aus K\xc3\xb6ln,\n"
      "trailing space here \n"
      "From the desk of Alice\n";
  const std::string signed_message = sign(message, alice());
  EXPECT_NE(signed_message.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos)
      << signed_message;
  EXPECT_TRUE(std::all_of(signed_message.begin(), signed_message.end(),
                          [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
      << "the signed message is not 7-bit";
  EXPECT_NE(signed_message.find("Gr=C3=BC=C3=9F"), std::string::npos) << signed_message;

  const Report report = demo_opener().open(signed_message);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, EightBitBodyWithoutTransferEncodingFieldIsEncodedToo) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: no CTE\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "\n"
      "na\xc3\xafve caf\xc3\xa9\n";
  const std::string signed_message = sign(message, alice());
  EXPECT_TRUE(std::all_of(signed_message.begin(), signed_message.end(),
                          [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  EXPECT_EQ(demo_opener().open(signed_message).verdict, Verdict::Valid);
}

// True when every line of TEXT is at most 998 octets and every byte is 7-bit and not NUL.
bool seven_bit_safe(const std::string& text) {
  std::size_t line = 0;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u == 0) return false;
    line = c == '\n' ? 0 : line + 1;
    if (line > 998) return false;
  }
  return true;
}

TEST(SignOpen, LongLinesAndBareCrAreEncodedAndVerify) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: long\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n" +
      std::string(2000, 'x') + "\nbare\rCR inside\n";
  const std::string signed_message = sign(message, alice());
  EXPECT_TRUE(seven_bit_safe(signed_message));
  EXPECT_NE(signed_message.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
  const Report report = demo_opener().open(signed_message);
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, BinaryAttachmentIsBase64AndVerifies) {
  std::string binary;
  for (int i = 0; i < 600; ++i) binary.push_back(static_cast<char>(i * 7));
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: binary\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"bin\"\n"
      "\n"
      "--bin\n"
      "Content-Type: text/plain\n"
      "\n"
      "attached\n"
      "--bin\n"
      "Content-Type: application/octet-stream\n"
      "Content-Transfer-Encoding: binary\n"
      "\n" +
      binary + "\n--bin--\n";
  const std::string signed_message = sign(message, alice());
  EXPECT_TRUE(seven_bit_safe(signed_message));
  EXPECT_NE(signed_message.find("Content-Transfer-Encoding: base64"), std::string::npos);
  const Report report = demo_opener().open(signed_message);
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, MessageWithoutContentTypeGetsOneAndVerifies) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: bare\n"
      "\n"
      "Just text.\n";
  const std::string signed_message = sign(message, alice());
  const Report report = demo_opener().open(signed_message);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_EQ(report.layers.at(0).content_type, "text/plain");
}

TEST(SignOpen, TopLevelHeadersAreKept) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "To: Bob Demo <bob@example.org>\n"
      "Cc: carol@example.org\n"
      "Subject: Headers stay\n"
      "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
      "Message-ID: <keep-1@example.org>\n"
      "X-Folded: first part\n"
      "\tsecond part\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Body.\n";
  const std::string signed_message = sign(message, alice());
  const auto [header, body] = mailtest::split_message(signed_message);
  for (const char* field :
       {"From: Alice Demo <alice@example.org>\n", "To: Bob Demo <bob@example.org>\n",
        "Cc: carol@example.org\n", "Subject: Headers stay\n",
        "Date: Thu, 26 Nov 2026 10:00:00 +0000\n", "Message-ID: <keep-1@example.org>\n",
        "X-Folded: first part\n\tsecond part\n"}) {
    EXPECT_NE(header.find(field), std::string::npos) << "lost: " << field << "\n" << header;
  }
  // One MIME-Version and one Content-Type on top, and that one is multipart/signed.
  EXPECT_EQ(header.find("MIME-Version:"), header.rfind("MIME-Version:"));
  EXPECT_EQ(header.find("Content-Type:"), header.rfind("Content-Type:"));
  EXPECT_NE(header.find("Content-Type: multipart/signed"), std::string::npos);
  // The original Content-Type went inside, with the body.
  EXPECT_NE(body.find("Content-Type: text/plain; charset=us-ascii"), std::string::npos);

  const Report report = demo_opener().open(signed_message);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_EQ(report.subject, "Headers stay");
}

TEST(SignOpen, LfOutputByDefault) {
  const std::string signed_message = sign(message_from(kAliceFrom), alice());
  EXPECT_EQ(signed_message.find('\r'), std::string::npos);
}

TEST(SignOpen, CrlfOptionWritesOnlyCrlf) {
  SignOptions options;
  options.crlf = true;
  for (SignFormat format : {SignFormat::Detached, SignFormat::Opaque}) {
    options.format = format;
    const std::string signed_message = sign(message_from(kAliceFrom), alice(), options);
    std::size_t lf = 0;
    for (std::size_t i = 0; i < signed_message.size(); ++i) {
      if (signed_message[i] == '\n') {
        ++lf;
        ASSERT_TRUE(i > 0 && signed_message[i - 1] == '\r') << "bare LF at " << i;
      }
      if (signed_message[i] == '\r') {
        ASSERT_TRUE(i + 1 < signed_message.size() && signed_message[i + 1] == '\n')
            << "bare CR at " << i;
      }
    }
    EXPECT_GT(lf, 5u);
    const Report report = demo_opener().open(signed_message);
    ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  }
}

TEST(SignOpen, LineEndConversionInTransitKeepsTheSignatureValid) {
  // Mail moves between LF (local files) and CRLF (the wire); neither may break a signature.
  const std::string lf = sign(message_from(kAliceFrom), alice());
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(demo_opener().open(crlf).verdict, Verdict::Valid);

  SignOptions options;
  options.crlf = true;
  std::string wire = sign(message_from(kAliceFrom), alice(), options);
  std::erase(wire, '\r');
  EXPECT_EQ(demo_opener().open(wire).verdict, Verdict::Valid);
}

TEST(SignOpen, InputWithCrlfLineEndsIsValid) {
  std::string message = message_from(kAliceFrom);
  std::string crlf;
  for (char c : message) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(demo_opener().open(sign(crlf, alice())).verdict, Verdict::Valid);
}

TEST(SignOpen, MultipartWithAttachmentIsValid) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "To: Bob Demo <bob@example.org>\n"
      "Subject: With attachment\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"inner\"\n"
      "\n"
      "--inner\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "See the attachment.\n"
      "--inner\n"
      "Content-Type: application/octet-stream; name=\"data.bin\"\n"
      "Content-Disposition: attachment; filename=\"data.bin\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
      "--inner--\n";
  const Report report = sign_and_open(message, alice());
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_EQ(report.layers.at(0).content_type, "multipart/mixed");
}

TEST(SignOpen, MboxFromLineIsNotAHeader) {
  const std::string message =
      "From alice@example.org Thu Nov 26 10:00:00 2026\n" + message_from(kAliceFrom);
  const std::string signed_message = sign(message, alice());
  EXPECT_NE(signed_message.rfind("From: Alice Demo <alice@example.org>\n", 0), std::string::npos)
      << signed_message.substr(0, 200);
  EXPECT_EQ(demo_opener().open(signed_message).verdict, Verdict::Valid);
}

TEST(SignOpen, FromSpaceLinesSurviveMboxQuoting) {
  // mbox writers turn a body line "From ..." into ">From ..."; RFC 8551 §3.1.3 asks signers to
  // encode such lines so that the signature survives. Nothing inside the signed entity may
  // start with "From ".
  const std::string body = "Hello Bob,\n\nFrom now on, sign everything.\n\nAlice\n";
  const std::string signed_message = sign(message_from(kAliceFrom, "", body), alice());
  const auto [header, signed_body] = mailtest::split_message(signed_message);
  EXPECT_EQ(("\n" + signed_body).find("\nFrom "), std::string::npos) << signed_body;

  std::string quoted = signed_message;
  for (std::size_t at = 0; (at = quoted.find("\nFrom ", at)) != std::string::npos; at += 2) {
    quoted.insert(at + 1, ">");
  }
  const Report report = demo_opener().open(quoted);
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, NotAMessageIsInputError) {
  for (const std::string& bad : {std::string(""), std::string("garbage without headers"),
                                std::string("\n\n\n"), std::string(" continuation: first\n\nx")}) {
    try {
      (void)sign(bad, alice());
      ADD_FAILURE() << "signed \"" << bad << "\"";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Input) << bad << ": " << e.what();
    }
  }
}

TEST(SignOpen, SignaturesDifferButBothVerify) {
  // A fresh boundary and signing time each time; both outputs verify on their own.
  const std::string a = sign(message_from(kAliceFrom), alice());
  const std::string b = sign(message_from(kAliceFrom), alice());
  EXPECT_NE(a, b);
  EXPECT_EQ(demo_opener().open(a).verdict, Verdict::Valid);
  EXPECT_EQ(demo_opener().open(b).verdict, Verdict::Valid);
}

TEST(SignOpen, SignedTwiceHasTwoWholeMessageLayers) {
  const std::string once = sign(message_from(kAliceFrom), alice());
  SignOptions opaque;
  opaque.format = SignFormat::Opaque;
  const std::string twice = sign(once, alice(), opaque);
  const Report report = demo_opener().open(twice);
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  ASSERT_EQ(report.layers.size(), 1u);
  EXPECT_TRUE(report.layers[0].opaque);
  EXPECT_EQ(report.layers[0].content_type, "multipart/signed");
  ASSERT_EQ(report.layers[0].children.size(), 1u);
  EXPECT_FALSE(report.layers[0].children[0].opaque);
  EXPECT_TRUE(report.layers[0].children[0].covers_whole_message);
  EXPECT_EQ(report.whole_message_signers().size(), 2u);
}

TEST(SignOpen, OuterSignatureByAnotherSignerMustBindToo) {
  // Alice signs, Bob signs around it; the From is Alice, which Bob's certificate does not name.
  const std::string once = sign(message_from(kAliceFrom), alice());
  const Report report = demo_opener().open(sign(once, demo_identity("bob")));
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_TRUE(mailtest::has_problem(report, Status::AddressMismatch)) << describe(report);
}

TEST(SignOpen, ParseDigestAlgorithm) {
  EXPECT_EQ(parse_digest_algorithm("sha256"), DigestAlgorithm::Sha256);
  EXPECT_EQ(parse_digest_algorithm("SHA-256"), DigestAlgorithm::Sha256);
  EXPECT_EQ(parse_digest_algorithm("sha384"), DigestAlgorithm::Sha384);
  EXPECT_EQ(parse_digest_algorithm("sha-512"), DigestAlgorithm::Sha512);
  EXPECT_FALSE(parse_digest_algorithm("sha1").has_value());
  EXPECT_FALSE(parse_digest_algorithm("md5").has_value());
  EXPECT_FALSE(parse_digest_algorithm("").has_value());
}

TEST(SignOpen, NoAnchorsMeansNotValid) {
  const Opener opener{OpenOptions{}};
  const Report report = opener.open(sign(message_from(kAliceFrom), alice()));
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  ASSERT_EQ(report.layers.at(0).signers.size(), 1u);
  EXPECT_EQ(report.layers[0].signers[0].signature, Status::Ok);  // the crypto is fine
  EXPECT_FALSE(report.layers[0].signers[0].trust.trusted);
}

TEST(SignOpen, WrongAnchorMeansNotValid) {
  OpenOptions options;
  options.trust.anchors = load_certificates(test::test_cert("unrelated-root.pem"));
  const Opener opener(std::move(options));
  const Report report = opener.open(sign(message_from(kAliceFrom), alice()));
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
}

TEST(SignOpen, TrustProblemsOfTestSignersMakeItInvalid) {
  struct Case {
    const char* name;
    Status status;
  };
  OpenOptions options;
  options.trust.anchors = load_certificates(test::demo("root.pem"));
  options.trust.crls = load_crls(test::test_cert("revoked.crl.pem"));
  const Opener opener(std::move(options));
  for (const Case& c : {Case{"expired", Status::CertExpired}, Case{"notyet", Status::CertNotYetValid},
                        Case{"revoked", Status::Revoked},
                        Case{"serverauth", Status::ExtKeyUsageForbidsEmail},
                        Case{"keyenc", Status::KeyUsageForbidsSigning},
                        Case{"noemail", Status::NoEmailInCertificate},
                        Case{"sha1", Status::UntrustedHash}}) {
    const std::string from = std::string(c.name) + "@example.org";
    const Report report =
        opener.open(sign(message_from("Test <" + from + ">"), mailtest::test_identity(c.name)));
    EXPECT_EQ(report.verdict, Verdict::Invalid) << c.name << ": " << describe(report);
    EXPECT_TRUE(mailtest::has_problem(report, c.status))
        << c.name << " lacks " << status_name(c.status) << ": " << describe(report);
    EXPECT_FALSE(report.reasons.empty()) << c.name;
  }
}

TEST(SignOpen, Rsa1024SignerIsWeakKey) {
  // docs/spec.md, "Each signer" 3: keys must be at least 110-bit strong (RSA-2048, P-256).
  const Report report = demo_opener().open(
      sign(message_from("Test <rsa1024@example.org>"), mailtest::test_identity("rsa1024")));
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_TRUE(mailtest::has_problem(report, Status::WeakKey)) << describe(report);
  EXPECT_FALSE(report.reasons.empty());
}

TEST(SignOpen, AllowSha1AcceptsTheSha1Certificate) {
  OpenOptions options;
  options.trust.anchors = load_certificates(test::demo("root.pem"));
  options.trust.allow_sha1 = true;
  const Opener opener(std::move(options));
  const Report report =
      opener.open(sign(message_from("SHA1 <sha1@example.org>"), mailtest::test_identity("sha1")));
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(SignOpen, OpenerIsMovable) {
  OpenOptions options;
  options.trust.anchors = load_certificates(test::demo("root.pem"));
  Opener first(std::move(options));
  Opener second = std::move(first);
  EXPECT_EQ(second.open(sign(message_from(kAliceFrom), alice())).verdict, Verdict::Valid);
}

}  // namespace
}  // namespace smimekit

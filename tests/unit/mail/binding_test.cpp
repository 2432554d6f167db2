// The From (and Sender) of the message must be named by the signer certificate.
#include "mail_helpers.h"

namespace smimekit {
namespace {

using mailtest::alice;
using mailtest::demo_opener;
using mailtest::describe;
using mailtest::has_problem;
using mailtest::test_identity;

// A message with the header block HEADER (each line ending in \n, no Content-Type).
std::string with_header(const std::string& header) {
  return header +
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Binding\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Body.\n";
}

Report open_signed(const std::string& header, const Identity& signer) {
  return demo_opener().open(sign(with_header(header), signer));
}

void expect_mismatch(const Report& report, Status status = Status::AddressMismatch) {
  EXPECT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  EXPECT_TRUE(has_problem(report, status))
      << "no " << status_name(status) << ": " << describe(report);
  EXPECT_FALSE(report.reasons.empty());
}

TEST(Binding, MatchingFromIsValid) {
  EXPECT_EQ(open_signed("From: Alice Demo <alice@example.org>\n", alice()).verdict, Verdict::Valid);
  EXPECT_EQ(open_signed("From: alice@example.org\n", alice()).verdict, Verdict::Valid);
}

TEST(Binding, DomainCaseDoesNotMatter) {
  const Report report = open_signed("From: Alice <alice@EXAMPLE.ORG>\n", alice());
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(Binding, LocalPartCaseMatters) {
  expect_mismatch(open_signed("From: Alice <ALICE@example.org>\n", alice()));
}

TEST(Binding, FromEveSignedByAliceIsInvalid) {
  const Report report = open_signed("From: Eve <eve@example.org>\n", alice());
  expect_mismatch(report);
  EXPECT_TRUE(mailtest::reasons_mention(report, "signer address does not match From"))
      << describe(report);
  // The signature and the chain themselves are fine.
  const auto& signer = report.layers.at(0).signers.at(0);
  EXPECT_EQ(signer.signature, Status::Ok);
  EXPECT_TRUE(signer.trust.trusted);
  EXPECT_EQ(report.from, std::vector<std::string>{"eve@example.org"});
}

TEST(Binding, TwoFromFieldsAreInvalid) {
  expect_mismatch(open_signed("From: Alice Demo <alice@example.org>\nFrom: Eve <eve@example.org>\n",
                              alice()));
  expect_mismatch(open_signed("From: Eve <eve@example.org>\nFrom: Alice Demo <alice@example.org>\n",
                              alice()));
  // Field names are case-insensitive: "from:" is a second From.
  expect_mismatch(open_signed("From: Alice Demo <alice@example.org>\nfrom: Eve <eve@example.org>\n",
                              alice()));
}

TEST(Binding, TwoMailboxesInOneFromAreInvalid) {
  expect_mismatch(
      open_signed("From: Alice Demo <alice@example.org>, Eve <eve@example.org>\n", alice()));
}

TEST(Binding, DisplayNameHoldingAnotherAddressIsInvalid) {
  const Identity eve = test_identity("eve");
  expect_mismatch(open_signed("From: \"manager@example.org\" <eve@example.org>\n", eve));
  expect_mismatch(open_signed("From: \"Manager (manager@example.org)\" <eve@example.org>\n", eve));
}

TEST(Binding, CommentHoldingAnotherAddressIsInvalid) {
  // The old form "addr (Full Name)": the comment is what many readers show as the name.
  expect_mismatch(open_signed("From: eve@example.org (manager@example.org)\n", test_identity("eve")));
}

TEST(Binding, EncodedDisplayNameHoldingAnotherAddressIsInvalid) {
  // RFC 2047 hides the address from a naive look at the raw field, not from the reader.
  const Identity eve = test_identity("eve");
  expect_mismatch(open_signed("From: =?utf-8?q?manager=40example=2Eorg?= <eve@example.org>\n", eve));
}

TEST(Binding, DisplayNameHoldingTheSameAddressIsValid) {
  const Identity eve = test_identity("eve");
  const Report report = open_signed("From: \"eve@example.org\" <eve@example.org>\n", eve);
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(Binding, EveSigningAsHerselfIsValid) {
  const Report report = open_signed("From: Eve <eve@example.org>\n", test_identity("eve"));
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(Binding, SenderThatDiffersIsInvalid) {
  expect_mismatch(
      open_signed("From: Alice Demo <alice@example.org>\nSender: Eve <eve@example.org>\n", alice()));
}

TEST(Binding, SenderThatMatchesIsValid) {
  const Report report = open_signed(
      "From: Alice Demo <alice@example.org>\nSender: Alice <alice@example.org>\n", alice());
  EXPECT_EQ(report.verdict, Verdict::Valid) << describe(report);
}

TEST(Binding, TwoSenderFieldsAreInvalid) {
  expect_mismatch(open_signed(
      "From: Alice Demo <alice@example.org>\nSender: alice@example.org\nSender: eve@example.org\n",
      alice()));
}

TEST(Binding, NoFromIsInvalid) {
  expect_mismatch(open_signed("", alice()), Status::NoFromAddress);
  expect_mismatch(open_signed("From: undisclosed-senders:;\n", alice()), Status::NoFromAddress);
}

TEST(Binding, NoEmailInTheCertificateIsInvalid) {
  expect_mismatch(open_signed("From: No Email <noemail@example.org>\n", test_identity("noemail")),
                  Status::NoEmailInCertificate);
}

TEST(Binding, DnEmailBindsThroughTheSubjectDn) {
  const Identity dn = test_identity("dnemail");
  EXPECT_EQ(open_signed("From: DN <dnemail@example.org>\n", dn).verdict, Verdict::Valid);
  expect_mismatch(open_signed("From: DN <alice@example.org>\n", dn));
}

TEST(Binding, BindingIsCheckedForOpaqueSignaturesToo) {
  SignOptions options;
  options.format = SignFormat::Opaque;
  const Report report = demo_opener().open(
      sign(with_header("From: Eve <eve@example.org>\n"), alice(), options));
  expect_mismatch(report);
}

}  // namespace
}  // namespace smimekit

// Report helpers, summarize() and to_json(): the machine-readable form of a verdict.
#include <nlohmann/json.hpp>

#include <regex>

#include "mail_helpers.h"
#include "smimekit/time.h"

namespace smimekit {
namespace {

using mailtest::alice;
using mailtest::demo_opener;
using mailtest::describe;
using mailtest::message_from;
using nlohmann::json;

const std::string kAliceFrom = "Alice Demo <alice@example.org>";

json parse_json(const std::string& text) {
  EXPECT_EQ(text.find('\n'), std::string::npos) << "not one line: " << text;
  return json::parse(text);
}

TEST(Json, ValidReport) {
  const Report report = demo_opener().open(sign(message_from(kAliceFrom), alice()));
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  const json j = parse_json(to_json(report, "inbox/msg-1.eml"));

  EXPECT_EQ(j.at("file"), "inbox/msg-1.eml");
  EXPECT_EQ(j.at("verdict"), "valid");
  ASSERT_TRUE(j.at("reasons").is_array());
  EXPECT_TRUE(j.at("reasons").empty());
  EXPECT_EQ(j.at("partially_signed"), false);
  EXPECT_EQ(j.at("from"), json::array({"alice@example.org"}));
  EXPECT_EQ(j.at("subject"), "Test message");

  ASSERT_TRUE(j.at("layers").is_array());
  ASSERT_EQ(j.at("layers").size(), 1u);
  const json& layer = j.at("layers")[0];
  EXPECT_EQ(layer.at("kind"), "signed");
  EXPECT_EQ(layer.at("part"), "");
  EXPECT_EQ(layer.at("covers_whole_message"), true);
  EXPECT_EQ(layer.at("opaque"), false);
  EXPECT_EQ(layer.at("content_type"), "text/plain");
  EXPECT_TRUE(layer.at("error").is_null());
  EXPECT_EQ(layer.at("signers").size(), 1u);

  ASSERT_TRUE(j.at("signers").is_array());
  ASSERT_EQ(j.at("signers").size(), 1u);
  const json& signer = j.at("signers")[0];
  EXPECT_EQ(signer.at("emails"), json::array({"alice@example.org"}));
  EXPECT_EQ(signer.at("subject"), "CN=Alice Demo, O=smimekit demo");
  EXPECT_EQ(signer.at("issuer"), "CN=Demo Intermediate CA, O=smimekit demo");
  EXPECT_EQ(signer.at("fingerprint_sha256"), alice().certificate.fingerprint_sha256());
  EXPECT_EQ(signer.at("serial"), alice().certificate.serial_hex());
  EXPECT_EQ(signer.at("status"), "valid");
  EXPECT_EQ(signer.at("signature"), "ok");
  EXPECT_EQ(signer.at("trusted"), true);
  EXPECT_EQ(signer.at("digest_algorithm"), "sha256");
  EXPECT_EQ(signer.at("signature_algorithm"), "rsaEncryption");
  EXPECT_TRUE(signer.at("problems").empty());
  ASSERT_TRUE(signer.at("signing_time").is_string());
  const std::string when = signer.at("signing_time");
  EXPECT_TRUE(std::regex_match(when, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"))) << when;
  EXPECT_EQ(when, format_time(*report.layers[0].signers[0].signing_time));

  ASSERT_EQ(signer.at("chain").size(), 3u);
  EXPECT_EQ(signer.at("chain")[0].at("subject"), "CN=Alice Demo, O=smimekit demo");
  EXPECT_EQ(signer.at("chain")[1].at("subject"), "CN=Demo Intermediate CA, O=smimekit demo");
  EXPECT_EQ(signer.at("chain")[2].at("subject"), "CN=Demo Root CA, O=smimekit demo");
  EXPECT_EQ(signer.at("chain")[0].at("fingerprint_sha256"), alice().certificate.fingerprint_sha256());
}

TEST(Json, InvalidReportNamesTheProblem) {
  const Report report =
      demo_opener().open(sign(message_from("Eve <eve@example.org>"), alice()));
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  const json j = parse_json(to_json(report, "spoof.eml"));
  EXPECT_EQ(j.at("file"), "spoof.eml");
  EXPECT_EQ(j.at("verdict"), "invalid");
  ASSERT_FALSE(j.at("reasons").empty());
  EXPECT_NE(j.at("reasons")[0].get<std::string>().find("signer address does not match From"),
            std::string::npos);
  ASSERT_EQ(j.at("signers").size(), 1u);
  const json& signer = j.at("signers")[0];
  EXPECT_EQ(signer.at("status"), "invalid");
  EXPECT_EQ(signer.at("problems"), json::array({"address_mismatch"}));
  EXPECT_EQ(signer.at("emails"), json::array({"alice@example.org"}));
  EXPECT_EQ(j.at("from"), json::array({"eve@example.org"}));
}

TEST(Json, ExpiredChainStatusesAppearOnTheirLink) {
  const Report report = demo_opener().open(
      sign(message_from("Expired <expired@example.org>"), mailtest::test_identity("expired")));
  ASSERT_EQ(report.verdict, Verdict::Invalid) << describe(report);
  const json j = parse_json(to_json(report, "expired.eml"));
  const json& signer = j.at("signers").at(0);
  EXPECT_EQ(signer.at("trusted"), false);
  const auto& problems = signer.at("problems");
  EXPECT_NE(std::find(problems.begin(), problems.end(), json("cert_expired")), problems.end())
      << problems.dump();
  const auto& leaf_statuses = signer.at("chain").at(0).at("statuses");
  EXPECT_NE(std::find(leaf_statuses.begin(), leaf_statuses.end(), json("cert_expired")),
            leaf_statuses.end())
      << signer.dump();
}

TEST(Json, UnsignedAndErrorReports) {
  const json unsigned_j = parse_json(to_json(demo_opener().open(message_from(kAliceFrom)), "u.eml"));
  EXPECT_EQ(unsigned_j.at("verdict"), "unsigned");
  EXPECT_TRUE(unsigned_j.at("layers").empty());
  EXPECT_TRUE(unsigned_j.at("signers").empty());
  EXPECT_FALSE(unsigned_j.at("reasons").empty());

  const json error_j = parse_json(to_json(demo_opener().open(""), "e.eml"));
  EXPECT_EQ(error_j.at("verdict"), "error");
  EXPECT_EQ(error_j.at("file"), "e.eml");
  EXPECT_FALSE(error_j.at("reasons").empty());
  EXPECT_TRUE(error_j.at("signers").empty());
}

TEST(Json, PartiallySignedReport) {
  const Report report =
      demo_opener().open(mailtest::wrap_in_mixed(sign(message_from(kAliceFrom), alice())));
  const json j = parse_json(to_json(report, "partial.eml"));
  EXPECT_EQ(j.at("verdict"), "invalid");
  EXPECT_EQ(j.at("partially_signed"), true);
  ASSERT_EQ(j.at("signers").size(), 1u);
  EXPECT_EQ(j.at("signers")[0].at("part"), "2");
  EXPECT_EQ(j.at("signers")[0].at("covers_whole_message"), false);
}

TEST(Json, HostileBytesStillGiveValidJson) {
  // Raw 8-bit bytes in the header and a file name that is not UTF-8.
  const std::string message =
      "From: \xff\xfe Alice <alice@example.org>\n"
      "Subject: caf\xe9 \x01\x02 \"quoted\" \\ back\n"
      "\n"
      "body\n";
  const Report report = demo_opener().open(message);
  const std::string text = to_json(report, std::string("na\xefve\n\"name\".eml"));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_TRUE(json::accept(text)) << text;
}

TEST(Json, EncodedSubjectIsDecoded) {
  const std::string message =
      "From: Alice Demo <alice@example.org>\n"
      "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus =?iso-8859-1?q?K=F6ln?=\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Hello.\n";
  const Report report = demo_opener().open(sign(message, alice()));
  ASSERT_EQ(report.verdict, Verdict::Valid) << describe(report);
  EXPECT_EQ(report.subject, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
  const json j = parse_json(to_json(report, "subject.eml"));
  EXPECT_EQ(j.at("subject"), "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln");
}

TEST(Json, VerdictNames) {
  EXPECT_EQ(verdict_name(Verdict::Valid), "valid");
  EXPECT_EQ(verdict_name(Verdict::Invalid), "invalid");
  EXPECT_EQ(verdict_name(Verdict::Unsigned), "unsigned");
  EXPECT_EQ(verdict_name(Verdict::Error), "error");
}

TEST(ReportModel, SignerProblemsListTheFirstErrorFirst) {
  SignerReport signer;
  signer.trust.trusted = true;
  EXPECT_TRUE(signer.ok());
  signer.signature = Status::SignatureInvalid;
  signer.policy = {Status::NoSigningTime, Status::AddressMismatch};
  const auto problems = signer.problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], Status::SignatureInvalid);
  EXPECT_EQ(problems[1], Status::AddressMismatch);  // warnings are not problems
  EXPECT_FALSE(signer.ok());
}

TEST(ReportModel, UntrustedWithoutStatusesIsStillAProblem) {
  SignerReport signer;
  signer.trust.trusted = false;
  EXPECT_FALSE(signer.ok());
  EXPECT_FALSE(signer.problems().empty());
}

TEST(ReportModel, SummaryOfAnInvalidMessageGivesTheReasons) {
  const Report report =
      demo_opener().open(sign(message_from("Eve <eve@example.org>"), alice()));
  const std::string summary = summarize(report);
  EXPECT_EQ(summary.rfind("INVALID: ", 0), 0u) << summary;
  EXPECT_NE(summary.find("signature by alice@example.org"), std::string::npos) << summary;
  EXPECT_NE(summary.find("signer address does not match From"), std::string::npos) << summary;
}

}  // namespace
}  // namespace smimekit

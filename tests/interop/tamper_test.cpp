// Tampering, checked across implementations: one byte of the signed content changed after
// signing must fail on both sides, whoever signed.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "openssl_support.h"

namespace smimekit::interop {
namespace {

using test::smimekit;

enum class Format { Detached, Opaque };

struct TamperCase {
  Signer signer;
  Format format;
};

void PrintTo(const TamperCase& c, std::ostream* os) {
  *os << c.signer.name << (c.format == Format::Detached ? " detached" : " opaque");
}

std::string tamper_name(const testing::TestParamInfo<TamperCase>& info) {
  return info.param.signer.name +
         (info.param.format == Format::Detached ? "_detached" : "_opaque");
}

std::vector<TamperCase> tamper_cases() {
  std::vector<TamperCase> cases;
  for (const Signer& s : {alice(), carol()}) {
    for (Format f : {Format::Detached, Format::Opaque}) cases.push_back({s, f});
  }
  return cases;
}

// Changes one byte of the signed body text: "test" becomes "best". In a detached message
// the text is in the clear; in an opaque one it is inside the DER of the SignedData (an
// OCTET STRING, stored as it is), so the base64 is decoded, the byte changed, and the
// message re-encoded with the same header.
std::string tamper(const std::string& message, Format format) {
  if (format == Format::Detached) {
    return replace_first(message, "this is a test message.", "this is a best message.");
  }
  const Split parts = split_header(message);
  std::string der = base64_decode(parts.body);
  der = replace_first(der, "this is a test message.", "this is a best message.");
  std::string body = base64_encode(der);
  if (parts.header.find("\r\n") != std::string::npos) body = to_crlf(body);
  return parts.header + body;
}

// A message openssl can only reject, and smimekit must call INVALID (exit 1): the
// signature is intact as a structure, only the content no longer matches.
void expect_rejected_by_both(const TempDir& dir, const std::string& tampered) {
  const OpensslVerify v = openssl_verify(dir, tampered);
  EXPECT_FALSE(v.ok()) << "openssl accepted a tampered message:\n" << tampered;
  EXPECT_NE(v.run.err.find("Verification failure"), std::string::npos) << describe(v.run);

  const RunResult r = smimekit_verify(dir, tampered);
  EXPECT_EQ(r.exit_code, 1) << describe(r) << "\n--- message ---\n" << tampered;
  EXPECT_EQ(r.out.find("VALID signature"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("INVALID"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the signature does not match the content"), std::string::npos) << r.out;
}

class InteropOpensslTamper : public testing::TestWithParam<TamperCase> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslTamper, SignedByOpensslOneByteChanged) {
  const TamperCase& c = GetParam();
  const auto in = dir / "entity.txt";
  const auto out = dir / "signed.eml";
  test::write(in, sample_entity());
  std::vector<std::string> args{"cms", "-sign", "-in", in.string(), "-signer", c.signer.cert,
                                "-inkey", c.signer.key, "-certfile",
                                demo_path("intermediate.pem"), "-from", c.signer.email, "-out",
                                out.string()};
  if (c.format == Format::Opaque) args.push_back("-nodetach");
  const RunResult sign = openssl(args);
  ASSERT_EQ(sign.exit_code, 0) << describe(sign);
  const std::string signed_message = test::read(out);

  // The untouched message is valid on both sides, so the change is what makes it fail.
  ASSERT_TRUE(openssl_verify(dir, signed_message).ok());
  const RunResult before = smimekit_verify(dir, signed_message);
  ASSERT_EQ(before.exit_code, 0) << describe(before);

  expect_rejected_by_both(dir, tamper(signed_message, c.format));
}

TEST_P(InteropOpensslTamper, SignedBySmimekitOneByteChanged) {
  const TamperCase& c = GetParam();
  const auto in = dir / "message.eml";
  test::write(in, test::sample_message(c.signer.mailbox));
  std::vector<std::string> args{"sign"};
  args.insert(args.end(), c.signer.smimekit_identity.begin(), c.signer.smimekit_identity.end());
  if (c.format == Format::Opaque) args.push_back("--opaque");
  args.push_back(in.string());
  const RunResult sign = smimekit(args);
  ASSERT_EQ(sign.exit_code, 0) << describe(sign);
  const std::string signed_message = sign.out;

  ASSERT_TRUE(openssl_verify(dir, signed_message).ok());
  const RunResult before = smimekit_verify(dir, signed_message);
  ASSERT_EQ(before.exit_code, 0) << describe(before);

  expect_rejected_by_both(dir, tamper(signed_message, c.format));
}

INSTANTIATE_TEST_SUITE_P(Cases, InteropOpensslTamper, testing::ValuesIn(tamper_cases()),
                         tamper_name);

}  // namespace
}  // namespace smimekit::interop

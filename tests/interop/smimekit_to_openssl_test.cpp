// smimekit signs, `openssl cms -verify` checks: every signer, format, digest and line-end
// option, and messages whose content needs a transfer encoding to survive transport.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "openssl_support.h"

namespace smimekit::interop {
namespace {

using test::smimekit;

enum class Format { Detached, Opaque };

std::string format_name(Format f) { return f == Format::Detached ? "detached" : "opaque"; }

// Signs MESSAGE with smimekit; fails the test when smimekit does not exit 0.
std::string smimekit_sign(const TempDir& dir, const std::string& message, const Signer& signer,
                          const std::vector<std::string>& options) {
  const auto in = dir / "to-sign.eml";
  test::write(in, message);
  std::vector<std::string> args{"sign"};
  args.insert(args.end(), signer.smimekit_identity.begin(), signer.smimekit_identity.end());
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(in.string());
  const RunResult r = smimekit(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return r.out;
}

// The SignerInfo part of `openssl cms -cmsout -print`.
std::string signer_infos(const std::string& printed) {
  const std::size_t pos = printed.find("signerInfos:");
  return pos == std::string::npos ? std::string() : printed.substr(pos);
}

// ---------------------------------------------------------------------------------------
// The matrix: signer x format x digest x PSS x CRLF.

struct SignCase {
  Signer signer;
  Format format;
  std::string digest;  // sha256, sha384, sha512
  bool pss;
  bool crlf;
};

std::string case_name(const testing::TestParamInfo<SignCase>& info) {
  const SignCase& c = info.param;
  return c.signer.name + "_" + format_name(c.format) + "_" + c.digest + (c.pss ? "_pss" : "") +
         (c.crlf ? "_crlf" : "_lf");
}

// For readable test names in ctest (instead of a byte dump).
void PrintTo(const SignCase& c, std::ostream* os) {
  *os << c.signer.name << " " << format_name(c.format) << " " << c.digest << (c.pss ? " pss" : "")
      << (c.crlf ? " crlf" : " lf");
}

std::vector<SignCase> sign_cases() {
  std::vector<SignCase> cases;
  for (const Signer& s : {alice(), bob(), carol()}) {
    for (Format f : {Format::Detached, Format::Opaque}) {
      for (const char* d : {"sha256", "sha384", "sha512"}) {
        for (bool pss : {false, true}) {
          if (pss && !s.rsa) continue;  // PSS is RSA only; EC + --pss is refused (see below)
          for (bool crlf : {false, true}) cases.push_back({s, f, d, pss, crlf});
        }
      }
    }
  }
  return cases;
}

class InteropOpensslSign : public testing::TestWithParam<SignCase> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslSign, OpensslVerifiesAndExtractsTheCanonicalEntity) {
  const SignCase& c = GetParam();
  std::vector<std::string> options{"--digest", c.digest};
  if (c.format == Format::Opaque) options.push_back("--opaque");
  if (c.pss) options.push_back("--pss");
  if (c.crlf) options.push_back("--crlf");
  // From names the signer, so that smimekit's own check binds too.
  const std::string signed_message =
      smimekit_sign(dir, test::sample_message(c.signer.mailbox), c.signer, options);
  ASSERT_FALSE(signed_message.empty());

  // Line ends as asked for.
  const bool has_crlf = signed_message.find("\r\n") != std::string::npos;
  EXPECT_EQ(has_crlf, c.crlf);
  if (c.crlf) {
    EXPECT_EQ(to_crlf(signed_message), signed_message) << "a bare LF in --crlf output";
  }

  // The outer header stays outside; the S/MIME structure is what RFC 8551 §3.5 says.
  EXPECT_EQ(signed_message.rfind("From: " + c.signer.mailbox, 0), 0u) << signed_message;
  const std::string header = to_lf(split_header(signed_message).header);
  if (c.format == Format::Detached) {
    EXPECT_NE(header.find("multipart/signed"), std::string::npos) << header;
    EXPECT_NE(header.find("protocol=\"application/pkcs7-signature\""), std::string::npos) << header;
    const std::string micalg = "micalg=sha-" + c.digest.substr(3);
    EXPECT_NE(header.find(micalg), std::string::npos) << "no " << micalg << " in\n" << header;
  } else {
    EXPECT_NE(header.find("application/pkcs7-mime; smime-type=signed-data"), std::string::npos)
        << header;
  }

  const OpensslVerify v = openssl_verify(dir, signed_message);
  ASSERT_TRUE(v.ok()) << describe(v.run) << "\n--- message ---\n" << signed_message;
  EXPECT_NE(v.run.err.find("Verification successful"), std::string::npos) << v.run.err;
  // What openssl says was signed is the canonical entity: Content-* header, CRLF, 7-bit.
  EXPECT_EQ(v.content, sample_canonical_entity());
  EXPECT_NE(v.content.find("this is a test message."), std::string::npos);
  if (c.format == Format::Detached) {
    // ... and it is byte for byte the first part of the multipart/signed.
    EXPECT_EQ(v.content, detached_entity(signed_message));
  }

  // The algorithms asked for are the ones in the SignerInfo.
  const std::string si = signer_infos(openssl_print(dir, signed_message));
  ASSERT_FALSE(si.empty());
  EXPECT_NE(si.find("algorithm: " + c.digest + " ("), std::string::npos) << si;
  if (c.pss) {
    EXPECT_NE(si.find("algorithm: rsassaPss"), std::string::npos) << si;
  } else if (c.signer.rsa) {
    EXPECT_NE(si.find("algorithm: rsaEncryption"), std::string::npos) << si;
  } else {
    const std::string upper = "SHA" + c.digest.substr(3);
    EXPECT_NE(si.find("algorithm: ecdsa-with-" + upper), std::string::npos) << si;
  }

  // And smimekit reads its own output back.
  const RunResult own = smimekit_verify(dir, signed_message);
  EXPECT_EQ(own.exit_code, 0) << describe(own);
  EXPECT_NE(own.out.find("VALID signature by " + c.signer.email), std::string::npos) << own.out;
}

INSTANTIATE_TEST_SUITE_P(Matrix, InteropOpensslSign, testing::ValuesIn(sign_cases()), case_name);

// RSASSA-PSS is an RSA padding; an EC key cannot use it, and smimekit says so (exit 64)
// instead of silently signing with ECDSA. This is the one combination of the matrix above
// that cannot work.
TEST(InteropOpensslSignRefused, PssWithAnEcKeyIsAUsageError) {
  TempDir dir;
  const auto in = dir / "msg.eml";
  test::write(in, test::sample_message("Carol Demo <carol@example.org>"));
  std::vector<std::string> args{"sign"};
  const Signer s = carol();
  args.insert(args.end(), s.smimekit_identity.begin(), s.smimekit_identity.end());
  args.insert(args.end(), {"--pss", in.string()});
  const RunResult r = smimekit(args);
  EXPECT_EQ(r.exit_code, 64) << describe(r);
  EXPECT_NE(r.err.find("--pss"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "nothing may be written when signing is refused";
}

// ---------------------------------------------------------------------------------------
// Content that would not survive 7-bit transport as it is: smimekit must give it a
// transfer encoding before signing (RFC 8551 §3.1.2, §3.1.3), and the result must still
// verify with openssl and with smimekit.

struct OddCase {
  std::string name;
  std::string content_header;  // Content-* fields of the message ("" for none)
  std::string body;            // LF line ends
};

const std::string kLongLine = std::string(1500, 'x') + "y";

void PrintTo(const OddCase& c, std::ostream* os) { *os << c.name; }

std::vector<OddCase> odd_cases() {
  const std::string utf8 = "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \xe2\x80\x94 5 \xe2\x82\xac\n";
  const std::string common = "Hello Bob,\n\nthis is a test message.\n";
  return {
      {"utf8_8bit", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
       common + utf8 + "\nAlice\n"},
      {"utf8_no_content_type", "", common + utf8 + "\nAlice\n"},
      {"long_line", "Content-Type: text/plain; charset=us-ascii\n",
       common + kLongLine + "\nAlice\n"},
      {"trailing_spaces", "Content-Type: text/plain; charset=us-ascii\n",
       common + "three spaces after this   \na tab after this\t\nAlice\n"},
      {"from_line", "Content-Type: text/plain; charset=us-ascii\n",
       common + "From here on, mbox files would quote this line.\nAlice\n"},
      {"everything", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
       common + utf8 + "trailing space \n" + "From the start of a line\n" + kLongLine + "\nAlice\n"},
  };
}

std::string odd_message(const OddCase& c) {
  return "From: Alice Demo <alice@example.org>\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: odd content\n"
         "MIME-Version: 1.0\n" +
         c.content_header + "\n" + c.body;
}

using OddParam = std::tuple<OddCase, Format>;

class InteropOpensslOddContent : public testing::TestWithParam<OddParam> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslOddContent, IsEncodedAndVerifiesBothWays) {
  const auto& [c, format] = GetParam();
  std::vector<std::string> options;
  if (format == Format::Opaque) options.push_back("--opaque");
  const std::string signed_message = smimekit_sign(dir, odd_message(c), alice(), options);
  ASSERT_FALSE(signed_message.empty());

  const OpensslVerify v = openssl_verify(dir, signed_message);
  ASSERT_TRUE(v.ok()) << describe(v.run) << "\n--- message ---\n" << signed_message;
  if (format == Format::Detached) {
    EXPECT_EQ(v.content, detached_entity(signed_message));
  }

  // The signed entity is safe for any transport: 7-bit, short lines, no trailing white
  // space, quoted-printable.
  const Split entity = split_header(v.content);
  EXPECT_TRUE(seven_bit(v.content)) << v.content;
  EXPECT_LE(longest_line(v.content), 76u) << v.content;
  EXPECT_FALSE(has_trailing_white_space(v.content)) << v.content;
  EXPECT_NE(entity.header.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos)
      << entity.header;
  // The text means the same after decoding, byte for byte (line ends aside).
  EXPECT_EQ(to_lf(qp_decode(entity.body)), c.body);
  if (c.content_header.empty()) {
    // A message without Content-Type but with 8-bit text gets charset=utf-8, not us-ascii.
    EXPECT_NE(entity.header.find("charset=utf-8"), std::string::npos) << entity.header;
  }

  const RunResult own = smimekit_verify(dir, signed_message);
  EXPECT_EQ(own.exit_code, 0) << describe(own);
  EXPECT_NE(own.out.find("VALID signature by alice@example.org"), std::string::npos) << own.out;
}

std::string odd_name(const testing::TestParamInfo<OddParam>& info) {
  return std::get<0>(info.param).name + "_" + format_name(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Content, InteropOpensslOddContent,
                         testing::Combine(testing::ValuesIn(odd_cases()),
                                          testing::Values(Format::Detached, Format::Opaque)),
                         odd_name);

// What mail transport does to a signed message on its way, applied to a detached signature
// of the "everything" message; the signature must survive each of them.
class InteropOpensslTransport : public testing::Test {
 protected:
  void SetUp() override {
    require_openssl();
    signed_message = smimekit_sign(dir, odd_message(odd_cases().back()), alice(), {});
    ASSERT_FALSE(signed_message.empty());
  }
  void expect_valid(const std::string& transported) {
    const OpensslVerify v = openssl_verify(dir, transported);
    EXPECT_TRUE(v.ok()) << describe(v.run) << "\n--- message ---\n" << transported;
    const RunResult own = smimekit_verify(dir, transported);
    EXPECT_EQ(own.exit_code, 0) << describe(own) << "\n--- message ---\n" << transported;
  }
  TempDir dir;
  std::string signed_message;
};

TEST_F(InteropOpensslTransport, SurvivesConversionToCrlf) { expect_valid(to_crlf(signed_message)); }

TEST_F(InteropOpensslTransport, SurvivesStrippingOfTrailingWhiteSpace) {
  std::string stripped;
  std::size_t pos = 0;
  while (pos < signed_message.size()) {
    std::size_t eol = signed_message.find('\n', pos);
    if (eol == std::string::npos) eol = signed_message.size();
    std::string line = signed_message.substr(pos, eol - pos);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    stripped += line;
    if (eol < signed_message.size()) stripped += '\n';
    pos = eol + 1;
  }
  expect_valid(stripped);
}

// An mbox writer quotes every body line that starts with "From " as ">From ". smimekit
// picks quoted-printable for such a body because of exactly this (canonical.cpp,
// needs_encoding), yet GMime's quoted-printable encoder leaves "From " as it is, so the
// signed entity still holds a "From " line and the first mbox on the way breaks the
// signature. Expected: the line is armored as "=46rom " (or the part is base64).
TEST_F(InteropOpensslTransport, SurvivesMboxFromQuoting) {
  const std::string entity = detached_entity(signed_message);
  EXPECT_FALSE(has_from_line(entity))
      << "the signed entity still has a line starting with \"From \":\n" << entity;
  std::string quoted = signed_message;
  for (std::size_t pos = quoted.find("\nFrom "); pos != std::string::npos;
       pos = quoted.find("\nFrom ", pos + 2)) {
    quoted.insert(pos + 1, ">");
  }
  expect_valid(quoted);
}

// ---------------------------------------------------------------------------------------
// multipart/mixed with a base64 attachment.

std::string binary_attachment() {
  std::string data;
  for (int i = 0; i < 600; ++i) data.push_back(static_cast<char>((i * 7 + 3) & 0xff));
  return data;
}

std::string mixed_entity() {
  return "Content-Type: multipart/mixed; boundary=\"=-mixed-boundary-42\"\n"
         "\n"
         "This is a multi-part message in MIME format.\n"
         "--=-mixed-boundary-42\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Hello Bob,\n"
         "\n"
         "this is a test message.\n"
         "The attachment is binary.\n"
         "\n"
         "--=-mixed-boundary-42\n"
         "Content-Type: application/octet-stream; name=\"data.bin\"\n"
         "Content-Transfer-Encoding: base64\n"
         "Content-Disposition: attachment; filename=\"data.bin\"\n"
         "\n" +
         base64_encode(binary_attachment()) +
         "\n"
         "--=-mixed-boundary-42--\n";
}

class InteropOpensslMixed : public testing::TestWithParam<Format> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslMixed, SignedBySmimekitVerifiesWithOpenssl) {
  const std::string message =
      "From: Carol Demo <carol@example.org>\nTo: Bob Demo <bob@example.org>\n"
      "Subject: with attachment\nMIME-Version: 1.0\n" +
      mixed_entity();
  std::vector<std::string> options;
  if (GetParam() == Format::Opaque) options.push_back("--opaque");
  const std::string signed_message = smimekit_sign(dir, message, carol(), options);
  ASSERT_FALSE(signed_message.empty());

  const OpensslVerify v = openssl_verify(dir, signed_message);
  ASSERT_TRUE(v.ok()) << describe(v.run) << "\n--- message ---\n" << signed_message;
  // The entity is the input with CRLF: nothing needed a new transfer encoding.
  EXPECT_EQ(v.content, to_crlf(mixed_entity()));
  // The attachment decodes to the same bytes.
  const std::string marker = "Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\n";
  const std::size_t start = v.content.find(marker);
  const std::size_t end = v.content.find("--=-mixed-boundary-42--");
  ASSERT_NE(start, std::string::npos) << v.content;
  ASSERT_NE(end, std::string::npos) << v.content;
  EXPECT_EQ(base64_decode(v.content.substr(start + marker.size(), end - start - marker.size())),
            binary_attachment());

  const RunResult own = smimekit_verify(dir, signed_message);
  EXPECT_EQ(own.exit_code, 0) << describe(own);
  EXPECT_NE(own.out.find("VALID signature by carol@example.org"), std::string::npos) << own.out;
}

TEST_P(InteropOpensslMixed, SignedByOpensslVerifiesWithSmimekit) {
  const auto in = dir / "entity.txt";
  const auto out = dir / "signed.eml";
  test::write(in, mixed_entity());
  std::vector<std::string> args{"cms", "-sign", "-in", in.string(), "-signer", demo_path("carol.pem"),
                                "-inkey", demo_path("carol.key"), "-certfile",
                                demo_path("intermediate.pem"), "-from", "carol@example.org", "-to",
                                "bob@example.org", "-subject", "with attachment", "-out",
                                out.string()};
  if (GetParam() == Format::Opaque) args.push_back("-nodetach");
  const RunResult sign = openssl(args);
  ASSERT_EQ(sign.exit_code, 0) << describe(sign);
  const std::string signed_message = test::read(out);

  const RunResult own = smimekit_verify(dir, signed_message);
  EXPECT_EQ(own.exit_code, 0) << describe(own) << "\n--- message ---\n" << signed_message;
  EXPECT_NE(own.out.find("VALID signature by carol@example.org"), std::string::npos) << own.out;
  const OpensslVerify v = openssl_verify(dir, signed_message);
  EXPECT_TRUE(v.ok()) << describe(v.run);
  EXPECT_EQ(v.content, to_crlf(mixed_entity()));
}

INSTANTIATE_TEST_SUITE_P(Formats, InteropOpensslMixed,
                         testing::Values(Format::Detached, Format::Opaque),
                         [](const testing::TestParamInfo<Format>& info) {
                           return format_name(info.param);
                         });

}  // namespace
}  // namespace smimekit::interop

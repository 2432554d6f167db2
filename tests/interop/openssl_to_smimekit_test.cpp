// `openssl cms -sign` and `openssl smime -sign` sign, smimekit verifies.
//
// openssl signs its -in file as the MIME entity: with a whole message as input, From/To/
// Subject would end up inside the signed part only. So the input here is only the entity
// (Content-Type, blank line, body), and openssl writes the outer header itself with
// -from/-to/-subject.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "openssl_support.h"

namespace smimekit::interop {
namespace {

enum class Tool { Cms, Smime };
enum class Format { Detached, Opaque };

std::string tool_name(Tool t) { return t == Tool::Cms ? "cms" : "smime"; }
std::string format_name(Format f) { return f == Format::Detached ? "detached" : "opaque"; }

struct OpensslSign {
  Tool tool = Tool::Cms;
  Format format = Format::Detached;
  Signer signer;
  std::string entity = sample_entity();
  std::string from;  // "" for the signer's address
  std::vector<std::string> extra;
};

// Runs `openssl cms|smime -sign` as described and returns the signed message.
std::string openssl_sign(const TempDir& dir, const OpensslSign& s) {
  const auto in = dir / "entity.txt";
  const auto out = dir / "openssl-signed.eml";
  test::write(in, s.entity);
  std::vector<std::string> args{tool_name(s.tool), "-sign", "-in", in.string(), "-signer",
                                s.signer.cert, "-inkey", s.signer.key, "-certfile",
                                demo_path("intermediate.pem"), "-from",
                                s.from.empty() ? s.signer.email : s.from, "-to", "bob@example.org",
                                "-subject", "Test message", "-out", out.string()};
  if (s.format == Format::Opaque) args.push_back("-nodetach");
  args.insert(args.end(), s.extra.begin(), s.extra.end());
  const RunResult r = openssl(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return r.exit_code == 0 ? test::read(out) : std::string();
}

void expect_valid(const TempDir& dir, const std::string& message, const Signer& signer) {
  const RunResult r = smimekit_verify(dir, message);
  EXPECT_EQ(r.exit_code, 0) << describe(r) << "\n--- message ---\n" << message;
  EXPECT_NE(r.out.find("VALID signature by " + signer.email), std::string::npos) << r.out;
}

// ---------------------------------------------------------------------------------------
// The matrix: tool x format x digest x key type x -binary.

struct VerifyCase {
  Tool tool;
  Format format;
  std::string digest;
  Signer signer;
  bool binary;
};

void PrintTo(const VerifyCase& c, std::ostream* os) {
  *os << tool_name(c.tool) << " " << format_name(c.format) << " " << c.digest << " "
      << c.signer.name << (c.binary ? " binary" : " text");
}

std::vector<VerifyCase> verify_cases() {
  std::vector<VerifyCase> cases;
  for (Tool t : {Tool::Cms, Tool::Smime}) {
    for (Format f : {Format::Detached, Format::Opaque}) {
      for (const char* d : {"sha256", "sha384", "sha512"}) {
        for (const Signer& s : {alice(), carol()}) {
          for (bool binary : {false, true}) cases.push_back({t, f, d, s, binary});
        }
      }
    }
  }
  return cases;
}

std::string verify_case_name(const testing::TestParamInfo<VerifyCase>& info) {
  const VerifyCase& c = info.param;
  return tool_name(c.tool) + "_" + format_name(c.format) + "_" + c.digest + "_" + c.signer.name +
         (c.binary ? "_binary" : "_text");
}

class InteropOpensslVerify : public testing::TestWithParam<VerifyCase> {
 protected:
  void SetUp() override {
    require_openssl();
    const VerifyCase& c = GetParam();
    OpensslSign s;
    s.tool = c.tool;
    s.format = c.format;
    s.signer = c.signer;
    s.extra = {"-md", c.digest};
    if (c.binary) {
      // -binary signs the bytes as they are, so they must already be canonical (CRLF,
      // RFC 8551 §3.1.1); LF input with -binary is the separate case BinaryWithLfInput.
      s.entity = to_crlf(sample_entity());
      s.extra.push_back("-binary");
    }
    signed_message = openssl_sign(dir, s);
    ASSERT_FALSE(signed_message.empty());
  }
  TempDir dir;
  std::string signed_message;
};

TEST_P(InteropOpensslVerify, ValidWhenFromMatchesTheSigner) {
  const VerifyCase& c = GetParam();
  ASSERT_NE(signed_message.find("From: " + c.signer.email), std::string::npos) << signed_message;
  expect_valid(dir, signed_message, c.signer);

  // The report names what openssl used.
  const RunResult json = smimekit_verify(dir, signed_message, {"--json"});
  EXPECT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_NE(json.out.find("\"verdict\":\"valid\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"digest_algorithm\":\"" + c.digest + "\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find(c.format == Format::Opaque ? "\"opaque\":true" : "\"opaque\":false"),
            std::string::npos)
      << json.out;

  // Sanity: openssl verifies its own message (with -binary when it was signed so).
  const OpensslVerify v =
      openssl_verify(dir, signed_message, c.binary ? std::vector<std::string>{"-binary"}
                                                   : std::vector<std::string>{});
  EXPECT_TRUE(v.ok()) << describe(v.run);
  EXPECT_EQ(v.content, sample_canonical_entity());
}

TEST_P(InteropOpensslVerify, InvalidWhenFromDoesNotMatchTheSigner) {
  const VerifyCase& c = GetParam();
  // The outer From is not covered by the signature: changing it leaves the signature intact
  // but breaks the binding of sender and certificate (RFC 8550 §3).
  const std::string spoofed = replace_first(signed_message, "From: " + c.signer.email,
                                            "From: eve@example.org");
  const RunResult r = smimekit_verify(dir, spoofed);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.out.find("VALID signature"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("INVALID"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not match From"), std::string::npos) << r.out;

  // Also when openssl itself wrote the wrong From.
  OpensslSign s;
  s.tool = c.tool;
  s.format = c.format;
  s.signer = c.signer;
  s.from = "bob@example.org";
  s.extra = {"-md", c.digest};
  const std::string other = openssl_sign(dir, s);
  ASSERT_FALSE(other.empty());
  const RunResult r2 = smimekit_verify(dir, other);
  EXPECT_EQ(r2.exit_code, 1) << describe(r2);
  EXPECT_NE(r2.out.find("does not match From"), std::string::npos) << r2.out;
}

INSTANTIATE_TEST_SUITE_P(Matrix, InteropOpensslVerify, testing::ValuesIn(verify_cases()),
                         verify_case_name);

// ---------------------------------------------------------------------------------------
// -noattr (no signed attributes: the signature is over the content digest itself) and
// -keyid (the SignerInfo names the signer by subjectKeyIdentifier, CMS version 3).

struct AttrCase {
  Tool tool;
  Format format;
  Signer signer;
  bool noattr;
  bool keyid;
};

void PrintTo(const AttrCase& c, std::ostream* os) {
  *os << tool_name(c.tool) << " " << format_name(c.format) << " " << c.signer.name
      << (c.noattr ? " noattr" : "") << (c.keyid ? " keyid" : "");
}

std::vector<AttrCase> attr_cases() {
  std::vector<AttrCase> cases;
  for (Format f : {Format::Detached, Format::Opaque}) {
    for (const Signer& s : {alice(), carol()}) {
      cases.push_back({Tool::Cms, f, s, true, false});
      cases.push_back({Tool::Cms, f, s, false, true});
      cases.push_back({Tool::Cms, f, s, true, true});
      // `openssl smime` has -noattr but no -keyid (see SmimeHasNoKeyid below).
      cases.push_back({Tool::Smime, f, s, true, false});
    }
  }
  return cases;
}

std::string attr_case_name(const testing::TestParamInfo<AttrCase>& info) {
  const AttrCase& c = info.param;
  return tool_name(c.tool) + "_" + format_name(c.format) + "_" + c.signer.name +
         (c.noattr ? "_noattr" : "") + (c.keyid ? "_keyid" : "");
}

class InteropOpensslSignerInfo : public testing::TestWithParam<AttrCase> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslSignerInfo, Valid) {
  const AttrCase& c = GetParam();
  OpensslSign s;
  s.tool = c.tool;
  s.format = c.format;
  s.signer = c.signer;
  if (c.noattr) s.extra.push_back("-noattr");
  if (c.keyid) s.extra.push_back("-keyid");
  const std::string signed_message = openssl_sign(dir, s);
  ASSERT_FALSE(signed_message.empty());

  // The SignerInfo is what the case claims to test.
  const std::string printed = openssl_print(dir, signed_message);
  const std::string si = printed.substr(std::min(printed.find("signerInfos:"), printed.size()));
  EXPECT_NE(si.find(c.keyid ? "d.subjectKeyIdentifier" : "d.issuerAndSerialNumber"),
            std::string::npos)
      << si;
  const bool no_signed_attrs =
      si.find("\n        signedAttrs:\n          <ABSENT>") != std::string::npos;
  EXPECT_EQ(no_signed_attrs, c.noattr) << si;

  expect_valid(dir, signed_message, c.signer);
  const RunResult spoofed =
      smimekit_verify(dir, replace_first(signed_message, "From: " + c.signer.email,
                                         "From: eve@example.org"));
  EXPECT_EQ(spoofed.exit_code, 1) << describe(spoofed);
}

INSTANTIATE_TEST_SUITE_P(Variants, InteropOpensslSignerInfo, testing::ValuesIn(attr_cases()),
                         attr_case_name);

// `openssl smime` (the PKCS#7 command) cannot name the signer by key identifier; only
// `openssl cms` can. This documents why the -keyid cases use `cms` only. (OpenSSL 3.0 reads
// the unknown option as a cipher name, complains, and still exits 0 without output.)
TEST(InteropOpensslSignerInfoLimits, SmimeHasNoKeyid) {
  require_openssl();
  TempDir dir;
  OpensslSign s;
  s.tool = Tool::Smime;
  s.signer = alice();
  const auto in = dir / "entity.txt";
  test::write(in, sample_entity());
  const RunResult r = openssl({"smime", "-sign", "-keyid", "-in", in.string(), "-signer",
                               s.signer.cert, "-inkey", s.signer.key});
  EXPECT_NE(r.err.find("Unknown cipher: keyid"), std::string::npos) << describe(r);
  EXPECT_TRUE(r.out.empty()) << describe(r);
}

// ---------------------------------------------------------------------------------------
// Further ways openssl writes signed mail.

class InteropOpensslVariants : public testing::Test {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

// -binary with LF line ends: openssl signs the LF bytes, which are not the canonical form
// RFC 8551 §3.1.1 requires. In a multipart/signed the receiver can only canonicalize the
// first part (to CRLF) before checking the digest, so this cannot verify: openssl itself
// fails without -binary, and smimekit must report a content mismatch, exit 1. Opaque
// signed-data carries the exact bytes, so there it is VALID.
TEST_F(InteropOpensslVariants, BinaryWithLfInputDetachedCannotVerify) {
  for (Tool t : {Tool::Cms, Tool::Smime}) {
    SCOPED_TRACE(tool_name(t));
    OpensslSign s;
    s.tool = t;
    s.signer = carol();
    s.extra = {"-binary"};
    const std::string signed_message = openssl_sign(dir, s);
    ASSERT_FALSE(signed_message.empty());

    const RunResult r = smimekit_verify(dir, signed_message);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_NE(r.out.find("the signature does not match the content"), std::string::npos) << r.out;

    EXPECT_FALSE(openssl_verify(dir, signed_message).ok());
    EXPECT_TRUE(openssl_verify(dir, signed_message, {"-binary"}).ok());
  }
}

TEST_F(InteropOpensslVariants, BinaryWithLfInputOpaqueIsValid) {
  for (Tool t : {Tool::Cms, Tool::Smime}) {
    SCOPED_TRACE(tool_name(t));
    OpensslSign s;
    s.tool = t;
    s.format = Format::Opaque;
    s.signer = carol();
    s.extra = {"-binary"};
    const std::string signed_message = openssl_sign(dir, s);
    ASSERT_FALSE(signed_message.empty());
    expect_valid(dir, signed_message, s.signer);
  }
}

// -text: openssl adds "Content-Type: text/plain" in front of a plain body.
TEST_F(InteropOpensslVariants, TextOption) {
  for (Format f : {Format::Detached, Format::Opaque}) {
    SCOPED_TRACE(format_name(f));
    OpensslSign s;
    s.format = f;
    s.signer = alice();
    s.entity = "Hello Bob,\n\nthis is a test message.\n\nAlice\n";
    s.extra = {"-text"};
    const std::string signed_message = openssl_sign(dir, s);
    ASSERT_FALSE(signed_message.empty());
    expect_valid(dir, signed_message, s.signer);
  }
}

// -crlfeol: the whole message with CRLF line ends, as on the wire.
TEST_F(InteropOpensslVariants, CrlfEol) {
  for (Tool t : {Tool::Cms, Tool::Smime}) {
    for (Format f : {Format::Detached, Format::Opaque}) {
      SCOPED_TRACE(tool_name(t) + " " + format_name(f));
      OpensslSign s;
      s.tool = t;
      s.format = f;
      s.signer = carol();
      s.extra = {"-crlfeol"};
      const std::string signed_message = openssl_sign(dir, s);
      ASSERT_FALSE(signed_message.empty());
      // openssl writes the header and the MIME structure with CRLF, but its base64 lines
      // still end in a bare LF (the base64 BIO ignores -crlfeol): a mixed message, which
      // smimekit has to read all the same.
      const std::string header = split_header(signed_message).header;
      EXPECT_EQ(to_crlf(header), header) << "a bare LF in the -crlfeol header";
      expect_valid(dir, signed_message, s.signer);
    }
  }
}

// RSASSA-PSS made by openssl, and a bigger RSA key (bob, RSA-3072).
TEST_F(InteropOpensslVariants, RsaPss) {
  for (const Signer& signer : {alice(), bob()}) {
    for (Format f : {Format::Detached, Format::Opaque}) {
      SCOPED_TRACE(signer.name + " " + format_name(f));
      OpensslSign s;
      s.format = f;
      s.signer = signer;
      s.extra = {"-md", "sha384", "-keyopt", "rsa_padding_mode:pss"};
      const std::string signed_message = openssl_sign(dir, s);
      ASSERT_FALSE(signed_message.empty());
      expect_valid(dir, signed_message, s.signer);
      const RunResult json = smimekit_verify(dir, signed_message, {"--json"});
      EXPECT_NE(json.out.find("\"signature_algorithm\":\"RSASSA-PSS\""), std::string::npos)
          << json.out;
    }
  }
}

// A display name in From, as mail programs write it.
TEST_F(InteropOpensslVariants, FromWithDisplayName) {
  OpensslSign s;
  s.signer = alice();
  s.from = "Alice Demo <alice@example.org>";
  const std::string signed_message = openssl_sign(dir, s);
  ASSERT_FALSE(signed_message.empty());
  expect_valid(dir, signed_message, s.signer);
}

// Two signers, both valid and both trusted, on a message from one of them: RFC 8551 §3
// binds each signer to the sender, and only alice is the sender. openssl accepts the
// message (it does not look at From); smimekit must not call it valid as a whole, because
// carol's signature does not bind to From.
TEST_F(InteropOpensslVariants, TwoSignersOneOfThemNotTheSender) {
  const auto in = dir / "entity.txt";
  const auto out = dir / "two.eml";
  test::write(in, sample_entity());
  const RunResult sign =
      openssl({"cms", "-sign", "-in", in.string(), "-signer", demo_path("alice.pem"), "-inkey",
               demo_path("alice.key"), "-signer", demo_path("carol.pem"), "-inkey",
               demo_path("carol.key"), "-certfile", demo_path("intermediate.pem"), "-from",
               "alice@example.org", "-out", out.string()});
  ASSERT_EQ(sign.exit_code, 0) << describe(sign);
  const std::string signed_message = test::read(out);
  EXPECT_TRUE(openssl_verify(dir, signed_message).ok());
  const RunResult r = smimekit_verify(dir, signed_message);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.out.find("carol@example.org"), std::string::npos) << r.out;
}

// ---------------------------------------------------------------------------------------
// multipart content whose delimiters are written tightly, as RFC 2046 allows. openssl signs
// the entity exactly as given and verifies it; a verifier must check the first part of the
// multipart/signed byte for byte (RFC 1847 §2.1, RFC 8551 §3.1.1), not a re-serialization.

class InteropOpensslRawEntity : public testing::Test {
 protected:
  void SetUp() override { require_openssl(); }
  void expect_valid_both_ways(const std::string& entity) {
    for (Format f : {Format::Detached, Format::Opaque}) {
      SCOPED_TRACE(format_name(f));
      OpensslSign s;
      s.format = f;
      s.signer = alice();
      s.entity = entity;
      const std::string signed_message = openssl_sign(dir, s);
      ASSERT_FALSE(signed_message.empty());
      const OpensslVerify v = openssl_verify(dir, signed_message);
      EXPECT_TRUE(v.ok()) << describe(v.run);
      expect_valid(dir, signed_message, s.signer);
    }
  }
  TempDir dir;
};

// The close delimiter of the inner multipart/alternative is followed directly by the next
// delimiter of multipart/mixed (no blank line, no epilogue).
TEST_F(InteropOpensslRawEntity, NestedMultipartWithoutBlankLineAfterCloseDelimiter) {
  expect_valid_both_ways(
      "Content-Type: multipart/mixed; boundary=OUT\n"
      "\n"
      "--OUT\n"
      "Content-Type: multipart/alternative; boundary=IN\n"
      "\n"
      "--IN\n"
      "Content-Type: text/plain\n"
      "\n"
      "this is a test message.\n"
      "--IN\n"
      "Content-Type: text/html\n"
      "\n"
      "<p>this is a test message.</p>\n"
      "--IN--\n"
      "--OUT\n"
      "Content-Type: text/plain\n"
      "\n"
      "second part\n"
      "--OUT--\n");
}

// The entity ends with the close delimiter and no line break.
TEST_F(InteropOpensslRawEntity, MultipartEndingWithoutLineBreak) {
  expect_valid_both_ways(
      "Content-Type: multipart/mixed; boundary=XX\n"
      "\n"
      "--XX\n"
      "Content-Type: text/plain\n"
      "\n"
      "this is a test message.\n"
      "--XX--");
}

// Transport padding (white space after a delimiter, RFC 2046 §5.1.1).
TEST_F(InteropOpensslRawEntity, DelimiterWithTransportPadding) {
  expect_valid_both_ways(
      "Content-Type: multipart/mixed; boundary=XX\n"
      "\n"
      "--XX  \n"
      "Content-Type: text/plain\n"
      "\n"
      "this is a test message.\n"
      "--XX--\n");
}

// Header fields written in ways GMime would write differently: no space after the colon,
// folding, lower case names. These verify today and must keep doing so.
TEST_F(InteropOpensslRawEntity, UnusualHeaderFormatting) {
  expect_valid_both_ways(
      "content-type:text/plain;\n"
      "\tcharset=\"us-ascii\"\n"
      "Content-Description:   three spaces  \n"
      "\n"
      "this is a test message.\n");
}

}  // namespace
}  // namespace smimekit::interop

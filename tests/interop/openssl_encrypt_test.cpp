// Encryption both ways with the real `openssl cms` (OpenSSL 3.0):
//
// - `smimekit encrypt` -> `openssl cms -decrypt -inkey KEY -recip CERT`: the canonical entity
//   comes out (with --sign: a multipart/signed that `openssl cms -verify` accepts), for
//   AES-GCM with RSA-OAEP and ECDH, AES-128-GCM, AES-CBC with PKCS#1 v1.5; several
//   recipients each decrypt; --no-self leaves the sender out.
// - `openssl cms -encrypt` (and -sign, then -encrypt) -> `smimekit decrypt` / `verify --json`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "openssl_support.h"

namespace smimekit::interop {
namespace {

using test::smimekit;

constexpr std::string_view kBodyLf = "Hello Bob,\n\nthis is a test message.\n\nAlice\n";

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> p12(const std::string& user) {
  return {"--p12", demo_path(user + ".p12"), "--pass", "pass:demo"};
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// `smimekit encrypt ARGS... IN -o OUT` over test::sample_message(); the encrypted message.
std::string smimekit_encrypt(const TempDir& dir, const std::vector<std::string>& args,
                             RunResult* run = nullptr) {
  const auto in = dir / "plain.eml";
  const auto out = dir / "encrypted.eml";
  std::filesystem::remove(out);
  test::write(in, test::sample_message());
  const RunResult r = smimekit(concat(concat({"encrypt"}, args), {in.string(), "-o", out.string()}));
  if (run != nullptr) *run = r;
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return std::filesystem::exists(out) ? test::read(out) : std::string();
}

// `openssl cms -decrypt -in MESSAGE -inkey KEY -recip CERT -out CONTENT`.
struct OpensslDecrypt {
  RunResult run;
  std::string content;
  bool written = false;
  [[nodiscard]] bool ok() const { return run.exit_code == 0; }
};
OpensslDecrypt openssl_decrypt(const TempDir& dir, const std::string& message, const Signer& who) {
  const auto in = dir / "to-decrypt.eml";
  const auto out = dir / "openssl-decrypted";
  std::filesystem::remove(out);
  test::write(in, message);
  OpensslDecrypt d;
  d.run = openssl({"cms", "-decrypt", "-in", in.string(), "-inkey", who.key, "-recip", who.cert,
                   "-out", out.string()});
  d.written = std::filesystem::exists(out);
  if (d.written) d.content = test::read(out);
  return d;
}

// `smimekit decrypt --p12 USER.p12 --anchor root.pem [EXTRA] -o OUT MESSAGE`.
struct SmimekitDecrypt {
  RunResult run;
  bool written = false;
  std::string output;
};
SmimekitDecrypt smimekit_decrypt(const TempDir& dir, const std::string& message,
                                 const std::string& user, const std::vector<std::string>& extra = {}) {
  const auto in = dir / "to-decrypt.eml";
  const auto out = dir / "smimekit-decrypted.eml";
  std::filesystem::remove(out);
  test::write(in, message);
  SmimekitDecrypt d;
  d.run = smimekit(concat(concat(concat({"decrypt"}, p12(user)), {"--anchor", demo_path("root.pem")}),
                          concat(extra, {"-o", out.string(), in.string()})));
  d.written = std::filesystem::exists(out);
  if (d.written) d.output = test::read(out);
  return d;
}

// `smimekit verify --anchor root.pem --p12 USER.p12 --json MESSAGE`: the run and its JSON.
nlohmann::json smimekit_verify_json(const TempDir& dir, const std::string& message,
                                    const std::string& user, RunResult* run = nullptr) {
  const RunResult r = smimekit_verify(dir, message, concat(p12(user), {"--json"}));
  if (run != nullptr) *run = r;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object()) << describe(r);
  return j;
}

std::string header_of(const std::string& message) { return split_header(message).header; }

// =======================================================================================
// smimekit encrypts, openssl decrypts.

struct EncryptCase {
  std::string name;
  Signer recipient;
  std::vector<std::string> options;        // --cipher, --rsa-pkcs1
  bool sign = false;
  std::string smime_type;                  // expected in the header
  std::vector<std::string> printed;        // expected in `openssl cms -cmsout -print`
};

void PrintTo(const EncryptCase& c, std::ostream* os) { *os << c.name; }

std::vector<EncryptCase> encrypt_cases() {
  const std::string auth = "smime-type=authEnveloped-data", env = "smime-type=enveloped-data";
  const std::vector<EncryptCase> base{
      {"Aes256GcmOaep_bob", bob(), {}, false, auth,
       {"id-smime-ct-authEnvelopedData", "aes-256-gcm", "rsaesOaep", ":sha256", ":mgf1"}},
      {"Aes256GcmEcdh_carol", carol(), {}, false, auth,
       {"id-smime-ct-authEnvelopedData", "aes-256-gcm", "dhSinglePass-stdDH-sha256kdf-scheme",
        "id-aes256-wrap"}},
      {"Aes128GcmOaep_bob", bob(), {"--cipher", "aes128-gcm"}, false, auth,
       {"id-smime-ct-authEnvelopedData", "aes-128-gcm", "rsaesOaep"}},
      {"Aes128GcmEcdh_carol", carol(), {"--cipher", "aes128-gcm"}, false, auth,
       {"aes-128-gcm", "dhSinglePass-stdDH-sha256kdf-scheme", "id-aes128-wrap"}},
      {"Aes256CbcPkcs1_bob", bob(), {"--cipher", "aes256-cbc", "--rsa-pkcs1"}, false, env,
       {"contentType: pkcs7-envelopedData", "aes-256-cbc", "rsaEncryption"}},
      {"Aes128CbcEcdh_carol", carol(), {"--cipher", "aes128-cbc"}, false, env,
       {"contentType: pkcs7-envelopedData", "aes-128-cbc", "id-aes128-wrap"}},
  };
  std::vector<EncryptCase> out;
  for (bool sign : {false, true}) {
    for (EncryptCase c : base) {
      c.sign = sign;
      c.name += sign ? "_signed" : "_unsigned";
      out.push_back(c);
    }
  }
  return out;
}

class InteropOpensslEncrypt : public testing::TestWithParam<EncryptCase> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslEncrypt, OpensslDecryptsTheCanonicalEntity) {
  const EncryptCase& c = GetParam();
  std::vector<std::string> args{"--recipient", c.recipient.cert};
  args = concat(args, c.options);
  if (c.sign) {
    args = concat(concat(args, {"--sign"}), alice().smimekit_identity);
  } else {
    args = concat(args, {"--cert", alice().cert});  // the sender's copy
  }
  RunResult run;
  const std::string encrypted = smimekit_encrypt(dir, args, &run);
  ASSERT_FALSE(encrypted.empty());
  const bool cbc = c.smime_type.find("authEnveloped") == std::string::npos;
  if (cbc) {
    EXPECT_NE(run.err.find("not authenticated"), std::string::npos) << "no warning for CBC\n"
                                                                     << describe(run);
  }

  // The outside: the header keeps From/To/Subject, the content is S/MIME, nothing leaks.
  const std::string header = header_of(encrypted);
  EXPECT_NE(header.find("From: Alice Demo <alice@example.org>"), std::string::npos) << header;
  EXPECT_NE(header.find("Subject: Test message"), std::string::npos) << header;
  EXPECT_NE(header.find("application/pkcs7-mime"), std::string::npos) << header;
  EXPECT_NE(to_lf(header).find(c.smime_type), std::string::npos) << header;
  EXPECT_EQ(encrypted.find("this is a test message"), std::string::npos);

  // The algorithms, as openssl reads them.
  const std::string printed = openssl_print(dir, encrypted);
  for (const auto& p : c.printed) EXPECT_NE(printed.find(p), std::string::npos) << p << "\n" << printed;
  // The recipient and the sender (added by default): two RecipientInfos.
  EXPECT_EQ(count(printed, "d.ktri:") + count(printed, "d.kari:"), 2u) << printed;

  // openssl decrypts, as the recipient and as the sender.
  for (const Signer& who : {c.recipient, alice()}) {
    SCOPED_TRACE("openssl decrypts as " + who.name);
    const OpensslDecrypt d = openssl_decrypt(dir, encrypted, who);
    ASSERT_TRUE(d.ok()) << describe(d.run);
    if (!c.sign) {
      EXPECT_EQ(d.content, sample_canonical_entity());
      EXPECT_NE(d.content.find("this is a test message."), std::string::npos);
    } else {
      EXPECT_EQ(d.content.rfind("Content-Type: multipart/signed", 0), 0u) << d.content;
      const OpensslVerify v = openssl_verify(dir, d.content);
      EXPECT_TRUE(v.ok()) << describe(v.run) << "\n--- decrypted ---\n" << d.content;
      EXPECT_EQ(v.content, sample_canonical_entity());
    }
  }

  // And smimekit itself, as the recipient.
  const SmimekitDecrypt s = smimekit_decrypt(dir, encrypted, c.recipient.name);
  EXPECT_EQ(s.run.exit_code, 0) << describe(s.run);
  EXPECT_NE(s.output.find("this is a test message."), std::string::npos) << s.output;
  if (c.sign) {
    EXPECT_NE(s.run.err.find("VALID signature by alice@example.org"), std::string::npos)
        << describe(s.run);
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, InteropOpensslEncrypt, testing::ValuesIn(encrypt_cases()),
                         [](const testing::TestParamInfo<EncryptCase>& info) { return info.param.name; });

class InteropOpensslEncryptRecipients : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslEncryptRecipients, ManyRecipientsEachDecrypt) {
  const bool sign = GetParam();
  std::vector<std::string> args{"--recipient", bob().cert, "--recipient", carol().cert};
  args = sign ? concat(concat(args, {"--sign"}), alice().smimekit_identity)
              : concat(args, {"--cert", alice().cert});
  const std::string encrypted = smimekit_encrypt(dir, args);
  ASSERT_FALSE(encrypted.empty());
  const std::string printed = openssl_print(dir, encrypted);
  EXPECT_EQ(count(printed, "d.ktri:"), 2u) << printed;  // bob, alice
  EXPECT_EQ(count(printed, "d.kari:"), 1u) << printed;  // carol
  for (const Signer& who : {bob(), carol(), alice()}) {
    SCOPED_TRACE(who.name);
    const OpensslDecrypt d = openssl_decrypt(dir, encrypted, who);
    ASSERT_TRUE(d.ok()) << describe(d.run);
    if (sign) {
      const OpensslVerify v = openssl_verify(dir, d.content);
      EXPECT_TRUE(v.ok()) << describe(v.run);
      EXPECT_EQ(v.content, sample_canonical_entity());
    } else {
      EXPECT_EQ(d.content, sample_canonical_entity());
    }
    const SmimekitDecrypt s = smimekit_decrypt(dir, encrypted, who.name);
    EXPECT_EQ(s.run.exit_code, 0) << describe(s.run);
    EXPECT_NE(s.output.find("this is a test message."), std::string::npos);
  }
}

TEST_P(InteropOpensslEncryptRecipients, NoSelfLeavesTheSenderOut) {
  const bool sign = GetParam();
  std::vector<std::string> args{"--recipient", bob().cert, "--no-self"};
  args = sign ? concat(concat(args, {"--sign"}), alice().smimekit_identity)
              : concat(args, {"--cert", alice().cert});
  const std::string encrypted = smimekit_encrypt(dir, args);
  ASSERT_FALSE(encrypted.empty());
  const std::string printed = openssl_print(dir, encrypted);
  EXPECT_EQ(count(printed, "d.ktri:") + count(printed, "d.kari:"), 1u) << printed;

  // bob can read it...
  const OpensslDecrypt as_bob = openssl_decrypt(dir, encrypted, bob());
  EXPECT_TRUE(as_bob.ok()) << describe(as_bob.run);
  // ...the sender cannot, with openssl...
  const OpensslDecrypt as_alice = openssl_decrypt(dir, encrypted, alice());
  EXPECT_FALSE(as_alice.ok()) << describe(as_alice.run);
  EXPECT_EQ(as_alice.content.find("this is a test message"), std::string::npos);
  // ...nor with smimekit.
  const SmimekitDecrypt s = smimekit_decrypt(dir, encrypted, "alice");
  EXPECT_EQ(s.run.exit_code, 1) << describe(s.run);
  EXPECT_FALSE(s.written);
  EXPECT_NE(s.run.err.find("not encrypted for"), std::string::npos) << describe(s.run);
}

TEST_P(InteropOpensslEncryptRecipients, WithoutNoSelfTheSenderIsAdded) {
  // The same command without --no-self: alice reads her sent copy.
  const bool sign = GetParam();
  std::vector<std::string> args{"--recipient", bob().cert};
  args = sign ? concat(concat(args, {"--sign"}), alice().smimekit_identity)
              : concat(args, {"--cert", alice().cert});
  const std::string encrypted = smimekit_encrypt(dir, args);
  const OpensslDecrypt as_alice = openssl_decrypt(dir, encrypted, alice());
  EXPECT_TRUE(as_alice.ok()) << describe(as_alice.run);
  const SmimekitDecrypt s = smimekit_decrypt(dir, encrypted, "alice");
  EXPECT_EQ(s.run.exit_code, 0) << describe(s.run);
}

INSTANTIATE_TEST_SUITE_P(Sign, InteropOpensslEncryptRecipients, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "signed" : "unsigned";
                         });

// =======================================================================================
// openssl encrypts, smimekit decrypts.

struct OpensslEncryptCase {
  std::string name;
  Signer recipient;
  std::vector<std::string> options;  // cipher, then -keyopt after -recip
  std::vector<std::string> keyopts;
  bool authenticated = true;
  std::vector<std::string> printed;
};

void PrintTo(const OpensslEncryptCase& c, std::ostream* os) { *os << c.name; }

std::vector<OpensslEncryptCase> openssl_encrypt_cases() {
  return {
      {"Aes256GcmPkcs1_bob", bob(), {"-aes-256-gcm"}, {}, true,
       {"id-smime-ct-authEnvelopedData", "aes-256-gcm", "rsaEncryption"}},
      {"Aes256GcmOaepSha256_bob", bob(), {"-aes-256-gcm"},
       {"-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"}, true,
       {"id-smime-ct-authEnvelopedData", "aes-256-gcm", "rsaesOaep", ":sha256"}},
      {"Aes256GcmEcdh_carol", carol(), {"-aes-256-gcm"}, {}, true,
       {"id-smime-ct-authEnvelopedData", "aes-256-gcm", "dhSinglePass-stdDH"}},
      {"Aes256GcmEcdhSha256Kdf_carol", carol(), {"-aes-256-gcm"},
       {"-keyopt", "ecdh_kdf_md:sha256"}, true,
       {"id-smime-ct-authEnvelopedData", "dhSinglePass-stdDH-sha256kdf-scheme"}},
      // -stream: BER with indefinite lengths and a chunked encryptedContent, as streaming
      // writers (and many mail clients) produce it.
      {"Aes256GcmStreamBer_bob", bob(), {"-aes-256-gcm", "-stream"}, {}, true,
       {"id-smime-ct-authEnvelopedData", "aes-256-gcm"}},
      {"Aes256GcmStreamBer_carol", carol(), {"-aes-256-gcm", "-stream"}, {}, true,
       {"id-smime-ct-authEnvelopedData", "dhSinglePass-stdDH"}},
      {"Aes128Gcm_bob", bob(), {"-aes-128-gcm"}, {}, true,
       {"id-smime-ct-authEnvelopedData", "aes-128-gcm"}},
      {"Aes256CbcPkcs1_bob", bob(), {"-aes-256-cbc"}, {}, false,
       {"contentType: pkcs7-envelopedData", "aes-256-cbc", "rsaEncryption"}},
      {"Aes128CbcEcdh_carol", carol(), {"-aes-128-cbc"}, {}, false,
       {"contentType: pkcs7-envelopedData", "aes-128-cbc", "dhSinglePass-stdDH"}},
  };
}

// `openssl cms -encrypt -in IN -out OUT -from/-to/-subject OPTIONS -recip CERT KEYOPTS`.
std::string openssl_encrypt(const TempDir& dir, const std::filesystem::path& in,
                            const Signer& recipient, const std::vector<std::string>& options,
                            const std::vector<std::string>& keyopts) {
  const auto out = dir / "openssl-encrypted.eml";
  std::filesystem::remove(out);
  std::vector<std::string> args{"cms", "-encrypt", "-in", in.string(), "-out", out.string(),
                                "-from", "alice@example.org", "-to", "bob@example.org",
                                "-subject", "Test message"};
  args = concat(concat(concat(args, options), {"-recip", recipient.cert}), keyopts);
  const RunResult r = openssl(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return std::filesystem::exists(out) ? test::read(out) : std::string();
}

class InteropOpensslToSmimekitEncrypted : public testing::TestWithParam<OpensslEncryptCase> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslToSmimekitEncrypted, SmimekitDecrypts) {
  const OpensslEncryptCase& c = GetParam();
  const auto in = dir / "entity.txt";
  test::write(in, sample_entity());
  const std::string encrypted = openssl_encrypt(dir, in, c.recipient, c.options, c.keyopts);
  ASSERT_FALSE(encrypted.empty());

  // OpenSSL 3.0 writes AuthEnvelopedData for GCM, EnvelopedData for CBC.
  const std::string header = header_of(encrypted);
  EXPECT_NE(header.find(c.authenticated ? "smime-type=authEnveloped-data" : "smime-type=enveloped-data"),
            std::string::npos)
      << header;
  const std::string printed = openssl_print(dir, encrypted);
  for (const auto& p : c.printed) EXPECT_NE(printed.find(p), std::string::npos) << p << "\n" << printed;

  // smimekit decrypt: exit 0, the entity under the outer header.
  const SmimekitDecrypt d = smimekit_decrypt(dir, encrypted, c.recipient.name);
  EXPECT_EQ(d.run.exit_code, 0) << describe(d.run);
  ASSERT_TRUE(d.written) << describe(d.run);
  EXPECT_NE(d.output.find("From: alice@example.org"), std::string::npos) << d.output;
  EXPECT_NE(d.output.find("this is a test message."), std::string::npos) << d.output;
  EXPECT_NE(d.run.err.find("encrypted but is not signed"), std::string::npos) << describe(d.run);
  if (!c.authenticated) {
    EXPECT_NE(d.run.err.find("not authenticated"), std::string::npos) << describe(d.run);
  }
  // --require-authenticated refuses CBC and accepts GCM.
  const SmimekitDecrypt strict =
      smimekit_decrypt(dir, encrypted, c.recipient.name, {"--require-authenticated"});
  EXPECT_EQ(strict.run.exit_code, c.authenticated ? 0 : 1) << describe(strict.run);
  EXPECT_EQ(strict.written, c.authenticated);

  // smimekit verify --json with the key.
  RunResult vr;
  const nlohmann::json j = smimekit_verify_json(dir, encrypted, c.recipient.name, &vr);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(vr.exit_code, 1) << "not signed, so not valid\n" << describe(vr);
  EXPECT_EQ(j.value("verdict", ""), "unsigned") << j.dump();
  EXPECT_EQ(j.value("encrypted", false), true) << j.dump();
  EXPECT_EQ(j["authenticated_encryption"], c.authenticated) << j.dump();
  ASSERT_TRUE(j.contains("text")) << j.dump();
  EXPECT_EQ(to_lf(j["text"].get<std::string>()), kBodyLf) << j.dump();
}

INSTANTIATE_TEST_SUITE_P(Matrix, InteropOpensslToSmimekitEncrypted,
                         testing::ValuesIn(openssl_encrypt_cases()),
                         [](const testing::TestParamInfo<OpensslEncryptCase>& info) {
                           return info.param.name;
                         });

// openssl signs (detached or opaque), then encrypts the signed entity with the outer
// From/To/Subject: sign-then-encrypt, as RFC 8551 §3.6 wants it.
struct SignEncryptCase {
  std::string name;
  Signer signer;
  bool opaque;
  std::string cipher;  // -aes-256-gcm, -aes-256-cbc
};

void PrintTo(const SignEncryptCase& c, std::ostream* os) { *os << c.name; }

std::vector<SignEncryptCase> sign_encrypt_cases() {
  std::vector<SignEncryptCase> out;
  for (const Signer& s : {alice(), carol()}) {
    for (bool opaque : {false, true}) {
      for (const char* cipher : {"-aes-256-gcm", "-aes-256-cbc"}) {
        std::string name = s.name + (opaque ? "_opaque_" : "_detached_") +
                           (std::string(cipher) == "-aes-256-gcm" ? "gcm" : "cbc");
        out.push_back({name, s, opaque, cipher});
      }
    }
  }
  return out;
}

class InteropOpensslSignThenEncrypt : public testing::TestWithParam<SignEncryptCase> {
 protected:
  void SetUp() override { require_openssl(); }
  TempDir dir;
};

TEST_P(InteropOpensslSignThenEncrypt, SmimekitFindsTheValidSignatureInside) {
  const SignEncryptCase& c = GetParam();
  const bool gcm = c.cipher == "-aes-256-gcm";
  const auto entity = dir / "entity.txt";
  const auto signed_entity = dir / "signed.txt";
  test::write(entity, sample_entity());
  std::vector<std::string> sign_args{"cms", "-sign", "-in", entity.string(), "-signer",
                                     c.signer.cert, "-inkey", c.signer.key, "-certfile",
                                     demo_path("intermediate.pem"), "-out", signed_entity.string()};
  if (c.opaque) sign_args.push_back("-nodetach");
  const RunResult s = openssl(sign_args);
  ASSERT_EQ(s.exit_code, 0) << describe(s);

  // The signed entity is the content; the outer header names the signer as From.
  const auto out = dir / "openssl-encrypted.eml";
  const RunResult e = openssl({"cms", "-encrypt", "-in", signed_entity.string(), "-out",
                               out.string(), "-from", c.signer.email, "-to", "bob@example.org",
                               "-subject", "Test message", c.cipher, bob().cert});
  ASSERT_EQ(e.exit_code, 0) << describe(e);
  const std::string encrypted = test::read(out);
  EXPECT_NE(openssl_print(dir, encrypted)
                .find(gcm ? "id-smime-ct-authEnvelopedData" : "pkcs7-envelopedData"),
            std::string::npos);

  const SmimekitDecrypt d = smimekit_decrypt(dir, encrypted, "bob");
  EXPECT_EQ(d.run.exit_code, 0) << describe(d.run);
  EXPECT_TRUE(d.written);
  EXPECT_NE(d.run.err.find("VALID signature by " + c.signer.email), std::string::npos)
      << describe(d.run);
  EXPECT_EQ(d.run.err.find("INVALID"), std::string::npos) << describe(d.run);
  // The decrypted message verifies again on its own, with smimekit and with openssl.
  const RunResult again = smimekit_verify(dir, d.output);
  EXPECT_EQ(again.exit_code, 0) << describe(again) << "\n--- decrypted ---\n" << d.output;
  const OpensslVerify ov = openssl_verify(dir, d.output);
  EXPECT_TRUE(ov.ok()) << describe(ov.run);

  RunResult vr;
  const nlohmann::json j = smimekit_verify_json(dir, encrypted, "bob", &vr);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(vr.exit_code, 0) << describe(vr);
  EXPECT_EQ(j.value("verdict", ""), "valid") << j.dump();
  EXPECT_EQ(j.value("encrypted", false), true) << j.dump();
  EXPECT_EQ(j["authenticated_encryption"], gcm) << j.dump();
  ASSERT_TRUE(j.contains("text")) << j.dump();
  EXPECT_EQ(to_lf(j["text"].get<std::string>()), kBodyLf) << j.dump();
  ASSERT_TRUE(j["signers"].is_array() && j["signers"].size() == 1) << j.dump();
  EXPECT_EQ(j["signers"][0]["emails"][0], c.signer.email) << j.dump();
}

INSTANTIATE_TEST_SUITE_P(Matrix, InteropOpensslSignThenEncrypt, testing::ValuesIn(sign_encrypt_cases()),
                         [](const testing::TestParamInfo<SignEncryptCase>& info) {
                           return info.param.name;
                         });

// The other order, by openssl: encrypt, then sign the ciphertext (encrypt-then-sign). The
// signature covers only the ciphertext; smimekit must not call the message signed.
TEST(InteropOpensslEncryptThenSign, OuterSignatureIsNotTheAuthor) {
  require_openssl();
  const TempDir dir;
  const auto entity = dir / "entity.txt";
  const auto enc = dir / "enc.txt";
  const auto out = dir / "signed.eml";
  test::write(entity, sample_entity());
  const RunResult e = openssl({"cms", "-encrypt", "-in", entity.string(), "-out", enc.string(),
                               "-aes-256-gcm", bob().cert});
  ASSERT_EQ(e.exit_code, 0) << describe(e);
  const RunResult s = openssl({"cms", "-sign", "-in", enc.string(), "-signer", alice().cert,
                               "-inkey", alice().key, "-certfile", demo_path("intermediate.pem"),
                               "-from", "alice@example.org", "-to", "bob@example.org", "-subject",
                               "Test message", "-out", out.string()});
  ASSERT_EQ(s.exit_code, 0) << describe(s);
  const std::string message = test::read(out);
  RunResult vr;
  const nlohmann::json j = smimekit_verify_json(dir, message, "bob", &vr);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(vr.exit_code, 1) << describe(vr);
  EXPECT_EQ(j.value("verdict", ""), "unsigned") << j.dump();
  EXPECT_EQ(j.value("encrypted", false), true) << j.dump();
  EXPECT_NE(j.dump().find("covers only the encrypted data"), std::string::npos) << j.dump();
}

}  // namespace
}  // namespace smimekit::interop

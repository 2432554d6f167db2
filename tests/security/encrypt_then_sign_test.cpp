// Encrypt-then-sign: eve takes a ciphertext she intercepted (alice's message to bob), signs
// it as it is, and sends it to bob as her own. Her signature covers only the ciphertext: she
// never knew the plaintext. The spec: shown on its layer, but the verdict is `unsigned`
// unless a signature inside the encryption covers the content.
#include <gtest/gtest.h>

#include <string>

#include "security_support.h"

namespace smimekit::security {
namespace {

// Eve's message: her own From, the pkcs7-mime entity of CIPHERTEXT as its content.
std::string eve_resends(const std::string& ciphertext) {
  return "From: Eve Test <eve@example.org>\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: My idea\n"
         "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
         "MIME-Version: 1.0\n" +
         content_entity(ciphertext);
}

bool any_reason_has(const Report& r, std::string_view text) {
  for (const auto& reason : r.reasons) {
    if (reason.find(text) != std::string::npos) return true;
  }
  return false;
}

class SecurityEncryptThenSign : public testing::TestWithParam<SignFormat> {};

TEST_P(SecurityEncryptThenSign, OuterSignatureDoesNotMakeItSigned) {
  const std::string ciphertext = encrypt(secret_message(), {demo_certificate("bob")});
  SignOptions options;
  options.format = GetParam();
  const std::string message = sign(eve_resends(ciphertext), test_identity("eve"), options);

  const Report r = open_message(message, {demo_identity("bob")});
  const std::string json = to_json(r, "encrypt-then-sign");
  EXPECT_EQ(r.verdict, Verdict::Unsigned) << json;
  EXPECT_TRUE(any_reason_has(r, "covers only the encrypted data")) << json;
  EXPECT_TRUE(any_reason_has(r, "eve@example.org")) << json;
  // It decrypted: the content is shown, as unsigned.
  EXPECT_TRUE(r.encrypted) << json;
  EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(true));
  // Eve's signature is on its layer, checked, and itself fine.
  ASSERT_EQ(r.layers.size(), 1u) << json;
  EXPECT_EQ(r.layers[0].kind, LayerKind::Signed);
  ASSERT_EQ(r.layers[0].signers.size(), 1u);
  EXPECT_TRUE(r.layers[0].signers[0].ok()) << json;
  ASSERT_EQ(r.layers[0].children.size(), 1u) << json;
  EXPECT_EQ(r.layers[0].children[0].kind, LayerKind::AuthEnveloped);
  EXPECT_TRUE(r.layers[0].children[0].decrypted);
  // The summary never says VALID.
  EXPECT_EQ(summarize(r).find("VALID signature"), std::string::npos) << summarize(r);

  // The CLI: verify exits 1; decrypt writes the message and says why it is unsigned.
  const TempDir dir;
  test::write(dir / "m.eml", message);
  std::vector<std::string> args{"verify", "--anchor", test::demo("root.pem").string()};
  for (const auto& a : p12_args("bob")) args.push_back(a);
  args.push_back((dir / "m.eml").string());
  const RunResult v = test::smimekit(args);
  EXPECT_EQ(v.exit_code, 1) << describe(v);
  EXPECT_EQ(v.out.find("VALID signature"), std::string::npos) << describe(v);
  const CliDecrypt d = cli_decrypt(message, p12_args("bob"), {}, false);
  EXPECT_EQ(d.run.exit_code, 0) << describe(d.run);
  EXPECT_NE(d.run.err.find("covers only the encrypted data"), std::string::npos) << describe(d.run);
  EXPECT_EQ(d.run.err.find("VALID signature"), std::string::npos) << describe(d.run);
}

TEST_P(SecurityEncryptThenSign, AliceSignedInsideEveOutsideIsNotValid) {
  // alice signed and encrypted; eve re-signs the ciphertext under her From. alice's inner
  // signature covers the content, but the From it is judged against is eve's.
  const std::string ciphertext =
      sign_and_encrypt(secret_message(), demo_identity("alice"), {demo_certificate("bob")});
  SignOptions options;
  options.format = GetParam();
  const std::string message = sign(eve_resends(ciphertext), test_identity("eve"), options);
  const Report r = open_message(message, {demo_identity("bob")});
  const std::string json = to_json(r, "alice inside, eve outside");
  EXPECT_NE(r.verdict, Verdict::Valid) << json;
  EXPECT_TRUE(r.encrypted) << json;
  EXPECT_EQ(summarize(r).find("VALID signature by eve"), std::string::npos) << summarize(r);
}

INSTANTIATE_TEST_SUITE_P(Formats, SecurityEncryptThenSign,
                         testing::Values(SignFormat::Detached, SignFormat::Opaque),
                         [](const testing::TestParamInfo<SignFormat>& info) {
                           return info.param == SignFormat::Detached ? "Detached" : "Opaque";
                         });

TEST(SecurityEncryptThenSignControl, SignThenEncryptIsValid) {
  // The counterpart: alice signs inside the encryption -> VALID.
  const std::string message =
      sign_and_encrypt(secret_message(), demo_identity("alice"), {demo_certificate("bob")});
  const Report r = open_message(message, {demo_identity("bob")});
  EXPECT_EQ(r.verdict, Verdict::Valid) << to_json(r, "sign-then-encrypt");
  EXPECT_TRUE(r.encrypted);
}

TEST(SecurityEncryptThenSignControl, TripleWrapSpeaksOnlyForTheSignerInside) {
  // alice signs and encrypts; a gateway (carol's certificate here) signs the ciphertext on
  // the way out, under alice's From. The verdict rests on alice's inner signature; carol's
  // covers only ciphertext and must not be presented (or harvested) as a signer of the content.
  const std::string ciphertext =
      sign_and_encrypt(secret_message(), demo_identity("alice"), {demo_certificate("bob")});
  const std::string message = sign(
      "From: Alice Demo <alice@example.org>\n"
      "To: Bob Demo <bob@example.org>\n"
      "Subject: Triple\n"
      "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
      "MIME-Version: 1.0\n" +
          content_entity(ciphertext),
      demo_identity("carol"), {});
  const Report r = open_message(message, {demo_identity("bob")});
  const std::string json = to_json(r, "triple wrap");
  EXPECT_EQ(r.verdict, Verdict::Valid) << json;
  const auto signers = r.whole_message_signers();
  ASSERT_EQ(signers.size(), 1u) << json;
  EXPECT_EQ(*signers.front()->certificate, demo_certificate("alice"));
  EXPECT_NE(summarize(r).find("VALID signature by alice@example.org"), std::string::npos)
      << summarize(r);
  EXPECT_EQ(summarize(r).find("carol"), std::string::npos) << summarize(r);
}

}  // namespace
}  // namespace smimekit::security

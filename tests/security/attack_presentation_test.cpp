// UI redressing ("Johnny, You Are Fired!", USENIX Security 2019, §7 "UI redressing"): an
// unsigned message that looks signed — an HTML imitation of a mail reader's signature badge,
// header fields that claim a check passed, a signature file attached beside the text. The
// verdict comes only from signatures that cover the message, so all of these are unsigned.
#include <gtest/gtest.h>

#include <string>

#include "attack_support.h"

namespace smimekit::security {
namespace {

void expect_unsigned(const Report& r) {
  EXPECT_EQ(r.verdict, Verdict::Unsigned) << dump(r);
  EXPECT_TRUE(has_reason(r, "the message is not signed")) << dump(r);
  EXPECT_TRUE(r.whole_message_signers().empty()) << dump(r);
  EXPECT_FALSE(r.partially_signed) << dump(r);
  EXPECT_EQ(summarize(r).find("VALID"), std::string::npos) << summarize(r);
  EXPECT_NE(dump(r).find("\"verdict\":\"unsigned\""), std::string::npos) << dump(r);
}

TEST(SecurityAttackPresentation, HtmlImitatingASignatureBadge) {
  const std::string message =
      outer("Alice Demo <alice@example.org>", "text/html; charset=utf-8") +
      "<table style=\"background:#e6f4ea;border:1px solid #34a853;font:13px sans-serif\">"
      "<tr><td>&#x1F512; <b>Digitally signed</b> by alice@example.org &mdash; "
      "signature verified (S/MIME, Demo Root CA)</td></tr></table>\n"
      "<p>Please pay invoice 4711 to the new account below.</p>\n";
  const Report r = open_message(message, {});
  expect_unsigned(r);
  EXPECT_TRUE(r.layers.empty()) << dump(r);
}

TEST(SecurityAttackPresentation, HeaderFieldsClaimingAVerification) {
  // A forged Authentication-Results (as smimekit fetch writes them) and a made-up status.
  const Report r =
      open_message(plain_message("Authentication-Results: mx.example.org; smime=pass "
                                 "header.from=alice@example.org\n"
                                 "X-S/MIME-Status: valid signature by alice@example.org\n"
                                 "From: Alice Demo <alice@example.org>\n"),
                   {});
  expect_unsigned(r);
}

TEST(SecurityAttackPresentation, SignatureFileAttachedToAPlainMessage) {
  // alice's genuine smime.p7s attached to a text it does not belong to, in multipart/mixed
  // (not multipart/signed): it signs nothing.
  const std::string p7s = signature_der(alice_signed());
  const std::string message =
      outer("Alice Demo <alice@example.org>", "multipart/mixed; boundary=\"m\"") +
      "--m\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "Please pay invoice 4711 to the new account below.\n"
      "--m\n"
      "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\n"
      "Content-Transfer-Encoding: base64\n"
      "Content-Disposition: attachment; filename=\"smime.p7s\"\n"
      "\n" +
      base64_encode(p7s) + "--m--\n";
  expect_unsigned(open_message(message, {}));
}

}  // namespace
}  // namespace smimekit::security

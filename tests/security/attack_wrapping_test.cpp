// MIME wrapping ("Johnny, You Are Fired!", USENIX Security 2019, §5 "MIME wrapping
// attacks"): alice's genuine signed message is put, unchanged, inside a message of the
// attacker's, whose own text is what the reader sees. The signature still verifies over its
// part, so the report must neither call the message valid nor hide what happened: it says
// "partially signed" and names the part that the signature covers.
#include <gtest/gtest.h>

#include <string>

#include "attack_support.h"

namespace smimekit::security {
namespace {

const std::string kAttackerText = "Change of bank details: pay all invoices to eve.";

struct Wrapping {
  std::string name;
  std::string (*build)(const std::string& signed_message);
  std::string covered_part;  ///< the MIME part number the report must name
  bool signature_checked_over_raw_bytes = true;
};
void PrintTo(const Wrapping& w, std::ostream* os) {
  *os << w.name;
}

// Text in front, the signed message after it (multipart/mixed).
std::string text_before(const std::string& signed_message) {
  return outer("Alice Demo <alice@example.org>", "multipart/mixed; boundary=\"w\"") +
         "--w\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n" +
         kAttackerText +
         "\n"
         "--w\n" +
         as_part(signed_message) + "\n--w--\n";
}

// HTML before and after: the first opens a <div> that CSS hides, the last closes it, so a
// mail reader that shows the parts inline shows only the attacker's text.
std::string hidden_by_css(const std::string& signed_message) {
  return outer("Alice Demo <alice@example.org>", "multipart/mixed; boundary=\"w\"") +
         "--w\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "<p>" +
         kAttackerText +
         "</p><div style=\"display:none\">\n"
         "--w\n" +
         as_part(signed_message) +
         "\n--w\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "</div>\n"
         "--w--\n";
}

// multipart/alternative: the signed part first, the attacker's HTML last, which readers
// prefer as the richer alternative.
std::string alternative(const std::string& signed_message) {
  return outer("Alice Demo <alice@example.org>", "multipart/alternative; boundary=\"w\"") +
         "--w\n" + as_part(signed_message) +
         "\n--w\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "<p>" +
         kAttackerText +
         "</p>\n"
         "--w--\n";
}

// multipart/related: the attacker's HTML is the root; the signed part rides along unseen.
std::string related(const std::string& signed_message) {
  return outer("Alice Demo <alice@example.org>",
               "multipart/related; type=\"text/html\"; boundary=\"w\"") +
         "--w\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "<p>" +
         kAttackerText +
         "</p>\n"
         "--w\n" +
         as_part(signed_message) + "\n--w--\n";
}

// The same, with the HTML pulling the signed part in by its Content-ID, in a frame whose
// size makes it invisible (or visible, to lend the attacker's text its "signed" look).
std::string cid_reference(const std::string& signed_message) {
  return outer("Alice Demo <alice@example.org>",
               "multipart/related; type=\"text/html\"; boundary=\"w\"") +
         "--w\n"
         "Content-Type: text/html; charset=us-ascii\n"
         "\n"
         "<p>" +
         kAttackerText +
         "</p><iframe src=\"cid:signed@alice.example.org\" width=\"0\" height=\"0\"></iframe>\n"
         "--w\n"
         "Content-ID: <signed@alice.example.org>\n" +
         as_part(signed_message) + "\n--w--\n";
}

// alice's whole message attached as message/rfc822 below the attacker's text.
std::string attached_message(const std::string& signed_message) {
  return outer("Alice Demo <alice@example.org>", "multipart/mixed; boundary=\"w\"") +
         "--w\n"
         "Content-Type: text/plain; charset=us-ascii\n"
         "\n" +
         kAttackerText +
         "\n"
         "--w\n"
         "Content-Type: message/rfc822\n"
         "Content-Disposition: inline\n"
         "\n" +
         signed_message + "\n--w--\n";
}

class SecurityAttackWrapping : public testing::TestWithParam<std::tuple<Wrapping, SignFormat>> {};

TEST_P(SecurityAttackWrapping, PartiallySignedNamesTheCoveredPart) {
  const auto& [w, format] = GetParam();
  const std::string signed_message = alice_signed(format);
  ASSERT_EQ(open_message(signed_message, {}).verdict, Verdict::Valid);

  const Report r = open_message(w.build(signed_message), {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(r.partially_signed) << dump(r);
  EXPECT_TRUE(r.whole_message_signers().empty()) << dump(r);
  EXPECT_TRUE(has_reason(r, "partially signed: only part " + w.covered_part + " (")) << dump(r);
  EXPECT_TRUE(has_reason(r, "the rest of the message is not signed")) << dump(r);
  EXPECT_EQ(summarize(r).rfind("PARTIALLY SIGNED", 0), 0u) << summarize(r);
  EXPECT_EQ(summarize(r).find("VALID signature"), std::string::npos) << summarize(r);

  // The signed layer is there, as the named part, not as the whole message.
  ASSERT_EQ(r.layers.size(), 1u) << dump(r);
  EXPECT_EQ(r.layers[0].part, w.covered_part);
  EXPECT_FALSE(r.layers[0].covers_whole_message);
  ASSERT_EQ(r.layers[0].signers.size(), 1u) << dump(r);
  if (w.signature_checked_over_raw_bytes) {
    // Its own signature is alice's and fine: the report is exact about what is signed.
    EXPECT_EQ(r.layers[0].signers[0].signature, Status::Ok) << dump(r);
    EXPECT_TRUE(r.layers[0].signers[0].trust.trusted) << dump(r);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SecurityAttackWrapping,
    testing::Combine(
        testing::Values(Wrapping{"TextBeforeSignedPart", text_before, "2"},
                        Wrapping{"HiddenByCssInMixed", hidden_by_css, "2"},
                        Wrapping{"SignedPartInAlternative", alternative, "1"},
                        Wrapping{"SignedPartInRelated", related, "2"},
                        Wrapping{"PulledInByCidReference", cid_reference, "2"},
                        // The attached message is checked over GMime's rendering of it.
                        Wrapping{"AttachedAsRfc822", attached_message, "2", false}),
        testing::Values(SignFormat::Detached, SignFormat::Opaque)),
    [](const testing::TestParamInfo<std::tuple<Wrapping, SignFormat>>& info) {
      return std::get<0>(info.param).name +
             (std::get<1>(info.param) == SignFormat::Detached ? "Detached" : "Opaque");
    });

TEST(SecurityAttackWrappingCheck, SignedPartNestedTwoLevelsDeep) {
  // mixed { text, mixed { signed } }: the report names part 2.1.
  const std::string inner = "Content-Type: multipart/mixed; boundary=\"in\"\n\n--in\n" +
                            as_part(alice_signed()) + "\n--in--\n";
  const std::string message =
      outer("Alice Demo <alice@example.org>", "multipart/mixed; boundary=\"w\"") +
      "--w\nContent-Type: text/plain\n\n" + kAttackerText + "\n--w\n" + inner + "\n--w--\n";
  const Report r = open_message(message, {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(r.partially_signed) << dump(r);
  EXPECT_TRUE(has_reason(r, "partially signed: only part 2.1 (text/plain)")) << dump(r);
}

}  // namespace
}  // namespace smimekit::security

// Identity spoofing ("Johnny, You Are Fired!", USENIX Security 2019, §6 "ID attacks";
// "Re: What's up Johnny?", ACNS 2019): eve has a perfectly good certificate of her own and
// signs correctly, but the header the reader sees names the manager. The signature is fine
// and the chain is trusted; the message must still not be valid, because the signer is not
// who the From field says (RFC 8550 §3, RFC 8551 §3, spec "Address binding").
//
// The certificates: certs/test/eve (eve@example.org) and certs/test/manager
// (manager@example.org), both under the demo root.
#include <gtest/gtest.h>

#include <string>

#include "attack_support.h"

namespace smimekit::security {
namespace {

constexpr std::string_view kMismatch =
    "signature by eve@example.org: signer address does not match From";

struct Spoof {
  std::string name;
  std::string header_lines;  ///< From, Sender, ... as the attacker writes them
  std::string reason;        ///< what the report must say
};
void PrintTo(const Spoof& s, std::ostream* os) {
  *os << s.name;
}

std::vector<Spoof> spoofs() {
  const std::string mismatch(kMismatch);
  return {
      // eve's signature on a message from the manager.
      {"FromManagerSignedByEve", "From: Manager Test <manager@example.org>\n", mismatch},
      // The address is eve's, the display name shows the manager's.
      {"DisplayNameHoldsManagersAddress", "From: \"manager@example.org\" <eve@example.org>\n",
       mismatch},
      {"DisplayNameWithAddressInParentheses",
       "From: \"Manager Test (manager@example.org)\" <eve@example.org>\n", mismatch},
      {"EncodedDisplayNameHoldsManagersAddress",
       "From: =?utf-8?q?manager=40example=2Eorg?= <eve@example.org>\n", mismatch},
      // Two From fields: one for the check, one for the reader.
      {"TwoFromFieldsEveFirst",
       "From: Eve Test <eve@example.org>\nFrom: Manager Test <manager@example.org>\n", mismatch},
      {"TwoFromFieldsManagerFirst",
       "From: Manager Test <manager@example.org>\nFrom: Eve Test <eve@example.org>\n", mismatch},
      {"TwoMailboxesInOneFrom",
       "From: Manager Test <manager@example.org>, Eve Test <eve@example.org>\n", mismatch},
      // No From address at all, and eve as Sender: some readers show the Sender instead. The
      // code says this in its own words: there is no From to match.
      {"EmptyFromWithSender", "From:\nSender: Eve Test <eve@example.org>\n",
       "signature by eve@example.org: the message has no From address to compare with the signer"},
      // From and Sender naming different people, either way round.
      {"FromManagerSenderEve",
       "From: Manager Test <manager@example.org>\nSender: Eve Test <eve@example.org>\n", mismatch},
      {"FromEveSenderManager",
       "From: Eve Test <eve@example.org>\nSender: Manager Test <manager@example.org>\n", mismatch},
  };
}

class SecurityAttackIdentity : public testing::TestWithParam<std::tuple<Spoof, SignFormat>> {};

TEST_P(SecurityAttackIdentity, SignatureByEveIsNotValidForThisHeader) {
  const auto& [spoof, format] = GetParam();
  SignOptions options;
  options.format = format;
  const std::string message =
      sign(plain_message(spoof.header_lines), test_identity("eve"), options);
  const Report r = open_message(message, {});
  EXPECT_EQ(r.verdict, Verdict::Invalid) << dump(r);
  EXPECT_TRUE(has_reason(r, spoof.reason)) << dump(r);
  // Nothing else is wrong: the signature verifies and the chain is trusted.
  const auto signers = r.whole_message_signers();
  ASSERT_EQ(signers.size(), 1u) << dump(r);
  EXPECT_EQ(signers[0]->signature, Status::Ok) << dump(r);
  EXPECT_TRUE(signers[0]->trust.trusted) << dump(r);
  EXPECT_EQ(summarize(r).find("VALID signature"), std::string::npos) << summarize(r);
}

INSTANTIATE_TEST_SUITE_P(Headers, SecurityAttackIdentity,
                         testing::Combine(testing::ValuesIn(spoofs()),
                                          testing::Values(SignFormat::Detached,
                                                          SignFormat::Opaque)),
                         [](const testing::TestParamInfo<std::tuple<Spoof, SignFormat>>& info) {
                           return std::get<0>(info.param).name +
                                  (std::get<1>(info.param) == SignFormat::Detached ? "Detached"
                                                                                   : "Opaque");
                         });

TEST(SecurityAttackIdentityCheck, EveSigningAsHerselfIsValid) {
  // The control: the same signature under eve's own From (and Sender) is valid.
  for (const std::string& header :
       {std::string("From: Eve Test <eve@example.org>\n"),
        std::string("From: Eve Test <eve@example.org>\nSender: eve@example.org\n"),
        std::string("From: \"eve@example.org\" <eve@example.org>\n")}) {
    const Report r = open_message(sign(plain_message(header), test_identity("eve")), {});
    EXPECT_EQ(r.verdict, Verdict::Valid) << header << dump(r);
  }
}

TEST(SecurityAttackIdentityCheck, ReportShowsTheFromTheReaderSees) {
  // The report lists every From address it found, so that a reader's display can be held
  // against it.
  const Report r = open_message(
      sign(plain_message(
               "From: Eve Test <eve@example.org>\nFrom: Manager Test <manager@example.org>\n"),
           test_identity("eve")),
      {});
  EXPECT_EQ(r.from, (std::vector<std::string>{"eve@example.org", "manager@example.org"}))
      << dump(r);
}

}  // namespace
}  // namespace smimekit::security

// The SASL client messages: GNU SASL's mechanisms, and the two OAuth ones smimekit writes
// itself (RFC 7628 OAUTHBEARER, and XOAUTH2), byte for byte.
#include <gtest/gtest.h>

#include "pop3/sasl.h"
#include "smimekit/error.h"
#include "support/test_support.h"

namespace smimekit::pop3::detail {
namespace {

std::string decoded(const std::string& b64) { return test::base64_decode(b64); }

SaslParameters parameters(const Secret& secret) {
  SaslParameters p;
  p.user = "alice@example.org";
  p.password = &secret;
  p.host = "mail.example.org";
  p.port = 995;
  return p;
}

TEST(Sasl, DefaultPreferenceIsStrongestFirstAndHasNoOAuth) {
  const auto& order = SaslClient::default_preference();
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front(), "SCRAM-SHA-256-PLUS");
  for (const auto& m : order) EXPECT_EQ(m.find("OAUTH"), std::string::npos) << m;
  for (const char* m : {"SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5", "OAUTHBEARER", "XOAUTH2"}) {
    EXPECT_TRUE(SaslClient::supports(m)) << m;
  }
  EXPECT_FALSE(SaslClient::supports("NO-SUCH-MECHANISM"));
}

TEST(Sasl, PlainSendsAuthcidAndPasswordInOneMessage) {
  const Secret secret("s3cret");
  SaslClient plain("PLAIN", parameters(secret));
  EXPECT_EQ(decoded(plain.step("")), std::string("\0alice@example.org\0s3cret", 25));
  EXPECT_TRUE(plain.complete());
  EXPECT_FALSE(plain.mutual());
}

TEST(Sasl, ScramIsMutualAndNotCompleteAfterTheFirstMessage) {
  const Secret secret("s3cret");
  SaslClient scram("SCRAM-SHA-256", parameters(secret));
  const std::string first = decoded(scram.step(""));
  EXPECT_EQ(first.rfind("n,,n=alice@example.org,r=", 0), 0u) << first;
  EXPECT_TRUE(scram.mutual());
  EXPECT_FALSE(scram.complete());
  // A server-first message with a nonce that does not extend ours is refused.
  EXPECT_THROW((void)scram.step(test::base64_encode("r=other,s=c2FsdA==,i=4096")), Error);
}

TEST(Sasl, OAuthBearerFollowsRfc7628) {
  const Secret token("ya29.token");
  SaslParameters p = parameters(token);
  p.user = "a,b=c";
  SaslClient oauth("OAUTHBEARER", p);
  EXPECT_EQ(decoded(oauth.step("")),
            "n,a=a=2Cb=3Dc,\x01host=mail.example.org\x01port=995\x01" "auth=Bearer ya29.token\x01\x01");
  // An error challenge (JSON) is answered with the dummy %x01, after which the server says -ERR.
  EXPECT_EQ(decoded(oauth.step(test::base64_encode("{\"status\":\"invalid_token\"}"))), "\x01");
}

TEST(Sasl, Xoauth2) {
  const Secret token("ya29.token");
  SaslClient oauth("XOAUTH2", parameters(token));
  EXPECT_EQ(decoded(oauth.step("")), "user=alice@example.org\x01" "auth=Bearer ya29.token\x01\x01");
  EXPECT_EQ(oauth.step(test::base64_encode("{\"status\":\"400\"}")), "");
}

}  // namespace
}  // namespace smimekit::pop3::detail

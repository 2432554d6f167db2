// Private keys (plain and encrypted), PKCS#12 and make_identity.
#include <algorithm>

#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

using test::demo;
using test::test_cert;

template <typename F>
ErrorCode error_code_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no smimekit::Error was thrown";
  return ErrorCode::Internal;
}

Certificate cert_of(const std::filesystem::path& path) { return load_certificates(path).at(0); }

TEST(PrivateKeys, PlainKeysLoadWithoutPassword) {
  EXPECT_EQ(load_private_key(demo("alice.key"), nullptr).description(), "RSA-2048");
  EXPECT_EQ(load_private_key(demo("bob.key"), nullptr).description(), "RSA-3072");
  EXPECT_EQ(load_private_key(demo("carol.key"), nullptr).description(), "EC P-256");
  EXPECT_EQ(load_private_key(test_cert("rsa1024.key"), nullptr).description(), "RSA-1024");
}

TEST(PrivateKeys, PlainKeyIgnoresAPasswordItDoesNotNeed) {
  const Secret pw("demo");
  EXPECT_EQ(load_private_key(demo("alice.key"), &pw).description(), "RSA-2048");
}

TEST(PrivateKeys, EncryptedKeysLoadWithTheRightPassword) {
  const Secret pw("demo");
  EXPECT_EQ(load_private_key(demo("alice-enc.key"), &pw).description(), "RSA-2048");
  EXPECT_EQ(load_private_key(demo("carol-enc.key"), &pw).description(), "EC P-256");
  // It is the same key as the plain one: it fits alice's certificate.
  EXPECT_NO_THROW((void)make_identity(load_private_key(demo("alice-enc.key"), &pw),
                                      cert_of(demo("alice.pem")), {}));
}

TEST(PrivateKeys, EncryptedKeyWithoutPasswordIsPasswordError) {
  EXPECT_EQ(error_code_of([] { (void)load_private_key(demo("alice-enc.key"), nullptr); }),
            ErrorCode::Password);
  try {
    (void)load_private_key(demo("alice-enc.key"), nullptr);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("encrypted"), std::string::npos) << e.what();
  }
}

TEST(PrivateKeys, EncryptedKeyWithWrongPasswordIsPasswordError) {
  const Secret wrong("not-demo");
  EXPECT_EQ(error_code_of([&] { (void)load_private_key(demo("alice-enc.key"), &wrong); }),
            ErrorCode::Password);
  const Secret empty("");
  EXPECT_EQ(error_code_of([&] { (void)load_private_key(demo("bob-enc.key"), &empty); }),
            ErrorCode::Password);
}

TEST(PrivateKeys, NotAKeyIsInputAndMissingIsNoInput) {
  EXPECT_EQ(error_code_of([] { (void)parse_private_key("garbage", "g", nullptr); }),
            ErrorCode::Input);
  EXPECT_EQ(error_code_of([] {
              (void)parse_private_key(test::read(demo("alice.pem")), "a certificate", nullptr);
            }),
            ErrorCode::Input);
  EXPECT_EQ(error_code_of([] { (void)load_private_key(demo("nobody.key"), nullptr); }),
            ErrorCode::NoInput);
}

TEST(PrivateKeys, ParseFromMemory) {
  EXPECT_EQ(parse_private_key(test::read(demo("carol.key")), "carol", nullptr).description(),
            "EC P-256");
}

TEST(Pkcs12, LoadsKeyCertificateAndChain) {
  const Identity id = load_pkcs12(demo("alice.p12"), Secret("demo"));
  EXPECT_TRUE(id.certificate == cert_of(demo("alice.pem")));
  EXPECT_EQ(id.key.description(), "RSA-2048");
  // Intermediate and root travel along, the leaf itself does not.
  const Certificate intermediate = cert_of(demo("intermediate.pem"));
  EXPECT_TRUE(std::any_of(id.chain.begin(), id.chain.end(),
                          [&](const Certificate& c) { return c == intermediate; }));
  EXPECT_FALSE(std::any_of(id.chain.begin(), id.chain.end(),
                           [&](const Certificate& c) { return c == id.certificate; }));
}

TEST(Pkcs12, EcIdentity) {
  const Identity id = load_pkcs12(demo("carol.p12"), Secret("demo"));
  EXPECT_EQ(id.certificate.display_name(), "Carol Demo");
  EXPECT_EQ(id.key.description(), "EC P-256");
}

TEST(Pkcs12, WrongPasswordIsPasswordError) {
  EXPECT_EQ(error_code_of([] { (void)load_pkcs12(demo("alice.p12"), Secret("wrong")); }),
            ErrorCode::Password);
  EXPECT_EQ(error_code_of([] { (void)load_pkcs12(demo("alice.p12"), Secret()); }),
            ErrorCode::Password);
}

TEST(Pkcs12, NotPkcs12IsInputAndMissingIsNoInput) {
  EXPECT_EQ(error_code_of([] { (void)load_pkcs12(demo("alice.pem"), Secret("demo")); }),
            ErrorCode::Input);
  EXPECT_EQ(error_code_of([] { (void)load_pkcs12(demo("nobody.p12"), Secret("demo")); }),
            ErrorCode::NoInput);
}

TEST(MakeIdentity, KeyThatDoesNotFitTheCertificateIsUsage) {
  EXPECT_EQ(error_code_of([] {
              (void)make_identity(load_private_key(demo("alice.key"), nullptr),
                                  cert_of(demo("bob.pem")), {});
            }),
            ErrorCode::Usage);
  EXPECT_EQ(error_code_of([] {
              (void)make_identity(load_private_key(demo("carol.key"), nullptr),
                                  cert_of(demo("alice.pem")), {});
            }),
            ErrorCode::Usage);
  EXPECT_EQ(error_code_of([] {
              (void)make_identity(load_private_key(test_cert("eve.key"), nullptr),
                                  cert_of(test_cert("manager.pem")), {});
            }),
            ErrorCode::Usage);
}

TEST(MakeIdentity, DropsTheLeafFromTheChain) {
  const Certificate alice = cert_of(demo("alice.pem"));
  const Certificate intermediate = cert_of(demo("intermediate.pem"));
  const Identity id = make_identity(load_private_key(demo("alice.key"), nullptr), alice,
                                    {alice, intermediate});
  ASSERT_EQ(id.chain.size(), 1u);
  EXPECT_TRUE(id.chain[0] == intermediate);
  EXPECT_TRUE(id.certificate == alice);
}

}  // namespace
}  // namespace smimekit

// Key transport failures. A key that is not a recipient is told so ("not encrypted for").
// RSA PKCS#1 v1.5 (RFC 3218 §2.3.2, Bleichenbacher): a wrong key, a damaged encrypted key and
// a wrong padding must be indistinguishable: the same error, from the same place (the
// content decryption), every time.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <set>
#include <string>

#include "security_support.h"

namespace smimekit::security {
namespace {

std::string for_only(const std::string& user, bool rsa_pkcs1 = false,
                     ContentCipher cipher = ContentCipher::Aes256Gcm) {
  EncryptOptions options;
  options.rsa_pkcs1 = rsa_pkcs1;
  options.cipher = cipher;
  return encrypt(secret_message(), {demo_certificate(user)}, options);
}

bool any_reason_has(const Report& r, std::string_view text) {
  for (const auto& reason : r.reasons) {
    if (reason.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(SecurityWrongKey, RsaMessageForBobOpenedWithAlice) {
  const std::string message = for_only("bob");
  const Report r = open_message(message, {demo_identity("alice")});
  expect_refused(r, "alice's key");
  EXPECT_EQ(r.verdict, Verdict::Error) << to_json(r, "alice");  // the spec's verdict table
  EXPECT_TRUE(any_reason_has(r, "not encrypted for alice@example.org")) << to_json(r, "alice");

  const CliDecrypt d = cli_decrypt(message, p12_args("alice"), {}, false);
  EXPECT_EQ(d.run.exit_code, 1) << describe(d.run);
  EXPECT_FALSE(d.output_written);
  EXPECT_NE(d.run.err.find("not encrypted for"), std::string::npos) << describe(d.run);
  EXPECT_EQ(d.run.err.find(kSecret), std::string::npos);
  expect_cli_refused(cli_decrypt(message, p12_args("alice")), "alice, --json");
}

TEST(SecurityWrongKey, EcMessageForCarolOpenedWithBob) {
  const std::string message = for_only("carol");
  const Report r = open_message(message, {demo_identity("bob")});
  expect_refused(r, "bob's key");
  EXPECT_TRUE(any_reason_has(r, "not encrypted for bob@example.org")) << to_json(r, "bob");
  const CliDecrypt d = cli_decrypt(message, p12_args("bob"), {}, false);
  EXPECT_EQ(d.run.exit_code, 1) << describe(d.run);
  EXPECT_FALSE(d.output_written);
  EXPECT_NE(d.run.err.find("not encrypted for"), std::string::npos) << describe(d.run);
}

TEST(SecurityWrongKey, SeveralKeysTheRecipientsIsUsed) {
  const std::string message = for_only("bob");
  const Report r = open_message(message, {demo_identity("alice"), demo_identity("carol"),
                                          demo_identity("bob")});
  EXPECT_TRUE(r.encrypted) << to_json(r, "three keys");
  ASSERT_TRUE(r.text.has_value());
  EXPECT_NE(r.text->find(kSecret), std::string::npos);
  const Report none = open_message(message, {demo_identity("alice"), demo_identity("carol")});
  expect_refused(none, "two wrong keys");
  EXPECT_TRUE(any_reason_has(none, "not encrypted for any of the given keys"))
      << to_json(none, "two wrong keys");
}

TEST(SecurityWrongKey, NoKeyAtAll) {
  const Report r = open_message(for_only("bob"), {});
  expect_refused(r, "no key");
}

// ---------------------------------------------------------------------------------------
// PKCS#1 v1.5: the same error for every way the key transport can fail.

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::unique_ptr<EVP_PKEY, PkeyFree> bob_public_key() {
  const std::string pem = test::read(test::demo("bob.pem"));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) throw std::runtime_error("cannot read bob.pem");
  EVP_PKEY* key = X509_get_pubkey(cert);
  X509_free(cert);
  return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
}

// RSA with bob's public key: PADDING is RSA_NO_PADDING (INPUT is the whole block) or
// RSA_PKCS1_OAEP_PADDING (SHA-256).
std::string rsa_encrypt(const std::string& input, int padding) {
  auto key = bob_public_key();
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_PKEY_encrypt_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) <= 0 ||
      (padding == RSA_PKCS1_OAEP_PADDING &&
       EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0) ||
      EVP_PKEY_encrypt(ctx.get(), nullptr, &len, in, input.size()) <= 0) {
    throw std::runtime_error("cannot set up RSA encryption");
  }
  std::string out(len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                       input.size()) <= 0) {
    throw std::runtime_error("RSA encryption failed");
  }
  out.resize(len);
  return out;
}

std::string random_bytes(std::size_t n, bool nonzero = false) {
  std::string out(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  if (nonzero) {
    for (char& c : out) {
      if (c == 0) c = 0x5a;
    }
  }
  return out;
}

// A 384-byte RSA block (bob's modulus) of the form 00 BT PS 00 KEY, or without the zero
// separator when SEPARATOR is false.
std::string pkcs1_block(std::uint8_t block_type, std::size_t key_length, bool separator = true) {
  const std::size_t k = 384;
  std::string block;
  block.push_back('\0');
  block.push_back(static_cast<char>(block_type));
  const std::size_t ps = k - 3 - key_length;
  block += block_type == 1 ? std::string(ps, '\xff') : random_bytes(ps, true);
  block.push_back(separator ? '\0' : '\x01');
  block += random_bytes(key_length);
  return block;
}

struct Case {
  std::string what;
  std::string message;
  std::optional<Identity> identity;            // library
  std::vector<std::string> cli_identity;       // CLI
};

// An identity whose certificate names bob's issuer and serial number (so OpenSSL picks bob's
// RecipientInfo for it) but holds another RSA-3072 key: "a wrong key" in RFC 3218's sense.
struct WrongKey {
  std::filesystem::path key, cert;
};
WrongKey make_wrong_key(const TempDir& dir) {
  auto ossl = [](const std::vector<std::string>& args) {
    std::vector<std::string> full{"openssl"};
    full.insert(full.end(), args.begin(), args.end());
    const RunResult r = test::run(full);
    if (r.exit_code != 0) throw std::runtime_error(describe(r));
    return r.out;
  };
  const std::string ca_key = (dir / "fake-ca.key").string(), ca = (dir / "fake-ca.pem").string();
  const std::string key = (dir / "wrong.key").string(), csr = (dir / "wrong.csr").string(),
                    cert = (dir / "wrong.pem").string();
  const std::string bob = test::demo("bob.pem").string();
  // The fake CA carries the demo intermediate's exact subject.
  const std::string issuer = ossl({"x509", "-in", bob, "-noout", "-issuer", "-nameopt", "compat"});
  std::string subject = issuer.substr(issuer.find('=') + 1);
  while (!subject.empty() && (subject.back() == '\n' || subject.back() == ' ')) subject.pop_back();
  std::string serial = ossl({"x509", "-in", bob, "-noout", "-serial"});
  serial = serial.substr(serial.find('=') + 1);
  while (!serial.empty() && serial.back() == '\n') serial.pop_back();
  ossl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-subj", subject,
        "-days", "2", "-out", ca});
  ossl({"req", "-new", "-newkey", "rsa:3072", "-nodes", "-keyout", key, "-subj",
        "/O=smimekit demo/CN=Bob Demo", "-out", csr});
  ossl({"x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-set_serial", "0x" + serial,
        "-days", "2", "-out", cert});
  // Same issuer and serial as bob's certificate, another key.
  const std::string a = ossl({"x509", "-in", cert, "-noout", "-issuer", "-serial"});
  const std::string b = ossl({"x509", "-in", bob, "-noout", "-issuer", "-serial"});
  if (a != b) throw std::runtime_error("the wrong-key certificate does not name bob's: " + a + b);
  return {key, cert};
}

TEST(SecurityRsaPkcs1, EveryKeyTransportFailureGivesTheSameError) {
  const TempDir dir;
  const std::string message = for_only("bob", true);
  const std::string der = message_der(message);
  const auto f = locate_envelope(der);
  const Tlv ek = encrypted_key(der, f.recipients.at(0));
  ASSERT_EQ(ek.length, 384u);
  // Bob's RecipientInfo uses rsaEncryption (PKCS#1 v1.5), not OAEP.
  ASSERT_NE(whole(der, f.recipients.at(0)).find("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"),
            std::string::npos);

  const Identity bob = demo_identity("bob");
  const auto bob_cli = p12_args("bob");
  const WrongKey wrong = make_wrong_key(dir);
  const Identity wrong_id =
      make_identity(load_private_key(wrong.key, nullptr), load_certificates(wrong.cert).front(), {});

  std::vector<Case> cases;
  cases.push_back({"wrong key", message, wrong_id,
                   {"--key", wrong.key.string(), "--cert", wrong.cert.string()}});
  cases.push_back({"damaged encrypted key (middle)", with_der(message, flip(der, ek.content() + 190)),
                   bob, bob_cli});
  cases.push_back({"damaged encrypted key (first byte)", with_der(message, flip(der, ek.content(), 0x80)),
                   bob, bob_cli});
  cases.push_back({"wrong padding: block type 1",
                   with_der(message, overwrite(der, ek, rsa_encrypt(pkcs1_block(1, 32), RSA_NO_PADDING))),
                   bob, bob_cli});
  cases.push_back({"wrong padding: no zero separator",
                   with_der(message, overwrite(der, ek, rsa_encrypt(pkcs1_block(2, 32, false), RSA_NO_PADDING))),
                   bob, bob_cli});
  cases.push_back({"wrong padding: OAEP instead of PKCS#1",
                   with_der(message, overwrite(der, ek, rsa_encrypt(random_bytes(32), RSA_PKCS1_OAEP_PADDING))),
                   bob, bob_cli});
  cases.push_back({"right padding, 16-byte key for AES-256",
                   with_der(message, overwrite(der, ek, rsa_encrypt(pkcs1_block(2, 16), RSA_NO_PADDING))),
                   bob, bob_cli});
  cases.push_back({"right padding, another 32-byte key",
                   with_der(message, overwrite(der, ek, rsa_encrypt(pkcs1_block(2, 32), RSA_NO_PADDING))),
                   bob, bob_cli});

  std::set<std::string> library_reasons, cli_errors;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Report r = open_message(c.message, {*c.identity});
    expect_refused(r, c.what);
    EXPECT_EQ(r.verdict, Verdict::Invalid) << to_json(r, c.what);
    if (!r.reasons.empty()) library_reasons.insert(r.reasons.front());

    const CliDecrypt d = cli_decrypt(c.message, c.cli_identity, {}, false);
    EXPECT_EQ(d.run.exit_code, 1) << describe(d.run);
    EXPECT_FALSE(d.output_written);
    EXPECT_EQ(d.run.err.find(kSecret), std::string::npos);
    cli_errors.insert(d.run.err);
    expect_cli_refused(cli_decrypt(c.message, c.cli_identity), c.what);
  }
  EXPECT_EQ(library_reasons.size(), 1u)
      << "different reasons: " << fmt::format("{}", fmt::join(library_reasons, " | "));
  EXPECT_EQ(cli_errors.size(), 1u)
      << "different errors: " << fmt::format("{}", fmt::join(cli_errors, " | "));
  ASSERT_FALSE(cli_errors.empty());
  EXPECT_NE(cli_errors.begin()->find("decryption failed"), std::string::npos) << *cli_errors.begin();
}

TEST(SecurityRsaPkcs1, UntouchedPkcs1MessageOpens) {
  // The control for the test above.
  const Report r = open_message(for_only("bob", true), {demo_identity("bob")});
  EXPECT_TRUE(r.encrypted) << to_json(r, "pkcs1");
  ASSERT_TRUE(r.text.has_value());
  EXPECT_NE(r.text->find(kSecret), std::string::npos);
}

}  // namespace
}  // namespace smimekit::security

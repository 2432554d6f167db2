// AuthEnvelopedData (RFC 5083, AES-GCM RFC 5084) changed after encryption: one byte of the
// ciphertext, the tag, the nonce, the ICV length, an authenticated attribute or the encrypted
// key. Each must be refused as a whole: no plaintext in the Report (no text, no decrypted
// message, nothing in the JSON), `smimekit decrypt` exits 1 and leaves no output file.
//
// The fields are found by walking the DER (security_support.cpp); one test checks those
// offsets against `openssl asn1parse`, so that a mistake in the walker cannot make every
// tamper hit the wrong byte.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "security_support.h"

namespace smimekit::security {
namespace {

// A message for bob alone (RSA-OAEP) or carol alone (ECDH), AES-256-GCM, the library default.
std::string encrypted_for(const std::string& user, bool rsa_pkcs1 = false) {
  EncryptOptions options;
  options.rsa_pkcs1 = rsa_pkcs1;
  return encrypt(secret_message(), {demo_certificate(user)}, options);
}

// The untouched message opens: without this, a "refused" below could mean anything.
void expect_opens(const std::string& message, const std::string& user) {
  const Report r = open_message(message, {demo_identity(user)});
  ASSERT_TRUE(r.encrypted) << to_json(r, "control");
  ASSERT_EQ(r.authenticated_encryption, std::optional<bool>(true));
  ASSERT_TRUE(r.text.has_value());
  ASSERT_NE(r.text->find(kSecret), std::string::npos) << *r.text;
}

// ContentInfo { OID, [0] { SEQUENCE { FIELDS } } } with the three constructed levels in BER
// indefinite-length form (0x80 ... 00 00); the fields themselves stay DER.
std::string indefinite(const std::string& der, const EnvelopeFields& f,
                       const std::vector<std::string>& fields) {
  std::string out("\x30\x80", 2);
  out += whole(der, f.content_type_oid);
  out += std::string("\xa0\x80\x30\x80", 4);
  for (const auto& field : fields) out += field;
  out += std::string(6, '\0');
  return out;
}

struct Tamper {
  std::string name;
  std::string user;  // whose key decrypts
  bool rsa_pkcs1 = false;
  std::function<std::string(const std::string& der)> change;
};

void PrintTo(const Tamper& t, std::ostream* os) { *os << t.name; }

std::size_t mid(const Tlv& t) { return t.content() + t.length / 2; }

std::vector<Tamper> tampers() {
  std::vector<Tamper> out;
  auto add = [&](std::string name, std::string user, bool pkcs1,
                 std::function<std::string(const std::string&)> change) {
    out.push_back({std::move(name), std::move(user), pkcs1, std::move(change)});
  };
  // The ciphertext: first, middle and last byte.
  add("CiphertextFirstByte", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return flip(der, f.encrypted_content.content());
  });
  add("CiphertextMiddleByte", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return flip(der, f.encrypted_content.content() + f.encrypted_content.length / 2, 0x80);
  });
  add("CiphertextLastByte", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return flip(der, f.encrypted_content.end() - 1);
  });
  // The MAC (GCM tag).
  add("TagFirstByte", "bob", false, [](const std::string& der) {
    return flip(der, locate_envelope(der).mac->content());
  });
  add("TagLastByte", "bob", false, [](const std::string& der) {
    return flip(der, locate_envelope(der).mac->end() - 1, 0x40);
  });
  // The GCM nonce (the IV, in GCMParameters).
  add("NonceFirstByte", "bob", false, [](const std::string& der) {
    return flip(der, locate_envelope(der).nonce->content());
  });
  add("NonceLastByte", "bob", false, [](const std::string& der) {
    return flip(der, locate_envelope(der).nonce->end() - 1, 0x10);
  });
  // The ICV length (aes-ICVlen): written as 16; the tag stays 16 bytes long.
  for (int len : {12, 8}) {
    add("IcvLen16To" + std::to_string(len), "bob", false, [len](const std::string& der) {
      const auto f = locate_envelope(der);
      if (!f.icv_len || f.icv_len->length != 1 || der[f.icv_len->content()] != 16) {
        throw std::runtime_error("aes-ICVlen is not INTEGER 16");
      }
      return overwrite(der, *f.icv_len, std::string(1, static_cast<char>(len)));
    });
  }
  // The ICV length left out: it then defaults to 12 (RFC 5084 §3.2), not the 16 of the tag.
  add("IcvLenOmitted", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    const std::string params = encode_tlv(0x30, whole(der, *f.nonce));
    const std::string algorithm = encode_tlv(0x30, whole(der, f.algorithm_oid) + params);
    const std::string aeci = encode_tlv(
        0x30, whole(der, f.content_type) + algorithm + whole(der, f.encrypted_content));
    return rebuild_envelope(der, f, {whole(der, f.version), whole(der, f.recipient_infos), aeci,
                                     whole(der, *f.mac)});
  });
  // The tag cut short, ICV length left at 16: OpenSSL checks as many bytes as it is given.
  for (std::size_t keep : {12u, 4u}) {
    add("TagTruncatedTo" + std::to_string(keep), "bob", false, [keep](const std::string& der) {
      const auto f = locate_envelope(der);
      return rebuild_envelope(der, f, {whole(der, f.version), whole(der, f.recipient_infos),
                                       whole(der, f.encrypted_content_info),
                                       encode_tlv(0x04, contents(der, *f.mac).substr(0, keep))});
    });
  }
  // The same cut-short tag and changed ICV length, with the ContentInfo, its [0] and the
  // AuthEnvelopedData SEQUENCE in BER indefinite-length form (RFC 5652 allows BER; OpenSSL
  // reads it). A length check that only understands DER must not let these through.
  add("BerTagTruncatedTo4", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return indefinite(der, f, {whole(der, f.version), whole(der, f.recipient_infos),
                               whole(der, f.encrypted_content_info),
                               encode_tlv(0x04, contents(der, *f.mac).substr(0, 4))});
  });
  add("BerIcvLen16To12", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    const std::string changed = overwrite(der, *f.icv_len, std::string(1, '\x0c'));
    return indefinite(changed, f, {whole(changed, f.version), whole(changed, f.recipient_infos),
                                   whole(changed, f.encrypted_content_info),
                                   whole(changed, *f.mac)});
  });
  // The encrypted content-encryption key.
  add("EncryptedKeyRsaOaep", "bob", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return flip(der, mid(encrypted_key(der, f.recipients.at(0))));
  });
  add("EncryptedKeyRsaPkcs1", "bob", true, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return flip(der, mid(encrypted_key(der, f.recipients.at(0))));
  });
  add("EncryptedKeyEcdhWrapped", "carol", false, [](const std::string& der) {
    const auto f = locate_envelope(der);
    return flip(der, mid(encrypted_key(der, f.recipients.at(0))));
  });
  add("EcdhEphemeralKey", "carol", false, [](const std::string& der) {
    // The last byte of the uncompressed point's y coordinate: the point is no longer on the
    // curve, or a different one, so the key agreement gives another key.
    const auto f = locate_envelope(der);
    return flip(der, originator_public_key(der, f.recipients.at(0)).end() - 1);
  });
  return out;
}

class SecurityAuthEnvelopedTamper : public testing::TestWithParam<Tamper> {};

TEST_P(SecurityAuthEnvelopedTamper, RefusedWithoutPlaintext) {
  const Tamper& t = GetParam();
  const std::string message = encrypted_for(t.user, t.rsa_pkcs1);
  ASSERT_NO_FATAL_FAILURE(expect_opens(message, t.user));
  const std::string der = message_der(message);
  ASSERT_TRUE(locate_envelope(der).auth_enveloped);
  const std::string changed_der = t.change(der);
  ASSERT_NE(changed_der, der);
  const std::string tampered = with_der(message, changed_der);

  // Library level.
  const Report r = open_message(tampered, {demo_identity(t.user)});
  expect_refused(r, t.name);
  ASSERT_EQ(r.layers.size(), 1u) << to_json(r, t.name);
  EXPECT_EQ(r.layers[0].kind, LayerKind::AuthEnveloped);
  EXPECT_TRUE(r.layers[0].covers_whole_message);
  EXPECT_FALSE(r.layers[0].error.empty());

  // CLI level.
  expect_cli_refused(cli_decrypt(tampered, p12_args(t.user)), t.name);
}

TEST_P(SecurityAuthEnvelopedTamper, DataChangesAreInvalidNotError) {
  // The spec's verdict table: a message that "failed to decrypt or authenticate" is
  // `invalid`; `error` is for messages not encrypted for the key at all. A damaged message is
  // not a message for somebody else, and must not be reported as one.
  const Tamper& t = GetParam();
  const std::string message = encrypted_for(t.user, t.rsa_pkcs1);
  const std::string tampered = with_der(message, t.change(message_der(message)));
  const Report r = open_message(tampered, {demo_identity(t.user)});
  if (r.encrypted) GTEST_FAIL() << "the tampered message decrypted: " << to_json(r, t.name);
  EXPECT_EQ(r.verdict, Verdict::Invalid) << to_json(r, t.name);
  for (const auto& reason : r.reasons) {
    EXPECT_EQ(reason.find("not encrypted for"), std::string::npos)
        << "a damaged message reported as one for somebody else: " << reason;
  }
}

INSTANTIATE_TEST_SUITE_P(Fields, SecurityAuthEnvelopedTamper, testing::ValuesIn(tampers()),
                         [](const testing::TestParamInfo<Tamper>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------
// The output file: written to a temporary name and renamed only after the tag matched. A
// refused message leaves an existing file as it was, and prints nothing on stdout.

TEST(SecurityAuthEnvelopedOutput, RefusedMessageLeavesExistingOutputAlone) {
  const std::string message = encrypted_for("bob");
  const std::string der = message_der(message);
  const auto f = locate_envelope(der);
  const std::string tampered = with_der(message, flip(der, f.mac->end() - 1));
  const TempDir dir;
  test::write(dir / "in.eml", tampered);
  test::write(dir / "out.eml", "what was there before\n");
  std::vector<std::string> args{"decrypt"};
  for (const auto& a : p12_args("bob")) args.push_back(a);
  args.insert(args.end(), {"-o", (dir / "out.eml").string(), (dir / "in.eml").string()});
  const RunResult r = test::smimekit(args);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(test::read(dir / "out.eml"), "what was there before\n");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"in.eml", "out.eml"}));

  // To standard output: nothing at all.
  std::vector<std::string> to_stdout{"decrypt"};
  for (const auto& a : p12_args("bob")) to_stdout.push_back(a);
  to_stdout.push_back("-");
  const RunResult s = test::smimekit(to_stdout, tampered);
  EXPECT_EQ(s.exit_code, 1) << describe(s);
  EXPECT_TRUE(s.out.empty()) << s.out;
  EXPECT_EQ(s.err.find(kSecret), std::string::npos);

  // The same message untouched does replace the file.
  test::write(dir / "in.eml", message);
  const RunResult ok = test::smimekit(args);
  EXPECT_EQ(ok.exit_code, 0) << describe(ok);
  EXPECT_NE(test::read(dir / "out.eml").find(kSecret), std::string::npos);
}

TEST(SecurityAuthEnvelopedBer, UntouchedBerEncodingOpens) {
  // The control for the Ber* tampers: the same message re-encoded with indefinite lengths
  // (and nothing else changed) is read by OpenSSL and by smimekit.
  const std::string message = encrypted_for("bob");
  const std::string der = message_der(message);
  const auto f = locate_envelope(der);
  const std::string ber = indefinite(der, f, {whole(der, f.version), whole(der, f.recipient_infos),
                                              whole(der, f.encrypted_content_info), whole(der, *f.mac)});
  ASSERT_NE(ber, der);
  const TempDir dir;
  test::write(dir / "ber.der", ber);
  const RunResult o = test::run({"openssl", "cms", "-decrypt", "-inform", "DER", "-in",
                                 (dir / "ber.der").string(), "-inkey",
                                 test::demo("bob.key").string(), "-recip",
                                 test::demo("bob.pem").string()});
  EXPECT_EQ(o.exit_code, 0) << describe(o);
  EXPECT_NE(o.out.find(kSecret), std::string::npos) << describe(o);
  const Report r = open_message(with_der(message, ber), {demo_identity("bob")});
  EXPECT_TRUE(r.encrypted) << to_json(r, "ber");
  EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(true));
}

// ---------------------------------------------------------------------------------------
// The walker against openssl asn1parse.

TEST(SecurityAuthEnvelopedDer, WalkerAgreesWithOpensslAsn1parse) {
  ASSERT_TRUE(test::have_program("openssl"));
  const std::string der = message_der(encrypted_for("bob"));
  const TempDir dir;
  test::write(dir / "m.der", der);
  const RunResult r =
      test::run({"openssl", "asn1parse", "-inform", "DER", "-i", "-in", (dir / "m.der").string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);

  const auto f = locate_envelope(der);
  ASSERT_TRUE(f.auth_enveloped);
  ASSERT_TRUE(f.nonce && f.icv_len && f.mac);
  auto line_at = [&](const Tlv& t) {
    const std::regex re("(^|\\n) *" + std::to_string(t.offset) + ":d=\\d+ +hl=" +
                        std::to_string(t.header) + " +l= *" + std::to_string(t.length) +
                        " ([a-z]+): *([^\\n]*)");
    std::smatch m;
    return std::regex_search(r.out, m, re) ? m[3].str() : std::string("(no line)");
  };
  EXPECT_NE(line_at(f.content_type_oid).find("id-smime-ct-authEnvelopedData"), std::string::npos);
  EXPECT_NE(line_at(f.algorithm_oid).find("aes-256-gcm"), std::string::npos) << r.out;
  EXPECT_NE(line_at(*f.nonce).find("OCTET STRING"), std::string::npos) << r.out;
  EXPECT_NE(line_at(*f.icv_len).find("INTEGER           :10"), std::string::npos) << r.out;
  EXPECT_NE(line_at(f.encrypted_content).find("cont [ 0 ]"), std::string::npos) << r.out;
  EXPECT_NE(line_at(*f.mac).find("OCTET STRING"), std::string::npos) << r.out;
  // The spec: 12-byte nonce, 16-byte tag.
  EXPECT_EQ(f.nonce->length, 12u);
  EXPECT_EQ(f.mac->length, 16u);
  // The mac is the last field of the AuthEnvelopedData.
  EXPECT_EQ(f.mac->end(), f.envelope.end());
}

// ---------------------------------------------------------------------------------------
// Authenticated attributes. Neither smimekit nor `openssl cms -encrypt` (OpenSSL 3.0 has no
// option for them) writes authAttrs, so they are added here by hand: the content key is
// recovered with bob's private key and the tag computed again with the DER of the
// attributes (with the SET OF tag) as AAD (RFC 5083 §2.1).

struct EvpKeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct EvpCipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::unique_ptr<EVP_PKEY, EvpKeyFree> load_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("cannot read the private key");
  return std::unique_ptr<EVP_PKEY, EvpKeyFree>(key);
}

std::string rsa_oaep_sha256_decrypt(const std::string& key_pem, const std::string& ek) {
  auto key = load_key(key_pem);
  std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree> ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  std::size_t len = 0;
  if (EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(ek.data()), ek.size()) <= 0) {
    throw std::runtime_error("cannot set up RSA-OAEP decryption");
  }
  std::string out(len, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                       reinterpret_cast<const unsigned char*>(ek.data()), ek.size()) <= 0) {
    throw std::runtime_error("RSA-OAEP decryption of the content key failed");
  }
  out.resize(len);
  return out;
}

// AES-GCM with KEY (16 or 32 bytes): encrypts PLAIN with AAD, returns ciphertext and tag.
std::pair<std::string, std::string> gcm_encrypt(const std::string& key, const std::string& nonce,
                                                const std::string& plain, const std::string& aad) {
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* cipher = key.size() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
  auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  int n = 0;
  std::string ct(plain.size(), '\0');
  std::string tag(16, '\0');
  if (EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, u(key), u(nonce)) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &n, u(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &n, u(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data()) != 1) {
    throw std::runtime_error("AES-GCM encryption failed");
  }
  return {ct, tag};
}

std::optional<std::string> gcm_decrypt(const std::string& key, const std::string& nonce,
                                       const std::string& ct, const std::string& tag) {
  std::unique_ptr<EVP_CIPHER_CTX, EvpCipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* cipher = key.size() == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
  auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  int n = 0;
  std::string plain(ct.size(), '\0');
  std::string t = tag;
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u(key), u(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n, u(ct),
                        static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(t.size()), t.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &n) != 1) {
    return std::nullopt;
  }
  return plain;
}

// 1.2.840.113549.1.9.3 contentType = 1.2.840.113549.1.7.1 id-data, and
// 1.2.840.113549.1.9.5 signingTime = UTCTime 261126100000Z. DER SET OF: sorted encodings.
std::string auth_attributes() {
  const std::string content_type = encode_tlv(
      0x30, encode_tlv(0x06, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03") +
                encode_tlv(0x31, encode_tlv(0x06, "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01")));
  const std::string signing_time =
      encode_tlv(0x30, encode_tlv(0x06, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05") +
                           encode_tlv(0x31, encode_tlv(0x17, "261126100000Z")));
  return content_type + signing_time;  // 30 18 ... sorts before 30 1c ...
}

struct WithAttributes {
  std::string message;  // a valid message for bob with authAttrs
  std::string der;
};

// Takes an AES-256-GCM message for bob and gives it authenticated attributes, with the tag
// made over them (AAD_ATTRS true) or the old tag kept (false).
WithAttributes add_auth_attributes(bool aad_over_attributes) {
  const std::string message = encrypted_for("bob");
  const std::string der = message_der(message);
  const auto f = locate_envelope(der);
  const std::string cek =
      rsa_oaep_sha256_decrypt(test::read(test::demo("bob.key")),
                              contents(der, encrypted_key(der, f.recipients.at(0))));
  const std::string nonce = contents(der, *f.nonce);
  const std::string ct = contents(der, f.encrypted_content);
  const auto plain = gcm_decrypt(cek, nonce, ct, contents(der, *f.mac));
  if (!plain || plain->find(kSecret) == std::string::npos) {
    throw std::runtime_error("the recovered content key does not open the message");
  }
  const std::string attrs = auth_attributes();
  std::string tag = contents(der, *f.mac);
  if (aad_over_attributes) {
    auto [new_ct, new_tag] = gcm_encrypt(cek, nonce, *plain, encode_tlv(0x31, attrs));
    if (new_ct != ct) throw std::runtime_error("GCM ciphertext should not depend on the AAD");
    tag = new_tag;
  }
  WithAttributes out;
  out.der = rebuild_envelope(der, f, {whole(der, f.version), whole(der, f.recipient_infos),
                                      whole(der, f.encrypted_content_info),
                                      encode_tlv(0xA1, attrs), encode_tlv(0x04, tag)});
  out.message = with_der(message, out.der);
  return out;
}

TEST(SecurityAuthEnvelopedAttributes, HandBuiltAttributesOpen) {
  // The control: a correctly built message with authAttrs decrypts, so the refusals below
  // come from the change, not from the attributes being there.
  const WithAttributes w = add_auth_attributes(true);
  const auto f = locate_envelope(w.der);
  ASSERT_TRUE(f.auth_attrs.has_value());
  const Report r = open_message(w.message, {demo_identity("bob")});
  EXPECT_TRUE(r.encrypted) << to_json(r, "with authAttrs");
  EXPECT_EQ(r.authenticated_encryption, std::optional<bool>(true));
  ASSERT_TRUE(r.text.has_value());
  EXPECT_NE(r.text->find(kSecret), std::string::npos);
  const CliDecrypt d = cli_decrypt(w.message, p12_args("bob"));
  EXPECT_EQ(d.run.exit_code, 0) << describe(d.run);
  EXPECT_TRUE(d.output_written);
}

TEST(SecurityAuthEnvelopedAttributes, ChangedAttributeRefused) {
  const WithAttributes w = add_auth_attributes(true);
  const auto f = locate_envelope(w.der);
  ASSERT_TRUE(f.auth_attrs.has_value());
  // Change the signingTime's minute digit ("261126100000Z" -> "261126101000Z") and,
  // separately, the content type (id-data -> id-signedData).
  const std::size_t time_at = w.der.find("261126100000Z");
  ASSERT_NE(time_at, std::string::npos);
  ASSERT_GT(time_at, f.auth_attrs->content());
  ASSERT_LT(time_at, f.auth_attrs->end());
  const std::size_t id_data_at =
      w.der.find("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01", f.auth_attrs->content());
  ASSERT_NE(id_data_at, std::string::npos);
  ASSERT_LT(id_data_at, f.auth_attrs->end());
  const std::vector<std::pair<std::string, std::string>> changed{
      {"signingTime digit", flip(w.der, time_at + 9, '0' ^ '1')},
      {"contentType value", flip(w.der, id_data_at + 8, 0x01 ^ 0x02)},
  };
  for (const auto& [what, der] : changed) {
    const std::string tampered = with_der(w.message, der);
    expect_refused(open_message(tampered, {demo_identity("bob")}), what);
    expect_cli_refused(cli_decrypt(tampered, p12_args("bob")), what);
  }
}

TEST(SecurityAuthEnvelopedAttributes, AttributesAddedAfterwardsRefused) {
  // Attributes slipped in without the tag covering them.
  const WithAttributes w = add_auth_attributes(false);
  expect_refused(open_message(w.message, {demo_identity("bob")}), "attributes added");
  expect_cli_refused(cli_decrypt(w.message, p12_args("bob")), "attributes added");
}

TEST(SecurityAuthEnvelopedAttributes, AttributesRemovedRefused) {
  // The tag covers the attributes; taking them out must break it.
  const WithAttributes w = add_auth_attributes(true);
  const auto f = locate_envelope(w.der);
  const std::string der =
      rebuild_envelope(w.der, f, {whole(w.der, f.version), whole(w.der, f.recipient_infos),
                                  whole(w.der, f.encrypted_content_info), whole(w.der, *f.mac)});
  const std::string tampered = with_der(w.message, der);
  expect_refused(open_message(tampered, {demo_identity("bob")}), "attributes removed");
  expect_cli_refused(cli_decrypt(tampered, p12_args("bob")), "attributes removed");
}

// ---------------------------------------------------------------------------------------
// A downgrade: the CBC content and recipient infos of an EnvelopedData moved into an
// AuthEnvelopedData with a made-up tag. It must not be decrypted as "authenticated".

TEST(SecurityAuthEnvelopedDowngrade, CbcInsideAuthEnvelopedDataRefused) {
  EncryptOptions options;
  options.cipher = ContentCipher::Aes256Cbc;
  const std::string cbc = encrypt(secret_message(), {demo_certificate("bob")}, options);
  const std::string der = message_der(cbc);
  const auto f = locate_envelope(der);
  ASSERT_FALSE(f.auth_enveloped);
  const std::string auth_oid = encode_tlv(0x06, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17");
  const std::string body = std::string("\x02\x01\x00", 3) + whole(der, f.recipient_infos) +
                           whole(der, f.encrypted_content_info) + encode_tlv(0x04, std::string(16, '\0'));
  const std::string forged = encode_tlv(0x30, auth_oid + encode_tlv(0xA0, encode_tlv(0x30, body)));
  std::string message = with_der(cbc, forged);
  message = std::regex_replace(message, std::regex("smime-type=enveloped-data"),
                               "smime-type=authEnveloped-data");
  const Report r = open_message(message, {demo_identity("bob")});
  expect_refused(r, "CBC in AuthEnvelopedData");
  EXPECT_NE(r.authenticated_encryption, std::optional<bool>(true));
  expect_cli_refused(cli_decrypt(message, p12_args("bob")), "CBC in AuthEnvelopedData");
}

}  // namespace
}  // namespace smimekit::security

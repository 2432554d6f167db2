// EnvelopedData and AuthEnvelopedData through OpenSSL CMS (RFC 5652 §6, RFC 5083/5084,
// RFC 8551 §2.7 for the algorithm choices, RFC 5753 for ECDH).
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <fmt/format.h>

#include <algorithm>

#include "cms/cms.h"
#include "cms/der.h"
#include "core/providers.h"
#include "core/x509_impl.h"

namespace smimekit::cms {

namespace {

const EVP_CIPHER* evp_cipher(ContentCipher c) {
  switch (c) {
    case ContentCipher::Aes256Gcm: return EVP_aes_256_gcm();
    case ContentCipher::Aes128Gcm: return EVP_aes_128_gcm();
    case ContentCipher::Aes256Cbc: return EVP_aes_256_cbc();
    case ContentCipher::Aes128Cbc: return EVP_aes_128_cbc();
  }
  return EVP_aes_256_gcm();
}

ossl::CmsPtr parse(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return ossl::CmsPtr(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

void configure_recipient(CMS_RecipientInfo* ri, const Certificate& cert, bool rsa_pkcs1) {
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (pctx == nullptr) ossl::fail(ErrorCode::Crypto, "cannot set up the recipient key");
  if (cert.has_rsa_key()) {
    if (rsa_pkcs1) return;  // OpenSSL's default for RSA key transport
    // RFC 8551 §2.3 / RFC 3560: RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
      ossl::fail(ErrorCode::Crypto, "cannot set up RSAES-OAEP");
    }
    return;
  }
  // RFC 5753 / RFC 8551 §2.3: ECDH ephemeral-static with the X9.63 KDF over SHA-256 (OpenSSL
  // would otherwise fall back to SHA-1); the key wrap follows the content cipher's key size.
  if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) <= 0) {
    ossl::fail(ErrorCode::Crypto, "cannot set up the ECDH key derivation");
  }
}

// Does a RecipientInfo of CMS name CERT (by issuer and serial or subject key identifier)?
bool is_recipient(CMS_ContentInfo* cms, const Certificate& cert) {
  X509* x = cert.impl().x509.get();
  STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms);
  for (int i = 0; infos != nullptr && i < sk_CMS_RecipientInfo_num(infos); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
    switch (CMS_RecipientInfo_type(ri)) {
      case CMS_RECIPINFO_TRANS:
        if (CMS_RecipientInfo_ktri_cert_cmp(ri, x) == 0) return true;
        break;
      case CMS_RECIPINFO_AGREE: {
        STACK_OF(CMS_RecipientEncryptedKey)* keys = CMS_RecipientInfo_kari_get0_reks(ri);
        for (int k = 0; keys != nullptr && k < sk_CMS_RecipientEncryptedKey_num(keys); ++k) {
          if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(keys, k), x) ==
              0) {
            return true;
          }
        }
        break;
      }
      default: break;
    }
  }
  return false;
}

}  // namespace

int cipher_nid(ContentCipher cipher) { return EVP_CIPHER_get_nid(evp_cipher(cipher)); }

std::string encrypt(std::string_view content, const std::vector<Certificate>& recipients,
                    const EncryptParams& params) {
  if (recipients.empty()) throw Error(ErrorCode::Usage, "no recipient to encrypt for");
  ossl::clear_errors();
  const unsigned flags = CMS_BINARY | CMS_PARTIAL;
  // An AEAD cipher makes OpenSSL build AuthEnvelopedData instead of EnvelopedData.
  ossl::CmsPtr cms(CMS_encrypt(nullptr, nullptr, evp_cipher(params.cipher), flags));
  if (!cms) ossl::fail(ErrorCode::Crypto, "cannot start the encryption");
  for (const auto& cert : recipients) {
    CMS_RecipientInfo* ri =
        CMS_add1_recipient_cert(cms.get(), cert.impl().x509.get(), CMS_KEY_PARAM);
    if (ri == nullptr) {
      ossl::fail(ErrorCode::Crypto,
                 fmt::format("cannot encrypt for {} ({})", cert.display_name(),
                             cert.key_description()));
    }
    configure_recipient(ri, cert, params.rsa_pkcs1);
  }
  ossl::BioPtr data = ossl::memory_bio(content);
  if (CMS_final(cms.get(), data.get(), nullptr, CMS_BINARY) != 1) {
    ossl::fail(ErrorCode::Crypto, "cannot encrypt");
  }
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0) ossl::fail(ErrorCode::Crypto, "cannot encode the encrypted message");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

EnvelopeKind envelope_kind(std::string_view der) {
  ossl::CmsPtr cms = parse(der);
  ossl::clear_errors();
  if (!cms) return EnvelopeKind::Other;
  switch (OBJ_obj2nid(CMS_get0_type(cms.get()))) {
    case NID_pkcs7_enveloped: return EnvelopeKind::Enveloped;
    case NID_id_smime_ct_authEnvelopedData: return EnvelopeKind::AuthEnveloped;
    case NID_pkcs7_signed: return EnvelopeKind::Signed;
    default: return EnvelopeKind::Other;
  }
}

Decrypted decrypt(std::string_view der, const std::vector<Identity>& identities) {
  ossl::clear_errors();
  ossl::CmsPtr cms = parse(der);
  if (!cms) ossl::fail(ErrorCode::Input, "the encrypted part is not valid CMS data");
  const int type = OBJ_obj2nid(CMS_get0_type(cms.get()));
  if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) {
    throw Error(ErrorCode::Input, "the CMS data is neither EnvelopedData nor AuthEnvelopedData");
  }
  Decrypted out;
  out.authenticated = type == NID_id_smime_ct_authEnvelopedData;
  out.cipher = "unknown";
  if (auto oid = content_encryption_oid(der)) {
    const auto* p = reinterpret_cast<const unsigned char*>(oid->data());
    if (ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid->size()))) {
      // The long names read as people write them: "aes-256-gcm", "des-ede3-cbc".
      const int nid = OBJ_obj2nid(obj);
      out.cipher = nid != NID_undef ? OBJ_nid2ln(nid) : ossl::object_oid(obj);
      out.legacy_cipher = nid == NID_rc2_cbc || nid == NID_rc2_40_cbc || nid == NID_rc2_64_cbc ||
                          nid == NID_des_cbc;
      ASN1_OBJECT_free(obj);
    }
  }
  if (out.authenticated) {
    // RFC 5084 §3.2: the mac is aes-ICVlen octets long. OpenSSL checks whatever length the
    // mac has, so a tag cut short, or a parameter that disagrees with it, is refused here;
    // smimekit accepts only full 16-octet tags.
    // BER input (indefinite lengths) is first re-encoded as DER by OpenSSL's own parse.
    std::optional<GcmLengths> gcm = gcm_lengths(der);
    if (!gcm) {
      unsigned char* reencoded = nullptr;
      const int len = i2d_CMS_ContentInfo(cms.get(), &reencoded);
      if (len > 0) {
        gcm = gcm_lengths(std::string_view(reinterpret_cast<char*>(reencoded),
                                           static_cast<std::size_t>(len)));
      }
      OPENSSL_free(reencoded);
      ossl::clear_errors();
    }
    if (!gcm) {
      throw Error(ErrorCode::Decryption,
                  "the AES-GCM parameters or the authentication tag cannot be read: the message "
                  "is damaged");
    }
    // The nonce likewise: RFC 5084 allows 7 to 13 octets and recommends 12, and OpenSSL 3.0
    // uses only the first 12 of a longer one, so bytes added to the nonce on the way went
    // unnoticed and the message still decrypted as authenticated. smimekit writes 12 and
    // reads only 12.
    if (gcm->nonce_length != 12) {
      throw Error(ErrorCode::Decryption,
                  fmt::format("the AES-GCM nonce is {} octets where 12 are required: the message "
                              "was changed or damaged",
                              gcm->nonce_length));
    }
    if (gcm->mac_length != gcm->icv_length || gcm->mac_length != 16) {
      throw Error(ErrorCode::Decryption,
                  fmt::format("the authentication tag is {} octets where {} are declared and 16 "
                              "are required: the message was changed or damaged",
                              gcm->mac_length, gcm->icv_length));
    }
  }
  if (identities.empty()) {
    throw Error(ErrorCode::Usage, "the message is encrypted: give the key to decrypt it with");
  }
  for (const auto& id : identities) {
    ossl::clear_errors();
    // With the certificate given, OpenSSL tries only the matching RecipientInfo. When RSA key
    // transport fails there, it goes on with a random content key instead of saying so
    // (RFC 3218 §2.3.2), so a wrong key, bad padding and a damaged key all end the same way:
    // at the content decryption below.
    if (!is_recipient(cms.get(), id.certificate)) continue;
    if (CMS_decrypt_set1_pkey_and_peer(cms.get(), id.key.impl().pkey.get(),
                                       id.certificate.impl().x509.get(), nullptr) != 1) {
      // A RecipientInfo names this certificate, yet its key could not be recovered: the key
      // agreement data or the wrapped key was changed.
      ossl::clear_errors();
      throw Error(ErrorCode::Decryption,
                  "decryption failed: the message is damaged or was changed (the content key "
                  "could not be recovered), or the key is wrong");
    }
    // The plaintext goes to memory and leaves only if CMS_decrypt succeeds as a whole, which
    // for AuthEnvelopedData includes the GCM tag check at the end of the stream.
    ossl::BioPtr plain(BIO_new(BIO_s_mem()));
    // Old mail (RFC 4134's RC2 samples, say) stays readable: the legacy provider is there
    // only for this one decryption, and the report calls the cipher weak.
    std::optional<LegacyProviderScope> legacy;
    if (out.legacy_cipher) legacy.emplace();
    if (CMS_decrypt(cms.get(), nullptr, nullptr, nullptr, plain.get(), CMS_BINARY) != 1) {
      ossl::clear_errors();
      throw Error(ErrorCode::Decryption,
                  out.authenticated
                      ? "decryption failed: the message was changed or damaged (its "
                        "authentication tag does not match), or the key is wrong"
                      : "decryption failed: the message is damaged or the key is wrong");
    }
    out.content = ossl::bio_contents(plain.get());
    out.recipient = id.certificate.fingerprint_sha256();
    ossl::clear_errors();
    return out;
  }
  ossl::clear_errors();
  throw Error(ErrorCode::NotRecipient,
              identities.size() == 1
                  ? fmt::format("the message is not encrypted for {}",
                                identities.front().certificate.email_addresses().empty()
                                    ? identities.front().certificate.display_name()
                                    : identities.front().certificate.email_addresses().front())
                  : "the message is not encrypted for any of the given keys");
}

}  // namespace smimekit::cms

namespace smimekit {

// Declared in smimekit/mail.h; here because the CMS layer names the ciphers it reads too.
std::optional<ContentCipher> parse_content_cipher(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::erase(n, '-');
  if (n == "aes256gcm") return ContentCipher::Aes256Gcm;
  if (n == "aes128gcm") return ContentCipher::Aes128Gcm;
  if (n == "aes256cbc") return ContentCipher::Aes256Cbc;
  if (n == "aes128cbc") return ContentCipher::Aes128Cbc;
  return std::nullopt;
}

std::string_view content_cipher_name(ContentCipher cipher) noexcept {
  switch (cipher) {
    case ContentCipher::Aes256Gcm: return "aes256-gcm";
    case ContentCipher::Aes128Gcm: return "aes128-gcm";
    case ContentCipher::Aes256Cbc: return "aes256-cbc";
    case ContentCipher::Aes128Cbc: return "aes128-cbc";
  }
  return "aes256-gcm";
}

}  // namespace smimekit

#include <openssl/err.h>

#include <algorithm>
#include <cctype>

#include "cms/cms.h"
#include "cms/der.h"
#include "core/time_util.h"
#include "core/x509_impl.h"

namespace smimekit::cms {

namespace {

ossl::CmsPtr parse_content_info(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return ossl::CmsPtr(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<TimePoint> signing_time(CMS_SignerInfo* si) {
  const int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx < 0) return std::nullopt;
  X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);
  if (value == nullptr ||
      (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME)) {
    return std::nullopt;
  }
  return from_asn1_time(reinterpret_cast<const ASN1_TIME*>(value->value.asn1_string));
}

// The IssuerAndSerialNumber SEQUENCE's contents (RFC 5652 §10.2.4) in [P, END).
std::optional<CertificateRef> issuer_and_serial(const unsigned char* p, const unsigned char* end) {
  ossl::X509NamePtr issuer(d2i_X509_NAME(nullptr, &p, end - p));
  if (!issuer) return std::nullopt;
  ossl::Asn1IntegerPtr serial(d2i_ASN1_INTEGER(nullptr, &p, end - p));
  if (!serial || p != end) return std::nullopt;
  return certificate_ref(issuer.get(), serial.get());
}

// One TLV at P (within LENGTH octets): its tag, class and contents. Definite lengths only.
struct Tlv {
  int tag = 0, cls = 0;
  bool constructed = false;
  const unsigned char* contents = nullptr;
  long length = 0;
};
std::optional<Tlv> read_tlv(const unsigned char* p, long length) {
  Tlv tlv;
  const int ret = ASN1_get_object(&p, &tlv.length, &tlv.tag, &tlv.cls, length);
  if ((ret & 0x80) != 0 || ret == (V_ASN1_CONSTRUCTED | 1)) return std::nullopt;
  tlv.constructed = (ret & V_ASN1_CONSTRUCTED) != 0;
  tlv.contents = p;
  return tlv;
}

// The DER of an attribute value OpenSSL keeps as an ASN1_STRING with its whole encoding
// (V_ASN1_OTHER for a context-tagged choice, V_ASN1_SEQUENCE for a SEQUENCE).
std::optional<std::string_view> value_der(CMS_SignerInfo* si, int nid, int type) {
  const int idx = CMS_signed_get_attr_by_NID(si, nid, -1);
  if (idx < 0) return std::nullopt;
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
  if (value == nullptr || value->type != type || value->value.asn1_string == nullptr) {
    return std::nullopt;
  }
  return std::string_view(reinterpret_cast<const char*>(value->value.asn1_string->data),
                          static_cast<std::size_t>(value->value.asn1_string->length));
}

// RFC 8551 §2.5.3:
//   SMIMEEncryptionKeyPreference ::= CHOICE {
//     issuerAndSerialNumber   [0] IssuerAndSerialNumber,
//     receipentKeyId          [1] RecipientKeyIdentifier,
//     subjectAltKeyIdentifier [2] SubjectKeyIdentifier }   -- IMPLICIT tags
// and Microsoft's attribute of the same meaning (1.3.6.1.4.1.311.16.4), a plain
// IssuerAndSerialNumber. A value in none of these forms is ignored.
std::optional<CertificateRef> encryption_key_preference(CMS_SignerInfo* si) {
  if (auto der = value_der(si, NID_id_smime_aa_encrypKeyPref, V_ASN1_OTHER)) {
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    const auto tlv = read_tlv(p, static_cast<long>(der->size()));
    if (!tlv || tlv->cls != V_ASN1_CONTEXT_SPECIFIC ||
        tlv->contents + tlv->length != p + der->size()) {
      return std::nullopt;
    }
    const unsigned char* end = tlv->contents + tlv->length;
    if (tlv->tag == 0 && tlv->constructed) return issuer_and_serial(tlv->contents, end);
    CertificateRef ref;
    if (tlv->tag == 1 && tlv->constructed) {
      // RecipientKeyIdentifier ::= SEQUENCE { subjectKeyIdentifier, date OPTIONAL, other OPTIONAL }
      const auto ski = read_tlv(tlv->contents, tlv->length);
      if (!ski || ski->cls != V_ASN1_UNIVERSAL || ski->tag != V_ASN1_OCTET_STRING ||
          ski->constructed) {
        return std::nullopt;
      }
      ref.subject_key_id.assign(ski->contents, ski->contents + ski->length);
    } else if (tlv->tag == 2 && !tlv->constructed) {
      ref.subject_key_id.assign(tlv->contents, end);
    }
    if (ref.subject_key_id.empty()) return std::nullopt;
    return ref;
  }
  static const int ms_nid = [] {
    const int nid = OBJ_txt2nid("1.3.6.1.4.1.311.16.4");
    return nid != NID_undef ? nid : OBJ_create("1.3.6.1.4.1.311.16.4", "ms-encrypKeyPref",
                                               "Microsoft encryption key preference");
  }();
  if (auto der = value_der(si, ms_nid, V_ASN1_SEQUENCE)) {
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    const auto tlv = read_tlv(p, static_cast<long>(der->size()));
    if (!tlv || tlv->contents + tlv->length != p + der->size()) return std::nullopt;
    return issuer_and_serial(tlv->contents, tlv->contents + tlv->length);
  }
  return std::nullopt;
}

// RFC 8551 §2.5.2: SMIMECapabilities ::= SEQUENCE OF SMIMECapability, most preferred first.
// Content ciphers smimekit knows go by its own names (content_cipher_name), others by
// OpenSSL's.
std::vector<std::string> capabilities(CMS_SignerInfo* si) {
  std::vector<std::string> out;
  const auto der = value_der(si, NID_SMIMECapabilities, V_ASN1_SEQUENCE);
  if (!der) return out;
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  X509_ALGORS* algs = d2i_X509_ALGORS(nullptr, &p, static_cast<long>(der->size()));
  ossl::clear_errors();
  constexpr std::size_t kMaxCapabilities = 64;
  for (int i = 0; algs != nullptr && i < sk_X509_ALGOR_num(algs) && out.size() < kMaxCapabilities;
       ++i) {
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, sk_X509_ALGOR_value(algs, i));
    const int nid = OBJ_obj2nid(oid);
    const auto* known = std::find_if(std::begin(kContentCiphers), std::end(kContentCiphers),
                                     [&](ContentCipher c) { return cipher_nid(c) == nid; });
    if (known != std::end(kContentCiphers)) {
      out.emplace_back(content_cipher_name(*known));
      continue;
    }
    // RC2 comes once per key size; one name is enough.
    std::string name = lower(ossl::object_name(oid));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  sk_X509_ALGOR_pop_free(algs, X509_ALGOR_free);
  return out;
}

// RFC 5652 §11.1: the contentType attribute must name the encapsulated content type.
bool content_type_attribute_matches(CMS_ContentInfo* cms, CMS_SignerInfo* si) {
  if (CMS_signed_get_attr_count(si) <= 0) return true;  // no signed attributes at all
  const int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1);
  if (idx < 0) return false;
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
  if (value == nullptr || value->type != V_ASN1_OBJECT) return false;
  return OBJ_cmp(value->value.object, CMS_get0_eContentType(cms)) == 0;
}

// The reason OpenSSL gave for the last failure, as one of our statuses.
Status failure_status() {
  Status status = Status::SignatureInvalid;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    if (ERR_GET_LIB(code) != ERR_LIB_CMS) continue;
    switch (ERR_GET_REASON(code)) {
      case CMS_R_ATTRIBUTE_ERROR:
      case CMS_R_NO_MSGSIGDIGEST:
      case CMS_R_MESSAGEDIGEST_WRONG_LENGTH:
      case CMS_R_ERROR_READING_MESSAGEDIGEST_ATTRIBUTE:
        status = Status::SignedAttributesInvalid;
        break;
      case CMS_R_NO_MATCHING_DIGEST:
      case CMS_R_UNKNOWN_DIGEST_ALGORITHM:
      case CMS_R_MD_BIO_INIT_ERROR:  // OpenSSL 3 knows the digest but no provider offers it (MD4)
        status = Status::DigestAlgorithmUnsupported;
        break;
      default: break;
    }
  }
  return status;
}

// Frees the BIO chain CMS_dataInit built, but not the caller's content BIO at its end.
void free_upto(BIO* chain, BIO* stop) {
  while (chain != nullptr && chain != stop) {
    BIO* next = BIO_pop(chain);
    BIO_free(chain);
    chain = next;
  }
}

}  // namespace

SignedDataCheck check_signed_data(std::string_view der, const std::string* detached,
                                  const std::vector<Certificate>& extra) {
  ossl::clear_errors();
  SignedDataCheck out;
  // The certificates are parsed through the process-wide cache; OpenSSL then parses only
  // the rest. Anything the splitter does not plainly understand goes to OpenSSL whole.
  ossl::CmsPtr cms;
  bool certificates_taken = false;
  if (auto split = split_certificates(der)) {
    try {
      std::vector<Certificate> carried;
      for (std::string_view c : split->certificates) {
        carried.push_back(cached_certificate(std::span(
            reinterpret_cast<const std::uint8_t*>(c.data()), c.size())));
      }
      cms = parse_content_info(split->without_certificates);
      if (cms) {
        out.certificates = std::move(carried);
        certificates_taken = true;
      }
    } catch (const Error&) {
      cms.reset();
    }
    ossl::clear_errors();
  }
  if (!cms) cms = parse_content_info(der);
  if (!cms) ossl::fail(ErrorCode::Input, "the signature is not valid CMS (RFC 5652) data");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    throw Error(ErrorCode::Input, "the CMS data is not SignedData");
  }

  ASN1_OCTET_STRING** econtent = CMS_get0_content(cms.get());
  const bool has_content = econtent != nullptr && *econtent != nullptr;
  if (detached != nullptr && has_content) out.unexpected_content = true;
  // A certificates-only SignedData (RFC 8551 3.6, smime-type=certs-only) has neither content
  // nor signers; only signatures need content to be checked against.
  const bool has_signers = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms.get())) > 0;
  if (detached == nullptr && !has_content && has_signers) {
    throw Error(ErrorCode::Input, "the SignedData carries no content and none was given");
  }

  if (certificates_taken) {
    // already in out.certificates
  } else if (STACK_OF(X509)* certs = CMS_get1_certs(cms.get())) {
    for (int i = 0; i < sk_X509_num(certs); ++i) {
      X509* x = sk_X509_value(certs, i);
      X509_up_ref(x);
      out.certificates.push_back(certificate_from_x509(ossl::X509Ptr(x)));
    }
    sk_X509_pop_free(certs, X509_free);
  }

  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  const int count = infos != nullptr ? sk_CMS_SignerInfo_num(infos) : 0;
  std::vector<Certificate> candidates = out.certificates;
  candidates.insert(candidates.end(), extra.begin(), extra.end());
  ossl::X509StackPtr extra_stack = to_stack(candidates);
  // Matches each SignerInfo's sid against the carried and the extra certificates.
  CMS_set1_signers_certs(cms.get(), extra_stack.get(), 0);
  ossl::clear_errors();

  // Runs the content through the digests of every digestAlgorithm, as CMS_verify does.
  // The detached content is checked byte for byte as given: no text conversion.
  ossl::BioPtr content_bio;
  if (detached != nullptr) content_bio = ossl::memory_bio(*detached);
  BIO* chain = count > 0 ? CMS_dataInit(cms.get(), content_bio.get()) : nullptr;
  Status digest_failure = Status::Ok;
  if (count > 0 && chain == nullptr) {
    digest_failure = failure_status() == Status::DigestAlgorithmUnsupported
                         ? Status::DigestAlgorithmUnsupported
                         : Status::SignatureInvalid;
  }
  std::string data;
  if (chain != nullptr) {
    char buf[16384];
    int n = 0;
    while ((n = BIO_read(chain, buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
  }
  if (has_content) {
    out.content = detached == nullptr ? data : std::string(reinterpret_cast<char*>((*econtent)->data),
                                                           static_cast<std::size_t>((*econtent)->length));
  }

  for (int i = 0; i < count; ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    SignerCheck check;
    X509* signer = nullptr;
    X509_ALGOR* dig = nullptr;
    X509_ALGOR* sig = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, &signer, &dig, &sig);
    if (dig != nullptr) {
      const int nid = OBJ_obj2nid(dig->algorithm);
      check.digest_algorithm = lower(ossl::object_name(dig->algorithm));
      check.sha1_digest = nid == NID_sha1;
      check.broken_digest = nid == NID_md5 || nid == NID_md4 || nid == NID_md2;
    }
    if (sig != nullptr) check.signature_algorithm = ossl::object_name(sig->algorithm);
    check.signing_time = signing_time(si);
    check.capabilities = capabilities(si);
    check.encryption_key_preference = encryption_key_preference(si);
    if (check.encryption_key_preference) {
      for (const auto& c : candidates) {
        if (check.encryption_key_preference->names(c)) check.preferred_certificate = c;
      }
    }
    if (signer != nullptr) {
      // The signer is one of the candidates: reuse its parsed form.
      for (const auto& c : candidates) {
        if (c.impl().x509.get() == signer) check.certificate = c;
      }
      if (!check.certificate) {
        X509_up_ref(signer);
        check.certificate = certificate_from_x509(ossl::X509Ptr(signer));
      }
    }

    ossl::clear_errors();
    if (digest_failure != Status::Ok) {
      check.signature = digest_failure;
    } else if (signer == nullptr) {
      check.signature = Status::SignerCertificateMissing;
    } else if (!content_type_attribute_matches(cms.get(), si)) {
      check.signature = Status::SignedAttributesInvalid;
    } else if (CMS_signed_get_attr_count(si) > 0 && CMS_SignerInfo_verify(si) != 1) {
      check.signature = failure_status();
    } else if (CMS_SignerInfo_verify_content(si, chain) != 1) {
      check.signature = failure_status();
    }
    out.signers.push_back(std::move(check));
  }
  free_upto(chain, content_bio.get());
  ossl::clear_errors();
  return out;
}

}  // namespace smimekit::cms

// Opening received mail: walk the MIME tree, check every S/MIME layer, and reach one verdict
// (DESIGN.md, "How a message flows").
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "cms/cms.h"
#include "mime/mime.h"
#include "smimekit/error.h"
#include "smimekit/mail.h"

namespace smimekit {

struct Opener::Impl {
  OpenOptions options;
  PathValidator validator;

  explicit Impl(OpenOptions o) : options(std::move(o)), validator(options.trust) {}
};

Opener::Opener(OpenOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}
Opener::~Opener() = default;
Opener::Opener(Opener&&) noexcept = default;
Opener& Opener::operator=(Opener&&) noexcept = default;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string child_path(const std::string& parent, int index) {
  return parent.empty() ? std::to_string(index) : fmt::format("{}.{}", parent, index);
}

// A display name that carries an address of its own ("manager@corp" <eve@corp>) shows the
// reader an identity the signature does not vouch for.
//
// The display name is cut into words at white space and at the characters that cannot be
// part of an unquoted address (<>()",;:); a word with an '@' that has something on both sides
// is an address. This is one pass over the name: a std::regex did the same, but libstdc++'s
// matcher recurses once per character and backtracks, so a signed message with a display
// name of 20 KB took half a minute to open and one of 200 KB overflowed the stack.
bool display_name_deceives(const mime::Mailbox& box) {
  static constexpr std::string_view kDelimiters = " \t\n\v\f\r<>()\",;:";
  const std::string_view name = box.display_name;
  std::size_t pos = 0;
  while (pos < name.size()) {
    const std::size_t start = name.find_first_not_of(kDelimiters, pos);
    if (start == std::string_view::npos) break;
    std::size_t end = name.find_first_of(kDelimiters, start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view word = name.substr(start, end - start);
    const std::size_t at = word.find('@', 1);
    if (at != std::string_view::npos && at + 1 < word.size() && !iequals(word, box.address)) {
      return true;
    }
    pos = end;
  }
  return false;
}

// RFC 8551 §3 / RFC 8550 §3: the sender named in the message must be named in the signer
// certificate. Read strictly: exactly one From mailbox, which the certificate names, and any
// Sender must be named by it too.
std::optional<Status> binding_problem(const Certificate& cert, const mime::Originator& origin) {
  if (cert.email_addresses().empty()) return Status::NoEmailInCertificate;
  if (origin.from_fields == 0 || origin.from.empty() || origin.from.front().address.empty()) {
    return Status::NoFromAddress;
  }
  if (origin.from_fields > 1 || origin.from.size() > 1) return Status::AddressMismatch;
  const mime::Mailbox& from = origin.from.front();
  if (!certificate_matches_address(cert, from.address) || display_name_deceives(from)) {
    return Status::AddressMismatch;
  }
  if (origin.sender_fields > 1) return Status::AddressMismatch;
  for (const auto& sender : origin.sender) {
    if (!certificate_matches_address(cert, sender.address)) return Status::AddressMismatch;
  }
  if (origin.sender_fields == 1 && origin.sender.empty()) return Status::AddressMismatch;
  return std::nullopt;
}

class Walker {
 public:
  Walker(const OpenOptions& options, const PathValidator& validator, mime::Originator origin,
         std::string_view raw, Report& report)
      : m_options(options),
        m_validator(validator),
        m_origin(std::move(origin)),
        m_raw(raw),
        m_report(report) {}

  /// Whole-message encrypted layers that could not be opened, and why.
  bool decryption_failed = false;  ///< changed, damaged or wrong key: the data is bad
  bool not_decrypted = false;      ///< no key, not a recipient: we cannot tell

  // RAW is the entity as received, when it is known: signatures are checked over it.
  void walk(GMimeObject* object, std::optional<std::string_view> raw, const std::string& path,
            bool whole, std::size_t depth, std::vector<Layer>& out) {
    if (depth > m_options.max_depth) {
      throw Error(ErrorCode::Limit,
                  fmt::format("the message nests more than {} MIME levels; it was not checked",
                              m_options.max_depth));
    }
    const std::string type = mime::mime_type(object);
    if (GMIME_IS_MULTIPART(object) && type == "multipart/signed") {
      out.push_back(multipart_signed(GMIME_MULTIPART(object), raw, path, whole, depth));
    } else if (GMIME_IS_MULTIPART(object)) {
      GMimeMultipart* multipart = GMIME_MULTIPART(object);
      const int n = g_mime_multipart_get_count(multipart);
      const auto raws = raw_parts(multipart, raw);
      for (int i = 0; i < n; ++i) {
        walk(g_mime_multipart_get_part(multipart, i),
             raws ? std::optional<std::string_view>((*raws)[static_cast<std::size_t>(i)])
                  : std::nullopt,
             child_path(path, i + 1), false, depth + 1, out);
      }
    } else if (GMIME_IS_MESSAGE_PART(object)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      if (inner != nullptr && g_mime_message_get_mime_part(inner) != nullptr) {
        // The embedded message's body entity starts with its Content-* fields, which are
        // among its other header fields: its raw form is not one slice, so GMime's is used.
        walk(g_mime_message_get_mime_part(inner), std::nullopt, path, false, depth + 1, out);
      }
    } else if (GMIME_IS_PART(object) && (type == "application/pkcs7-mime" ||
                                         type == "application/x-pkcs7-mime")) {
      pkcs7_mime(GMIME_PART(object), path, whole, depth, out);
    } else if (GMIME_IS_PART(object) && type.rfind("text/", 0) == 0 && !m_report.text) {
      m_report.text = mime::decoded_content(GMIME_PART(object));
    }
  }

 private:
  // The parts of MULTIPART as received, when RAW is known and agrees with GMime's count.
  static std::optional<std::vector<std::string_view>> raw_parts(
      GMimeMultipart* multipart, std::optional<std::string_view> raw) {
    if (!raw) return std::nullopt;
    const char* boundary = g_mime_multipart_get_boundary(multipart);
    if (boundary == nullptr) return std::nullopt;
    auto parts = mime::split_multipart(mime::split_entity(*raw).body, boundary);
    if (!parts || parts->size() != static_cast<std::size_t>(g_mime_multipart_get_count(multipart))) {
      return std::nullopt;
    }
    return parts;
  }

  Layer multipart_signed(GMimeMultipart* multipart, std::optional<std::string_view> raw,
                         const std::string& path, bool whole, std::size_t depth) {
    Layer layer;
    layer.part = path;
    layer.covers_whole_message = whole;
    const std::string protocol = [&] {
      std::string p = mime::content_type_parameter(GMIME_OBJECT(multipart), "protocol");
      std::transform(p.begin(), p.end(), p.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return p;
    }();
    if (g_mime_multipart_get_count(multipart) != 2) {
      layer.error = fmt::format("multipart/signed has {} parts instead of content and signature",
                                g_mime_multipart_get_count(multipart));
      return layer;
    }
    GMimeObject* content = g_mime_multipart_get_part(multipart, 0);
    GMimeObject* signature = g_mime_multipart_get_part(multipart, 1);
    layer.content_type = mime::mime_type(content);
    const std::string signature_type = mime::mime_type(signature);
    if ((protocol != "application/pkcs7-signature" &&
         protocol != "application/x-pkcs7-signature") ||
        (signature_type != "application/pkcs7-signature" &&
         signature_type != "application/x-pkcs7-signature") ||
        !GMIME_IS_PART(signature)) {
      layer.error = fmt::format("not an S/MIME signature (protocol \"{}\", signature part {})",
                                protocol, signature_type);
      return layer;
    }
    // RFC 1847 §2.1: the signature covers the first body part exactly as it was sent, with
    // line ends made CRLF (RFC 8551 §3.1.1).
    const auto raws = raw_parts(multipart, raw);
    const std::string signed_bytes =
        raws ? mime::to_crlf((*raws)[0]) : mime::canonical_bytes(content);
    const std::string der = mime::decoded_content(GMIME_PART(signature));
    check_layer(layer, der, &signed_bytes);
    walk(content, raws ? std::optional<std::string_view>((*raws)[0]) : std::nullopt,
         child_path(path, 1), whole, depth + 1, layer.children);
    return layer;
  }

  void pkcs7_mime(GMimePart* part, const std::string& path, bool whole, std::size_t depth,
                  std::vector<Layer>& out) {
    std::string smime_type = mime::content_type_parameter(GMIME_OBJECT(part), "smime-type");
    std::transform(smime_type.begin(), smime_type.end(), smime_type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string der = mime::decoded_content(part);
    Layer layer;
    layer.part = path;
    layer.covers_whole_message = whole;
    layer.opaque = true;
    // The CMS type decides, not the smime-type parameter, which anyone can write.
    const cms::EnvelopeKind kind = cms::envelope_kind(der);
    const bool says_encrypted =
        smime_type == "enveloped-data" || smime_type == "authenveloped-data";
    if (kind == cms::EnvelopeKind::Enveloped || kind == cms::EnvelopeKind::AuthEnveloped ||
        (kind == cms::EnvelopeKind::Other && says_encrypted)) {
      layer.kind = kind == cms::EnvelopeKind::AuthEnveloped ||
                           (kind == cms::EnvelopeKind::Other && smime_type == "authenveloped-data")
                       ? LayerKind::AuthEnveloped
                       : LayerKind::Enveloped;
      encrypted_layer(layer, der, kind, depth);
      out.push_back(std::move(layer));
      return;
    }
    const auto content = check_layer(layer, der, nullptr);
    if (content) {
      try {
        auto inner = mime::parse_entity(*content);
        layer.content_type = mime::mime_type(inner.get());
        walk(inner.get(), std::string_view(*content), path, whole, depth + 1, layer.children);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::Limit) throw;
        if (layer.error.empty()) layer.error = e.what();
      }
    }
    out.push_back(std::move(layer));
  }

  void encrypted_layer(Layer& layer, const std::string& der, cms::EnvelopeKind kind,
                       std::size_t depth) {
    if (!layer.covers_whole_message) {
      // EFAIL direct exfiltration and covert content: plaintext of an encrypted part must
      // never be shown joined with parts that someone else wrote around it.
      m_report.partially_encrypted = true;
      layer.error =
          fmt::format("part {} is encrypted but sits beside unencrypted content; it was not "
                      "decrypted, so that its plaintext cannot be joined with what surrounds it",
                      layer.part);
      return;
    }
    if (kind == cms::EnvelopeKind::Other) {
      decryption_failed = true;
      layer.error = "the encrypted part is not valid CMS data (damaged or truncated)";
      return;
    }
    if (kind == cms::EnvelopeKind::Enveloped && m_options.require_authenticated) {
      decryption_failed = true;
      layer.error =
          "the message is encrypted without authentication (EnvelopedData, AES-CBC), and "
          "authenticated encryption is required: it was not decrypted";
      return;
    }
    if (m_options.identities.empty()) {
      not_decrypted = true;
      layer.error = "the message is encrypted; give your key (--key and --cert, or --p12) to "
                    "decrypt it";
      return;
    }
    cms::Decrypted decrypted;
    try {
      decrypted = cms::decrypt(der, m_options.identities);
    } catch (const Error& e) {
      (e.code() == ErrorCode::Decryption || e.code() == ErrorCode::Input ? decryption_failed
                                                                         : not_decrypted) = true;
      layer.error = e.what();
      return;
    }
    layer.decrypted = true;
    layer.cipher = decrypted.cipher;
    layer.authenticated = decrypted.authenticated;
    layer.legacy_cipher = decrypted.legacy_cipher;
    m_report.encrypted = true;
    m_report.authenticated_encryption =
        m_report.authenticated_encryption.value_or(true) && decrypted.authenticated;
    if (m_report.decrypted_message.empty()) {
      m_report.decrypted_message =
          mime::assemble_message(mime::outer_headers(m_raw), mime::to_crlf(decrypted.content),
                                 false);
    }
    try {
      auto inner = mime::parse_entity(decrypted.content);
      layer.content_type = mime::mime_type(inner.get());
      walk(inner.get(), std::string_view(decrypted.content), layer.part, true, depth + 1,
           layer.children);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::Limit) throw;
      layer.error = e.what();
    }
  }

  // Checks the SignedData DER of LAYER; returns its encapsulated content, if any.
  std::optional<std::string> check_layer(Layer& layer, const std::string& der,
                                         const std::string* detached) {
    cms::SignedDataCheck check;
    try {
      check = cms::check_signed_data(der, detached, {});
    } catch (const Error& e) {
      layer.error = fmt::format("{} ({})", status_text(Status::SignatureUnreadable), e.what());
      return std::nullopt;
    }
    layer.certificates = check.certificates;
    for (const auto& signer : check.signers) {
      layer.signers.push_back(evaluate(signer, check, layer.covers_whole_message));
    }
    return check.content;
  }

  SignerReport evaluate(const cms::SignerCheck& check, const cms::SignedDataCheck& data,
                        bool whole) {
    SignerReport report;
    report.certificate = check.certificate;
    report.digest_algorithm = check.digest_algorithm;
    report.signature_algorithm = check.signature_algorithm;
    report.signing_time = check.signing_time;
    report.encryption_key_preference = check.encryption_key_preference;
    report.preferred_certificate = check.preferred_certificate;
    report.capabilities = check.capabilities;
    report.signature = check.signature;
    if (report.signature == Status::Ok && data.unexpected_content) {
      report.signature = Status::ContentMismatch;
    }
    if (check.broken_digest || (check.sha1_digest && !m_options.trust.allow_sha1)) {
      report.policy.push_back(Status::WeakDigest);
    }
    if (!check.certificate) {
      report.trust.status = Status::SignerCertificateMissing;
      return report;
    }
    report.trust = m_validator.validate(*check.certificate, data.certificates);
    for (Status s : check_signing_usage(*check.certificate)) report.policy.push_back(s);
    if (whole) {
      if (auto problem = binding_problem(*check.certificate, m_origin)) {
        report.policy.push_back(*problem);
      }
    }
    return report;
  }

  const OpenOptions& m_options;
  const PathValidator& m_validator;
  mime::Originator m_origin;
  std::string_view m_raw;
  Report& m_report;
};

std::string signer_name(const SignerReport& signer) {
  if (!signer.certificate) return "an unknown signer";
  const auto& emails = signer.certificate->email_addresses();
  return emails.empty() ? signer.certificate->display_name() : emails.front();
}

std::string describe_problem(const SignerReport& signer, Status status) {
  std::string text(status_text(status));
  // Say which certificate of the chain a chain status is about.
  for (const auto& link : signer.trust.chain) {
    if (std::find(link.statuses.begin(), link.statuses.end(), status) != link.statuses.end()) {
      if (!signer.certificate || !(link.certificate == *signer.certificate) ||
          signer.trust.chain.size() > 1) {
        text += fmt::format(" ({})", link.certificate.display_name());
      }
      break;
    }
  }
  return text;
}

void collect_layers(const std::vector<Layer>& layers, std::vector<const Layer*>& out) {
  for (const auto& layer : layers) {
    out.push_back(&layer);
    collect_layers(layer.children, out);
  }
}

bool is_encrypted(const Layer& layer) { return layer.kind != LayerKind::Signed; }

bool has_signature(const Layer& layer) {
  return layer.kind == LayerKind::Signed && (!layer.signers.empty() || !layer.error.empty());
}

struct Outcome {
  bool decryption_failed = false;
  bool not_decrypted = false;
};

void decide(Report& report, const Outcome& outcome) {
  std::vector<const Layer*> all;
  collect_layers(report.layers, all);
  const std::vector<const Layer*> chain = report.whole_message_layers();

  // A signature outside an encryption covers only the ciphertext (encrypt-then-sign): whoever
  // intercepted it could have signed it too, without knowing the plaintext. Only signatures
  // inside the innermost encryption speak for the content.
  std::size_t innermost_encryption = 0;
  bool any_encryption = false;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (is_encrypted(*chain[i])) {
      innermost_encryption = i;
      any_encryption = true;
    }
  }
  std::vector<const Layer*> whole_signed, outer_signed, partial_signed;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (!has_signature(*chain[i])) continue;
    (any_encryption && i < innermost_encryption ? outer_signed : whole_signed).push_back(chain[i]);
  }
  for (const Layer* layer : all) {
    if (has_signature(*layer) && !layer->covers_whole_message) partial_signed.push_back(layer);
  }

  if (any_encryption && chain[innermost_encryption]->error.size() > 0) {
    report.verdict = outcome.decryption_failed ? Verdict::Invalid : Verdict::Error;
    report.reasons.push_back(chain[innermost_encryption]->error);
    return;
  }
  if (report.encrypted && report.authenticated_encryption == false) {
    report.reasons.push_back(
        "the encryption is not authenticated (EnvelopedData, a CBC cipher): the content could "
        "have been changed on the way unless a signature inside covers it");
  }
  for (const Layer* layer : chain) {
    if (layer->legacy_cipher) {
      report.reasons.push_back(fmt::format(
          "the message was encrypted with {}, a legacy cipher that is easy to break: others may "
          "have read it",
          layer->cipher));
    }
  }
  if (report.partially_encrypted) {
    for (const Layer* layer : all) {
      if (is_encrypted(*layer) && !layer->covers_whole_message) report.reasons.push_back(layer->error);
    }
  }

  if (whole_signed.empty()) {
    if (!partial_signed.empty()) {
      report.verdict = Verdict::Invalid;
      report.partially_signed = true;
      for (const Layer* layer : partial_signed) {
        report.reasons.push_back(fmt::format(
            "partially signed: only part {} ({}) is covered by a signature; the rest of the "
            "message is not signed",
            layer->part, layer->content_type.empty() ? "unknown type" : layer->content_type));
      }
      return;
    }
    report.verdict = Verdict::Unsigned;
    for (const Layer* layer : outer_signed) {
      for (const auto& signer : layer->signers) {
        report.reasons.push_back(fmt::format(
            "the signature by {} covers only the encrypted data, not its content (encrypted, "
            "then signed): it does not show who wrote the message",
            signer_name(signer)));
      }
    }
    bool certs_only = false;
    for (const Layer* layer : all) {
      if (layer->kind == LayerKind::Signed && layer->signers.empty() && layer->error.empty()) {
        certs_only = true;
      }
    }
    if (certs_only) {
      report.reasons.push_back("the signature holds no signer (a certificates-only SignedData)");
    }
    report.reasons.push_back(report.encrypted ? "the message was encrypted but is not signed"
                                              : "the message is not signed");
    return;
  }

  bool ok = true;
  std::vector<std::string> problems;
  for (const Layer* layer : whole_signed) {
    if (!layer->error.empty()) {
      ok = false;
      problems.push_back(layer->error);
    }
    for (const auto& signer : layer->signers) {
      for (Status s : signer.problems()) {
        ok = false;
        problems.push_back(
            fmt::format("signature by {}: {}", signer_name(signer), describe_problem(signer, s)));
      }
    }
  }
  report.verdict = ok ? Verdict::Valid : Verdict::Invalid;
  // The problems come first: they are why the verdict is what it is.
  report.reasons.insert(report.reasons.begin(), problems.begin(), problems.end());
}

}  // namespace

Report Opener::open(std::string_view message) const {
  Report report;
  try {
    auto parsed = mime::parse_message(message);
    mime::Originator origin = mime::originator(parsed.get());
    for (const auto& box : origin.from) report.from.push_back(box.address);
    report.subject = mime::subject(parsed.get());
    GMimeObject* root = g_mime_message_get_mime_part(parsed.get());
    if (root == nullptr) throw Error(ErrorCode::Input, "the message has no body");
    Walker walker(m_impl->options, m_impl->validator, std::move(origin), message, report);
    walker.walk(root, message, "", true, 0, report.layers);
    decide(report, Outcome{walker.decryption_failed, walker.not_decrypted});
  } catch (const Error& e) {
    report = Report{};
    report.verdict = Verdict::Error;
    report.reasons.push_back(e.what());
  }
  return report;
}

}  // namespace smimekit

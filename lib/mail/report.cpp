#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/time_util.h"
#include "smimekit/mail.h"
#include "smimekit/report.h"

namespace smimekit {

std::string_view verdict_name(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::Valid: return "valid";
    case Verdict::Invalid: return "invalid";
    case Verdict::Unsigned: return "unsigned";
    case Verdict::Error: return "error";
  }
  return "error";
}

std::vector<Status> SignerReport::problems() const {
  std::vector<Status> out;
  if (is_error(signature)) out.push_back(signature);
  if (!trust.trusted) {
    // The chain's own statuses say more than the summary; list each once.
    for (const auto& link : trust.chain) {
      for (Status s : link.statuses) {
        if (is_error(s) && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
      }
    }
    if (is_error(trust.status) && std::find(out.begin(), out.end(), trust.status) == out.end()) {
      out.push_back(trust.status);
    }
    if (out.empty()) out.push_back(Status::NoTrustAnchor);
  }
  for (Status s : policy) {
    if (is_error(s) && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

bool SignerReport::ok() const { return problems().empty(); }

namespace {

std::string_view kind_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::Signed: return "signed";
    case LayerKind::Enveloped: return "enveloped";
    case LayerKind::AuthEnveloped: return "authEnveloped";
  }
  return "unknown";
}

nlohmann::json status_list(const std::vector<Status>& statuses) {
  nlohmann::json out = nlohmann::json::array();
  for (Status s : statuses) out.push_back(std::string(status_name(s)));
  return out;
}

nlohmann::json signer_json(const SignerReport& signer, const Layer& layer) {
  nlohmann::json j;
  j["part"] = layer.part;
  j["covers_whole_message"] = layer.covers_whole_message;
  j["status"] = signer.ok() ? "valid" : "invalid";
  j["problems"] = status_list(signer.problems());
  j["digest_algorithm"] = signer.digest_algorithm;
  j["signature_algorithm"] = signer.signature_algorithm;
  j["signing_time"] =
      signer.signing_time ? nlohmann::json(format_time(*signer.signing_time)) : nlohmann::json();
  j["signature"] = std::string(status_name(signer.signature));
  j["trusted"] = signer.trust.trusted;
  j["capabilities"] = signer.capabilities;
  j["encryption_key_preference"] =
      signer.encryption_key_preference
          ? nlohmann::json(signer.encryption_key_preference->describe())
          : nlohmann::json();
  if (signer.certificate) {
    const Certificate& c = *signer.certificate;
    j["emails"] = c.email_addresses();
    j["subject"] = c.subject();
    j["issuer"] = c.issuer();
    j["serial"] = c.serial_hex();
    j["fingerprint_sha256"] = c.fingerprint_sha256();
  } else {
    j["emails"] = nlohmann::json::array();
    j["subject"] = nullptr;
    j["issuer"] = nullptr;
    j["serial"] = nullptr;
    j["fingerprint_sha256"] = nullptr;
  }
  nlohmann::json chain = nlohmann::json::array();
  for (const auto& link : signer.trust.chain) {
    chain.push_back({{"subject", link.certificate.subject()},
                     {"fingerprint_sha256", link.certificate.fingerprint_sha256()},
                     {"statuses", status_list(link.statuses)},
                     {"revocation", link.revocation}});
  }
  j["chain"] = std::move(chain);
  return j;
}

nlohmann::json layer_json(const Layer& layer, nlohmann::json& all_signers) {
  nlohmann::json j;
  j["kind"] = kind_name(layer.kind);
  j["part"] = layer.part;
  j["covers_whole_message"] = layer.covers_whole_message;
  j["opaque"] = layer.opaque;
  if (layer.kind != LayerKind::Signed) {
    j["decrypted"] = layer.decrypted;
    j["cipher"] = layer.cipher.empty() ? nlohmann::json() : nlohmann::json(layer.cipher);
    j["authenticated"] = layer.authenticated;
    j["legacy_cipher"] = layer.legacy_cipher;
  }
  j["content_type"] = layer.content_type;
  j["error"] = layer.error.empty() ? nlohmann::json() : nlohmann::json(layer.error);
  nlohmann::json signers = nlohmann::json::array();
  for (const auto& s : layer.signers) {
    auto sj = signer_json(s, layer);
    signers.push_back(sj);
    all_signers.push_back(std::move(sj));
  }
  j["signers"] = std::move(signers);
  nlohmann::json children = nlohmann::json::array();
  for (const auto& child : layer.children) children.push_back(layer_json(child, all_signers));
  j["layers"] = std::move(children);
  return j;
}

std::string chain_text(const SignerReport& signer) {
  std::string out;
  for (const auto& link : signer.trust.chain) {
    if (!out.empty()) out += " -> ";
    out += link.certificate.display_name();
  }
  return out;
}

}  // namespace

std::vector<const Layer*> Report::whole_message_layers() const {
  std::vector<const Layer*> out;
  const std::vector<Layer>* level = &layers;
  for (;;) {
    const Layer* next = nullptr;
    for (const auto& layer : *level) {
      if (layer.covers_whole_message) next = &layer;
    }
    if (next == nullptr) return out;
    out.push_back(next);
    level = &next->children;
  }
}

std::vector<const SignerReport*> Report::whole_message_signers() const {
  std::vector<const SignerReport*> out;
  for (const Layer* layer : whole_message_layers()) {
    // An encryption forgets the signers outside it: they signed only its ciphertext.
    if (layer->kind != LayerKind::Signed) out.clear();
    for (const auto& s : layer->signers) out.push_back(&s);
  }
  return out;
}

std::string summarize(const Report& report) {
  switch (report.verdict) {
    case Verdict::Valid: {
      std::string out;
      for (const SignerReport* s : report.whole_message_signers()) {
        const Certificate& c = *s->certificate;
        out += fmt::format("{}VALID signature by {} (chain: {})", out.empty() ? "" : "; ",
                           c.email_addresses().empty() ? c.display_name() : c.email_addresses().front(),
                           chain_text(*s));
        // Soft-fail: the verdict stands, but the reader must know it rests on no answer.
        for (const auto& link : s->trust.chain) {
          if (std::find(link.statuses.begin(), link.statuses.end(), Status::RevocationUnchecked) !=
              link.statuses.end()) {
            out += fmt::format(" [revocation of {} could not be checked]", link.certificate.display_name());
          }
        }
      }
      return out;
    }
    case Verdict::Invalid:
      return fmt::format("{}: {}", report.partially_signed ? "PARTIALLY SIGNED" : "INVALID",
                         fmt::join(report.reasons, "; "));
    case Verdict::Unsigned: return fmt::format("UNSIGNED: {}", fmt::join(report.reasons, "; "));
    case Verdict::Error: return fmt::format("ERROR: {}", fmt::join(report.reasons, "; "));
  }
  return "ERROR";
}

std::string to_json(const Report& report, std::string_view file) {
  nlohmann::json j;
  j["file"] = file;
  j["verdict"] = verdict_name(report.verdict);
  j["reasons"] = report.reasons;
  j["partially_signed"] = report.partially_signed;
  j["encrypted"] = report.encrypted;
  j["partially_encrypted"] = report.partially_encrypted;
  j["authenticated_encryption"] = report.authenticated_encryption
                                      ? nlohmann::json(*report.authenticated_encryption)
                                      : nlohmann::json();
  if (report.text) j["text"] = *report.text;
  j["from"] = report.from;
  j["subject"] = report.subject;
  nlohmann::json signers = nlohmann::json::array();
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : report.layers) layers.push_back(layer_json(layer, signers));
  j["layers"] = std::move(layers);
  j["signers"] = std::move(signers);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace smimekit

#include "security_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "smimekit/secret.h"

namespace smimekit::security {

// ---------------------------------------------------------------------------------------
// The message and the people

std::string secret_body() {
  return fmt::format(
      "Hello Bob,\n"
      "\n"
      "{}\n"
      "\n"
      "Alice\n",
      kSecret);
}

std::string secret_message(const std::string& from, const std::string& to) {
  return fmt::format(
      "From: {}\n"
      "To: {}\n"
      "Subject: For your eyes only\n"
      "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
      "Message-ID: <secret-1@example.org>\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n"
      "{}",
      from, to, secret_body());
}

Identity demo_identity(const std::string& user) {
  return load_pkcs12(test::demo(user + ".p12"), Secret("demo"));
}

Certificate demo_certificate(const std::string& user) {
  return load_certificates(test::demo(user + ".pem")).front();
}

Identity test_identity(const std::string& name) {
  return make_identity(load_private_key(test::test_cert(name + ".key"), nullptr),
                       load_certificates(test::test_cert(name + ".pem")).front(),
                       load_certificates(test::test_cert(name + "-chain.pem")));
}

TrustPolicy demo_trust() {
  TrustPolicy policy;
  policy.anchors = load_certificates(test::demo("root.pem"));
  return policy;
}

Report open_message(const std::string& message, const std::vector<Identity>& identities,
                    bool require_authenticated) {
  OpenOptions options;
  options.trust = demo_trust();
  options.identities = identities;
  options.require_authenticated = require_authenticated;
  const Opener opener(std::move(options));
  return opener.open(message);
}

std::vector<std::string> p12_args(const std::string& user) {
  return {"--p12", test::demo(user + ".p12").string(), "--pass", "pass:demo"};
}

// ---------------------------------------------------------------------------------------
// MIME, by hand

std::string message_der(const std::string& message) {
  return base64_decode(split_header(message).body);
}

std::string with_der(const std::string& message, const std::string& der) {
  const Split parts = split_header(message);
  std::string body = base64_encode(der);
  if (parts.header.find("\r\n") != std::string::npos) body = to_crlf(body);
  return parts.header + body;
}

std::string content_entity(const std::string& message) {
  // Unfold nothing: keep every Content-* field with its continuation lines.
  const Split parts = split_header(to_lf(message));
  std::string header;
  bool keep = false;
  std::size_t pos = 0;
  while (pos < parts.header.size()) {
    std::size_t eol = parts.header.find('\n', pos);
    const std::string line = parts.header.substr(pos, eol - pos + 1);
    pos = eol + 1;
    if (line == "\n") break;
    if (line[0] != ' ' && line[0] != '\t') {
      std::string lower = line.substr(0, 8);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      keep = lower == "content-";
    }
    if (keep) header += line;
  }
  return header + "\n" + parts.body;
}

// ---------------------------------------------------------------------------------------
// DER

Tlv read_tlv(std::string_view der, std::size_t offset) {
  if (offset + 2 > der.size()) throw std::runtime_error(fmt::format("no TLV at {}", offset));
  Tlv t;
  t.offset = offset;
  t.tag = static_cast<std::uint8_t>(der[offset]);
  if ((t.tag & 0x1f) == 0x1f) throw std::runtime_error("multi-byte tags are not expected here");
  const auto first = static_cast<std::uint8_t>(der[offset + 1]);
  if (first < 0x80) {
    t.header = 2;
    t.length = first;
  } else {
    const std::size_t n = first & 0x7f;
    if (n == 0 || n > 4 || offset + 2 + n > der.size()) {
      throw std::runtime_error(fmt::format("unexpected length at {}", offset));
    }
    for (std::size_t i = 0; i < n; ++i) {
      t.length = (t.length << 8) | static_cast<std::uint8_t>(der[offset + 2 + i]);
    }
    t.header = 2 + n;
  }
  if (t.end() > der.size()) throw std::runtime_error(fmt::format("TLV at {} overruns", offset));
  return t;
}

std::vector<Tlv> children(std::string_view der, const Tlv& parent) {
  std::vector<Tlv> out;
  for (std::size_t pos = parent.content(); pos < parent.end();) {
    out.push_back(read_tlv(der, pos));
    pos = out.back().end();
  }
  if (!out.empty() && out.back().end() != parent.end()) throw std::runtime_error("children overrun");
  return out;
}

std::string encode_tlv(std::uint8_t tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else if (n < 0x100) {
    out.push_back('\x81');
    out.push_back(static_cast<char>(n));
  } else if (n < 0x10000) {
    out.push_back('\x82');
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back('\x83');
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
  }
  out.append(content);
  return out;
}

std::string whole(std::string_view der, const Tlv& t) {
  return std::string(der.substr(t.offset, t.end() - t.offset));
}

std::string contents(std::string_view der, const Tlv& t) {
  return std::string(der.substr(t.content(), t.length));
}

namespace {
// 1.2.840.113549.1.9.16.1.23 and 1.2.840.113549.1.7.3
constexpr std::string_view kAuthEnvelopedOid = "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17";
constexpr std::string_view kEnvelopedOid = "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03";

void require(bool condition, const char* what) {
  if (!condition) throw std::runtime_error(std::string("unexpected DER: ") + what);
}
}  // namespace

EnvelopeFields locate_envelope(std::string_view der) {
  EnvelopeFields f;
  f.content_info = read_tlv(der, 0);
  require(f.content_info.tag == 0x30 && f.content_info.end() == der.size(), "ContentInfo");
  auto ci = children(der, f.content_info);
  require(ci.size() == 2 && ci[0].tag == 0x06 && ci[1].tag == 0xA0, "ContentInfo fields");
  f.content_type_oid = ci[0];
  f.explicit0 = ci[1];
  const std::string oid = contents(der, ci[0]);
  f.auth_enveloped = oid == kAuthEnvelopedOid;
  require(f.auth_enveloped || oid == kEnvelopedOid, "content type");
  auto inner = children(der, f.explicit0);
  require(inner.size() == 1 && inner[0].tag == 0x30, "envelope");
  f.envelope = inner[0];
  auto fields = children(der, f.envelope);
  std::size_t i = 0;
  require(fields.size() >= 3 && fields[i].tag == 0x02, "version");
  f.version = fields[i++];
  if (fields[i].tag == 0xA0) ++i;  // originatorInfo
  require(fields[i].tag == 0x31, "recipientInfos");
  f.recipient_infos = fields[i++];
  f.recipients = children(der, f.recipient_infos);
  require(fields[i].tag == 0x30, "EncryptedContentInfo");
  f.encrypted_content_info = fields[i++];
  auto eci = children(der, f.encrypted_content_info);
  require(eci.size() == 3 && eci[0].tag == 0x06 && eci[1].tag == 0x30 && eci[2].tag == 0x80,
          "EncryptedContentInfo fields (primitive encryptedContent expected)");
  f.content_type = eci[0];
  f.algorithm = eci[1];
  f.encrypted_content = eci[2];
  auto alg = children(der, f.algorithm);
  require(!alg.empty() && alg[0].tag == 0x06, "content-encryption algorithm");
  f.algorithm_oid = alg[0];
  if (alg.size() > 1) {
    f.parameters = alg[1];
    if (alg[1].tag == 0x04) {
      f.iv = alg[1];
    } else if (alg[1].tag == 0x30) {
      auto gcm = children(der, alg[1]);
      require(!gcm.empty() && gcm[0].tag == 0x04, "GCMParameters");
      f.nonce = gcm[0];
      if (gcm.size() > 1) f.icv_len = gcm[1];
    }
  }
  for (; i < fields.size(); ++i) {
    if (fields[i].tag == 0xA1 && f.auth_enveloped) f.auth_attrs = fields[i];
    if (fields[i].tag == 0x04 && f.auth_enveloped) f.mac = fields[i];
  }
  if (f.auth_enveloped) require(f.mac.has_value(), "mac");
  return f;
}

Tlv encrypted_key(std::string_view der, const Tlv& recipient_info) {
  auto ri = children(der, recipient_info);
  if (recipient_info.tag == 0x30) {  // KeyTransRecipientInfo: version, rid, alg, encryptedKey
    require(ri.size() == 4 && ri[3].tag == 0x04, "KeyTransRecipientInfo");
    return ri[3];
  }
  // KeyAgreeRecipientInfo [1]: version, originator [0], ukm [1]?, alg, recipientEncryptedKeys
  require(recipient_info.tag == 0xA1 && ri.size() >= 4, "KeyAgreeRecipientInfo");
  auto keys = children(der, ri.back());
  require(!keys.empty(), "RecipientEncryptedKeys");
  auto rek = children(der, keys.front());
  require(rek.size() == 2 && rek[1].tag == 0x04, "RecipientEncryptedKey");
  return rek[1];
}

Tlv originator_public_key(std::string_view der, const Tlv& recipient_info) {
  auto ri = children(der, recipient_info);
  require(recipient_info.tag == 0xA1 && ri.size() >= 4 && ri[1].tag == 0xA0, "originator");
  auto originator = children(der, ri[1]);  // [1] OriginatorPublicKey
  require(originator.size() == 1 && originator[0].tag == 0xA1, "OriginatorPublicKey");
  auto opk = children(der, originator[0]);
  require(opk.size() == 2 && opk[1].tag == 0x03, "publicKey BIT STRING");
  return opk[1];
}

std::string flip(std::string der, std::size_t offset, std::uint8_t mask) {
  if (offset >= der.size()) throw std::runtime_error("flip past the end");
  der[offset] = static_cast<char>(static_cast<std::uint8_t>(der[offset]) ^ mask);
  return der;
}

std::string overwrite(std::string der, const Tlv& t, std::string_view replacement) {
  if (replacement.size() != t.length) throw std::runtime_error("overwrite changes the length");
  der.replace(t.content(), t.length, replacement);
  return der;
}

std::string rebuild_envelope(std::string_view der, const EnvelopeFields& f,
                             const std::vector<std::string>& fields) {
  std::string body;
  for (const auto& field : fields) body += field;
  return encode_tlv(0x30, whole(der, f.content_type_oid) +
                              encode_tlv(0xA0, encode_tlv(0x30, body)));
}

// ---------------------------------------------------------------------------------------
// Checks

void expect_refused(const Report& report, const std::string& what) {
  SCOPED_TRACE(what);
  const std::string json = to_json(report, "tampered.eml");
  EXPECT_NE(report.verdict, Verdict::Valid) << json;
  EXPECT_FALSE(report.encrypted) << json;
  EXPECT_FALSE(report.text.has_value()) << "text: " << report.text.value_or("");
  EXPECT_TRUE(report.decrypted_message.empty()) << report.decrypted_message;
  EXPECT_FALSE(report.reasons.empty()) << json;
  EXPECT_EQ(json.find(kSecret), std::string::npos) << json;
  EXPECT_EQ(json.find("\"text\""), std::string::npos) << json;
  for (const auto& layer : report.layers) {
    EXPECT_FALSE(layer.decrypted) << json;
    EXPECT_TRUE(layer.children.empty()) << json;
  }
}

std::string describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

CliDecrypt cli_decrypt(const std::string& message, const std::vector<std::string>& identity,
                       const std::vector<std::string>& extra, bool json) {
  const TempDir dir;
  const auto in = dir / "in.eml";
  const auto out = dir / "out.eml";
  test::write(in, message);
  std::vector<std::string> args{"decrypt"};
  args.insert(args.end(), identity.begin(), identity.end());
  args.push_back("--anchor");
  args.push_back(test::demo("root.pem").string());
  args.insert(args.end(), extra.begin(), extra.end());
  if (json) args.push_back("--json");
  args.insert(args.end(), {"-o", out.string(), in.string()});
  CliDecrypt d;
  d.run = test::smimekit(args);
  d.output_written = std::filesystem::exists(out);
  if (d.output_written) d.output = test::read(out);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name != "in.eml" && name != "out.eml") d.leftovers.push_back(name);
  }
  // --json: one JSON object on a line of standard error.
  std::size_t pos = 0;
  while (pos < d.run.err.size()) {
    std::size_t eol = d.run.err.find('\n', pos);
    if (eol == std::string::npos) eol = d.run.err.size();
    const std::string line = d.run.err.substr(pos, eol - pos);
    if (!line.empty() && line.front() == '{') {
      d.report = nlohmann::json::parse(line, nullptr, false);
      break;
    }
    pos = eol + 1;
  }
  return d;
}

void expect_cli_refused(const CliDecrypt& d, const std::string& what, bool text_allowed) {
  SCOPED_TRACE(what);
  EXPECT_EQ(d.run.exit_code, 1) << describe(d.run);
  EXPECT_FALSE(d.output_written) << "an output file was written:\n" << d.output;
  EXPECT_TRUE(d.leftovers.empty()) << "left behind: " << fmt::format("{}", fmt::join(d.leftovers, ", "));
  EXPECT_EQ(d.run.out.find(kSecret), std::string::npos) << describe(d.run);
  EXPECT_EQ(d.run.err.find(kSecret), std::string::npos) << describe(d.run);
  ASSERT_TRUE(d.report.is_object()) << "no --json report on standard error\n" << describe(d.run);
  EXPECT_NE(d.report.value("verdict", ""), "valid") << d.report.dump();
  EXPECT_EQ(d.report.value("encrypted", true), false) << d.report.dump();
  if (text_allowed) {
    EXPECT_EQ(d.report.value("text", "").find(kSecret), std::string::npos) << d.report.dump();
  } else {
    EXPECT_FALSE(d.report.contains("text")) << d.report.dump();
  }
}

}  // namespace smimekit::security

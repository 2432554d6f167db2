// smimekit encrypt: encrypt an outgoing message for its recipients (and sign it first with
// --sign). AES-256-GCM, authenticated, unless asked otherwise.
#include <fmt/format.h>

#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/mail.h"

namespace smimekit::cli {

namespace {

struct EncryptArgs {
  std::vector<std::string> recipients;
  std::vector<std::string> to;
  std::string from;
  StoreOptions store;
  std::string cipher = "aes256-gcm";
  CLI::Option* cipher_option = nullptr;
  bool rsa_pkcs1 = false;
  bool no_self = false;
  bool sign = false;
  bool crlf = false;
  IdentityOptions identity;
  std::string output;
  std::string input;
};

// RFC 8551 §2.7.1: the content cipher for recipients whose software announced what it can
// decrypt (ANNOUNCED: address and SMIMECapabilities, known ones only). Without --cipher, the
// stronger AES-GCM that all of them announced, else AES-256-GCM anyway: never an
// unauthenticated cipher unasked. Warns about each recipient that did not announce the one used.
ContentCipher cipher_for(const std::vector<std::pair<std::string, std::vector<std::string>>>& announced,
                         ContentCipher asked, bool explicitly) {
  auto announces = [](const std::vector<std::string>& caps, ContentCipher c) {
    return std::find(caps.begin(), caps.end(), content_cipher_name(c)) != caps.end();
  };
  ContentCipher cipher = asked;
  if (!explicitly) {
    for (ContentCipher c : {ContentCipher::Aes256Gcm, ContentCipher::Aes128Gcm}) {
      if (std::all_of(announced.begin(), announced.end(),
                      [&](const auto& a) { return announces(a.second, c); })) {
        cipher = c;
        break;
      }
    }
  }
  for (const auto& [address, caps] : announced) {
    if (announces(caps, cipher)) continue;
    warning(fmt::format("the newest signed mail of {} announced {} but not {}: their software may "
                        "not read this message",
                        address, fmt::join(caps, ", "), content_cipher_name(cipher)));
    if (is_authenticated(cipher) && announces(caps, ContentCipher::Aes256Cbc)) {
      hint("if they cannot, send it again with --cipher aes256-cbc (not authenticated) and --sign");
    }
  }
  return cipher;
}

int run_encrypt(const EncryptArgs& args) {
  const auto asked = parse_content_cipher(args.cipher);
  if (!asked) {
    throw UsageError{fmt::format("--cipher {} is not one smimekit knows", args.cipher),
                     "use aes256-gcm (the default), aes128-gcm, aes256-cbc or aes128-cbc"};
  }
  std::vector<Certificate> recipients;
  for (const auto& r : args.recipients) {
    auto certs = load_certificates(r);
    recipients.push_back(certs.front());  // the first certificate of a file is the recipient's
  }
  const std::string message = read_input(args.input);
  // --to and the sender's own copy come from the store (RFC 8551 §2.5.2 picks the certificate).
  std::optional<CertStore> store;
  auto need_store = [&]() -> const CertStore& {
    if (!store) store = args.store.open(false);
    return *store;
  };
  std::vector<std::pair<std::string, std::vector<std::string>>> announced;
  for (const auto& address : args.to) {
    const RecipientChoice choice = need_store().choose_recipient(address);
    if (!choice.chosen) {
      throw Error(ErrorCode::NoInput, explain_no_recipient(choice, need_store()));
    }
    recipients.push_back(*choice.chosen);
    if (!choice.capabilities.empty()) announced.emplace_back(address, choice.capabilities);
  }
  const ContentCipher cipher = cipher_for(announced, *asked, args.cipher_option->count() > 0);
  if (recipients.empty()) {
    throw UsageError{"no recipient given",
                     "name each recipient with --to EMAIL (from the store) or --recipient PATH"};
  }

  // The sender is a recipient too, so that the sent copy stays readable (RFC 8551 §3.3).
  std::optional<Identity> signer;
  std::optional<Certificate> self;
  if (args.sign) {
    signer = load_signer(args.identity, args.store, args.from, message);
    self = signer->certificate;
  } else if (!args.identity.p12.empty()) {
    self = args.identity.load().certificate;
  } else if (!args.identity.cert.empty()) {
    self = load_certificates(args.identity.cert).front();
  }
  if (!self && !args.no_self && (!args.to.empty() || !args.from.empty())) {
    // The sender's own certificate from the store: --from, else the message's From.
    const std::string from = sender_address(args.from, message);
    if (!from.empty()) {
      const RecipientChoice own = need_store().choose_recipient(from);
      if (!own.chosen) {
        throw Error(ErrorCode::NoInput,
                    explain_no_recipient(own, need_store()) +
                        " (your own certificate, for the copy you keep; --no-self leaves it out)");
      }
      self = *own.chosen;
    }
  }
  if (!args.no_self) {
    if (!self) {
      throw UsageError{"your own certificate is needed to keep a readable copy",
                       "give --cert PATH (or --p12 PATH), or --no-self to encrypt for the "
                       "recipients only"};
    }
    const bool already = std::any_of(recipients.begin(), recipients.end(),
                                     [&](const Certificate& c) { return c == *self; });
    if (!already) recipients.push_back(*self);
  }

  if (args.rsa_pkcs1 && std::none_of(recipients.begin(), recipients.end(),
                                     [](const Certificate& c) { return c.has_rsa_key(); })) {
    throw UsageError{"--rsa-pkcs1 can't be used without an RSA recipient",
                     "--rsa-pkcs1 only changes how keys are sent to RSA recipients"};
  }
  if (!is_authenticated(cipher)) {
    warning(fmt::format("{} is not authenticated encryption: anyone on the way can change the "
                        "ciphertext undetected (EFAIL)",
                        content_cipher_name(cipher)));
    hint("use it only for recipients whose software cannot read aes256-gcm, and sign with --sign");
  }

  EncryptOptions options;
  options.cipher = cipher;
  options.rsa_pkcs1 = args.rsa_pkcs1;
  options.crlf = args.crlf;
  if (signer) {
    SignOptions sign_options;
    sign_options.crlf = args.crlf;
    write_output(args.output, sign_and_encrypt(message, *signer, recipients, sign_options, options));
  } else {
    write_output(args.output, encrypt(message, recipients, options));
  }
  return kOk;
}

}  // namespace

Verb setup_encrypt(CLI::App& parent) {
  auto args = std::make_shared<EncryptArgs>();
  CLI::App* app = parent.add_subcommand("encrypt", "encrypt a message for its recipients");
  app->add_option("--recipient", args->recipients, "a recipient's certificate (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--to", args->to,
                  "a recipient's address: the certificate is chosen from the store (repeatable)")
      ->allow_extra_args(false);
  app->add_option("--from", args->from,
                  "your address, for your own copy from the store (default: the message's From)");
  args->store.add_to(*app);
  args->cipher_option = app->add_option(
      "--cipher", args->cipher,
      "aes256-gcm (default, or the AES-GCM all --to recipients announced), aes128-gcm; "
      "aes256-cbc or aes128-cbc are unauthenticated");
  app->add_flag("--rsa-pkcs1", args->rsa_pkcs1,
                "RSA recipients: PKCS#1 v1.5 key transport instead of RSA-OAEP (older software)");
  app->add_flag("--no-self", args->no_self, "do not add your own certificate as a recipient");
  app->add_flag("--sign", args->sign, "sign with --key/--cert or --p12 first, then encrypt");
  app->add_flag("--crlf", args->crlf, "write CRLF line ends, as on the wire");
  args->identity.add_to(*app, true);
  app->add_option("-o,--output", args->output, "where to write (default: stdout)");
  app->add_option("IN", args->input, "the message to encrypt (default: stdin)");
  return {app, [args] { return run_encrypt(*args); }};
}

}  // namespace smimekit::cli

// smimekit sign: sign an outgoing message (multipart/signed by default, or opaque).
#include <memory>

#include "cli.h"
#include "commands.h"
#include "smimekit/mail.h"

namespace smimekit::cli {

namespace {

struct SignArgs {
  IdentityOptions identity;
  StoreOptions store;
  std::string from;
  bool opaque = false;
  std::string digest = "sha256";
  bool pss = false;
  bool crlf = false;
  std::string output;
  std::string input;
};

int run_sign(const SignArgs& args) {
  const auto digest = parse_digest_algorithm(args.digest);
  if (!digest) {
    throw UsageError{"--digest must be sha256, sha384 or sha512",
                     "SHA-256 is the default and what every S/MIME agent reads"};
  }
  const std::string message = read_input(args.input);
  const Identity signer = load_signer(args.identity, args.store, args.from, message);
  if (args.pss && !signer.certificate.has_rsa_key()) {
    throw UsageError{"--pss can't be used with a " + signer.certificate.key_description() + " key",
                     "RSASSA-PSS is for RSA keys; EC keys always sign with ECDSA"};
  }
  SignOptions options;
  options.format = args.opaque ? SignFormat::Opaque : SignFormat::Detached;
  options.digest = *digest;
  options.rsa_pss = args.pss;
  options.crlf = args.crlf;
  write_output(args.output, sign(message, signer, options));
  return kOk;
}

}  // namespace

Verb setup_sign(CLI::App& parent) {
  auto args = std::make_shared<SignArgs>();
  CLI::App* app = parent.add_subcommand("sign", "sign a message (RFC 5322) with your key");
  args->identity.add_to(*app, true);
  app->add_option("--from", args->from,
                  "sign with the store's key for this address (default without --key/--p12: "
                  "the message's From)");
  args->store.add_to(*app);
  app->add_flag("--opaque", args->opaque,
                "application/pkcs7-mime signed-data instead of multipart/signed");
  app->add_option("--digest", args->digest, "sha256 (default), sha384 or sha512");
  app->add_flag("--pss", args->pss, "RSA keys: sign with RSASSA-PSS instead of PKCS#1 v1.5");
  app->add_flag("--crlf", args->crlf, "write CRLF line ends, as on the wire");
  app->add_option("-o,--output", args->output, "where to write the signed message (default: stdout)");
  app->add_option("IN", args->input, "the message to sign (default: stdin)");
  return {app, [args] { return run_sign(*args); }};
}

}  // namespace smimekit::cli

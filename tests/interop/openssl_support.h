// What the interop tests against the openssl command line share: the demo signers, running
// `openssl cms`, and small text helpers (line ends, base64, quoted-printable) that do not go
// through the library under test.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/test_support.h"

namespace smimekit::interop {

using test::RunResult;
using test::TempDir;

/// A demo user, and how each side names its key.
struct Signer {
  std::string name;   ///< "alice", for test names
  std::string email;  ///< "alice@example.org"
  std::string mailbox;  ///< "Alice Demo <alice@example.org>", for From
  bool rsa = true;
  /// How `smimekit sign` is told about the identity.
  std::vector<std::string> smimekit_identity;
  /// PEM files for `openssl cms -sign`.
  std::string cert, key;
};

/// alice: RSA-2048, --key/--cert/--chain.
[[nodiscard]] Signer alice();
/// bob: RSA-3072, --p12 certs/demo/bob.p12 --pass pass:demo.
[[nodiscard]] Signer bob();
/// carol: ECDSA P-256, --key/--cert/--chain.
[[nodiscard]] Signer carol();

/// certs/demo/FILE as a string argument.
[[nodiscard]] std::string demo_path(const std::string& file);

/// Runs `openssl ARGS...`.
[[nodiscard]] RunResult openssl(const std::vector<std::string>& args);

/// Both output streams and the exit status of a run, for failure messages.
[[nodiscard]] std::string describe(const RunResult& result);

/// `openssl cms -verify -CAfile certs/demo/root.pem -purpose smimesign -in MESSAGE
/// -out CONTENT` (plus EXTRA): the run, and what it wrote to CONTENT.
struct OpensslVerify {
  RunResult run;
  std::string content;
  [[nodiscard]] bool ok() const { return run.exit_code == 0; }
};
[[nodiscard]] OpensslVerify openssl_verify(const TempDir& dir, const std::string& message,
                                           const std::vector<std::string>& extra = {});

/// `openssl cms -cmsout -print` of MESSAGE (S/MIME format): the SignedData in text.
[[nodiscard]] std::string openssl_print(const TempDir& dir, const std::string& message);

/// `smimekit verify --anchor certs/demo/root.pem [EXTRA...] FILE` over MESSAGE, written to DIR.
[[nodiscard]] RunResult smimekit_verify(const TempDir& dir, const std::string& message,
                                        const std::vector<std::string>& extra = {});

using test::to_crlf;
using test::to_lf;

/// The boundary parameter of the top-level Content-Type of MESSAGE ("" when there is none).
[[nodiscard]] std::string top_boundary(const std::string& message);
/// The first body part of the top-level multipart/signed of MESSAGE, exactly as it stands
/// (RFC 1847 §2.1: the line break before the next delimiter belongs to the delimiter), with
/// CRLF line ends: the bytes the signature covers.
[[nodiscard]] std::string detached_entity(const std::string& message);

using test::Split;
using test::split_header;

using test::base64_decode;
using test::base64_encode;
/// Quoted-printable decoding (RFC 2045 §6.7): soft line breaks go, =XX becomes the byte.
[[nodiscard]] std::string qp_decode(std::string_view text);

/// Replaces the first occurrence of FROM in TEXT by TO; fails the test when there is none.
[[nodiscard]] std::string replace_first(std::string text, std::string_view from, std::string_view to);

/// True when every byte is 7-bit and not NUL.
[[nodiscard]] bool seven_bit(std::string_view text);
/// The length of the longest line (without its line end).
[[nodiscard]] std::size_t longest_line(std::string_view text);
/// True when some line ends in a space or a tab.
[[nodiscard]] bool has_trailing_white_space(std::string_view text);
/// True when some line starts with "From ".
[[nodiscard]] bool has_from_line(std::string_view text);

/// The MIME entity that the openssl-side tests sign: the sample message's content (no
/// outer header), with LF line ends.
[[nodiscard]] std::string sample_entity();
/// The canonical entity that smimekit signs for test::sample_message().
[[nodiscard]] std::string sample_canonical_entity();

/// Fails the test (with a message) unless `openssl` 3.x is on the PATH.
void require_openssl();

}  // namespace smimekit::interop

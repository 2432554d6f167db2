// What the tests share: where the data is, how to run the CLI, scratch directories.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace smimekit::test {

/// certs/ of the source tree (demo/ and test/ below it).
[[nodiscard]] std::filesystem::path certs_dir();
[[nodiscard]] std::filesystem::path demo(const std::string& file);      // certs/demo/FILE
[[nodiscard]] std::filesystem::path test_cert(const std::string& file); // certs/test/FILE

/// ../shared/corpora/NAME, or an empty path when that folder is missing.
[[nodiscard]] std::filesystem::path corpus(const std::string& name);
/// True when running in CI (CI=true), where a missing corpus is a failure, not a skip.
[[nodiscard]] bool in_ci();

/// Sets VAR to ../shared/corpora/NAME; when it is missing, skips the test with a message that
/// names the folder, or fails it under CI=true.
#define SMIMEKIT_REQUIRE_CORPUS(var, name)                                                  \
  const std::filesystem::path var = ::smimekit::test::corpus(name);                        \
  if (var.empty()) {                                                                        \
    if (::smimekit::test::in_ci()) FAIL() << "corpus " << (name) << " is missing from "    \
                                          << SMIMEKIT_CORPORA_DIR;                          \
    GTEST_SKIP() << "corpus " << (name) << " is missing from " << SMIMEKIT_CORPORA_DIR;    \
  }

[[nodiscard]] std::string read(const std::filesystem::path& path);
void write(const std::filesystem::path& path, const std::string& data);

/// A fresh directory under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return m_path / name;
  }

 private:
  std::filesystem::path m_path;
};

struct RunResult {
  int exit_code = -1;
  std::string out;  ///< standard output
  std::string err;  ///< standard error
};

/// Runs a program (no shell) with ARGS, feeding STDIN_DATA, and collects what it prints.
[[nodiscard]] RunResult run(const std::vector<std::string>& args, const std::string& stdin_data = "");
/// Runs the smimekit binary of this build.
[[nodiscard]] RunResult smimekit(const std::vector<std::string>& args,
                                 const std::string& stdin_data = "");
/// True when PROGRAM is on the PATH.
[[nodiscard]] bool have_program(const std::string& program);

/// Base64 written and read independently of the library under test: 76-character lines
/// ending in LF; decoding skips white space.
[[nodiscard]] std::string base64_encode(std::string_view data);
[[nodiscard]] std::string base64_decode(std::string_view text);

/// Line ends converted independently of the library: bare LF to CRLF, and CRLF to LF.
[[nodiscard]] std::string to_crlf(std::string_view text);
[[nodiscard]] std::string to_lf(std::string_view text);

/// The header block and the body of MESSAGE (split at the first empty line, LF or CRLF).
struct Split {
  std::string header;  ///< up to and including the empty line
  std::string body;
};
[[nodiscard]] Split split_header(const std::string& message);

/// A user certificate made now with the `openssl` command, issued by the demo intermediate CA:
/// an EC P-256 key (KEY_TYPE "ec") or RSA-2048 ("rsa"), subjectAltName email:EMAIL, the given
/// keyUsage (e.g. "digitalSignature, keyAgreement"), extendedKeyUsage emailProtection, valid
/// from now for DAYS days. Writes DIR/NAME.pem and DIR/NAME.key (unencrypted).
struct MadeCertificate {
  std::filesystem::path cert, key;
};
[[nodiscard]] MadeCertificate make_user_certificate(
    const std::filesystem::path& dir, const std::string& name, const std::string& email,
    const std::string& key_usage, const std::string& key_type = "ec", int days = 365);

/// A small plain-text message from alice@example.org to bob@example.org.
[[nodiscard]] std::string sample_message(const std::string& from = "Alice Demo <alice@example.org>");

}  // namespace smimekit::test

// What the CLI tests share: paths of the certificates, a signed message on disk, output checks.
#pragma once

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace smimekit::clitest {

using test::demo;
using test::RunResult;
using test::test_cert;

inline std::string p(const std::filesystem::path& path) { return path.string(); }

/// Runs the built smimekit binary with ARGS.
inline RunResult cli(const std::vector<std::string>& args, const std::string& stdin_data = "") {
  return test::smimekit(args, stdin_data);
}

/// Everything a failed CLI check should show.
inline std::string show(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out + "\n--- stderr:\n" +
         r.err;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The arguments that make USER of certs/demo the signer (--key --cert --chain).
inline std::vector<std::string> demo_signer(const std::string& user) {
  return {"--key", p(demo(user + ".key")), "--cert", p(demo(user + ".pem")), "--chain",
          p(demo(user + "-chain.pem"))};
}

/// The same for NAME of certs/test.
inline std::vector<std::string> test_signer(const std::string& name) {
  return {"--key", p(test_cert(name + ".key")), "--cert", p(test_cert(name + ".pem")), "--chain",
          p(test_cert(name + "-chain.pem"))};
}

inline std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Runs `smimekit sign SIGNER... EXTRA... IN -o OUT`, fails the test unless it exits 0.
inline void sign_file(const std::vector<std::string>& signer, const std::filesystem::path& in,
                      const std::filesystem::path& out, const std::vector<std::string>& extra = {}) {
  auto args = concat(concat({"sign"}, signer), extra);
  args.push_back(p(in));
  args.push_back("-o");
  args.push_back(p(out));
  const RunResult r = cli(args);
  ASSERT_EQ(r.exit_code, 0) << show(r);
}

/// `smimekit verify --anchor certs/demo/root.pem EXTRA... FILES...`.
inline RunResult verify_demo(const std::vector<std::string>& extra,
                             const std::vector<std::string>& files) {
  return cli(concat(concat({"verify", "--anchor", p(demo("root.pem"))}, extra), files));
}

inline bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

inline std::string expected_valid_line(const std::string& file) {
  return file +
         ": VALID signature by alice@example.org (chain: Alice Demo -> Demo Intermediate CA -> "
         "Demo Root CA)";
}

}  // namespace smimekit::clitest

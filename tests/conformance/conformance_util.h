// Helpers shared by the conformance runners (tests/conformance only).
//
// Test naming: every ctest name of this folder contains "conformance", so that
// `ctest -R conformance` selects exactly these runners. Parameterized suites are instantiated
// with the prefix "conformance" ("conformance/Pkits.Validate/Pkits_4_1_1"); plain tests live
// in suites called conformance_<corpus> ("conformance_rfc4134.Message_4_8").
#pragma once

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "smimekit/status.h"
#include "smimekit/time.h"
#include "support/test_support.h"

namespace smimekit::conformance {

/// Placeholder parameter name used when a corpus is missing at test-discovery time: the test
/// body then runs SMIMEKIT_REQUIRE_CORPUS, which skips (or fails under CI=true).
inline constexpr const char* kCorpusMissing = "corpus_missing";

inline std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

/// The one certificate of a DER or PEM file.
inline Certificate load_cert(const std::filesystem::path& path) {
  const std::string data = test::read(path);
  auto certs = parse_certificates(data, path.string());
  if (certs.size() != 1) {
    throw std::runtime_error(path.string() + ": expected exactly one certificate, found " +
                             std::to_string(certs.size()));
  }
  return certs.front();
}

/// The first certificate of a PEM/DER file (files that also hold a key or more certs).
inline Certificate load_first_cert(const std::filesystem::path& path) {
  return parse_certificates(test::read(path), path.string()).front();
}

inline Crl load_der_crl(const std::filesystem::path& path) {
  return Crl::from_der(bytes_of(test::read(path)));
}

inline TimePoint at(std::string_view iso) {
  auto t = parse_time(iso);
  if (!t) throw std::runtime_error("bad time in test: " + std::string(iso));
  return *t;
}

/// The body of the first PEM block of TEXT, base64-decoded (no PEM type check).
inline std::string pem_body_to_der(const std::string& text) {
  const auto begin = text.find("-----BEGIN");
  if (begin == std::string::npos) throw std::runtime_error("no PEM block");
  const auto body = text.find('\n', begin);
  const auto end = text.find("-----END", body);
  std::string b64;
  for (char c : text.substr(body, end - body)) {
    if (!std::isspace(static_cast<unsigned char>(c))) b64 += c;
  }
  std::string out(b64.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) throw std::runtime_error("bad base64 in PEM block");
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  if (b64.size() >= 1 && b64[b64.size() - 1] == '=') --len;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

/// base64 of DATA in 64-column lines, CRLF-terminated (for building MIME wrappers).
inline std::string base64_lines(const std::string& data) {
  std::string encoded(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  encoded.resize(static_cast<std::size_t>(n));
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 64) out += encoded.substr(i, 64) + "\r\n";
  return out;
}

/// "4.1.1" -> "4_1_1": characters GoogleTest accepts in a parameter name.
inline std::string sanitize(std::string s) {
  std::replace_if(s.begin(), s.end(),
                  [](unsigned char c) { return !std::isalnum(c) && c != '_'; }, '_');
  return s;
}

inline std::string statuses_text(const std::vector<Status>& statuses) {
  std::string out;
  for (Status s : statuses) {
    if (!out.empty()) out += ", ";
    out += std::string(status_name(s));
  }
  return out.empty() ? "none" : out;
}

}  // namespace smimekit::conformance

#include "openssl_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

namespace smimekit::interop {

std::string demo_path(const std::string& file) { return test::demo(file).string(); }

Signer alice() {
  return {"alice", "alice@example.org", "Alice Demo <alice@example.org>", true,
          {"--key", demo_path("alice.key"), "--cert", demo_path("alice.pem"), "--chain",
           demo_path("alice-chain.pem")},
          demo_path("alice.pem"), demo_path("alice.key")};
}

Signer bob() {
  return {"bob", "bob@example.org", "Bob Demo <bob@example.org>", true,
          {"--p12", demo_path("bob.p12"), "--pass", "pass:demo"},
          demo_path("bob.pem"), demo_path("bob.key")};
}

Signer carol() {
  return {"carol", "carol@example.org", "Carol Demo <carol@example.org>", false,
          {"--key", demo_path("carol.key"), "--cert", demo_path("carol.pem"), "--chain",
           demo_path("carol-chain.pem")},
          demo_path("carol.pem"), demo_path("carol.key")};
}

RunResult openssl(const std::vector<std::string>& args) {
  std::vector<std::string> full{"openssl"};
  full.insert(full.end(), args.begin(), args.end());
  return test::run(full);
}

std::string describe(const RunResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\n--- stdout ---\n" + result.out +
         "\n--- stderr ---\n" + result.err;
}

OpensslVerify openssl_verify(const TempDir& dir, const std::string& message,
                             const std::vector<std::string>& extra) {
  const auto in = dir / "to-verify.eml";
  const auto out = dir / "verified-content";
  std::filesystem::remove(out);
  test::write(in, message);
  std::vector<std::string> args{"cms", "-verify", "-CAfile", demo_path("root.pem"), "-purpose",
                                "smimesign", "-in", in.string(), "-out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  OpensslVerify result;
  result.run = openssl(args);
  if (std::filesystem::exists(out)) result.content = test::read(out);
  return result;
}

std::string openssl_print(const TempDir& dir, const std::string& message) {
  const auto in = dir / "to-print.eml";
  test::write(in, message);
  const RunResult r = openssl({"cms", "-cmsout", "-print", "-in", in.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return r.out;
}

RunResult smimekit_verify(const TempDir& dir, const std::string& message,
                          const std::vector<std::string>& extra) {
  const auto in = dir / "smimekit-verify.eml";
  test::write(in, message);
  std::vector<std::string> args{"verify", "--anchor", demo_path("root.pem")};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(in.string());
  return test::smimekit(args);
}

std::string top_boundary(const std::string& message) {
  // Unfold the header, then find boundary= in the Content-Type field.
  std::string header = to_lf(split_header(message).header);
  std::string unfolded;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == '\n' && i + 1 < header.size() && (header[i + 1] == ' ' || header[i + 1] == '\t')) {
      continue;
    }
    unfolded.push_back(header[i]);
  }
  std::string lower = unfolded;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::size_t ct = lower.find("\ncontent-type:");
  const std::size_t ct_pos = lower.rfind("content-type:", 0) == 0 ? 0 : ct;
  if (ct_pos == std::string::npos) return {};
  const std::size_t end = lower.find('\n', ct_pos + 1);
  const std::size_t b = lower.find("boundary=", ct_pos);
  if (b == std::string::npos || (end != std::string::npos && b > end)) return {};
  std::size_t v = b + 9;
  if (unfolded[v] == '"') {
    const std::size_t close = unfolded.find('"', v + 1);
    return unfolded.substr(v + 1, close - v - 1);
  }
  const std::size_t stop = unfolded.find_first_of("; \t\r\n", v);
  return unfolded.substr(v, stop == std::string::npos ? std::string::npos : stop - v);
}

std::string detached_entity(const std::string& message) {
  const std::string boundary = top_boundary(message);
  EXPECT_FALSE(boundary.empty()) << "no multipart boundary in:\n" << message;
  if (boundary.empty()) return {};
  const std::string body = split_header(message).body;
  const std::string delimiter = "--" + boundary;
  // The first delimiter line, at the start of the body or of a line.
  std::size_t first = body.rfind(delimiter, 0) == 0 ? 0 : body.find("\n" + delimiter);
  EXPECT_NE(first, std::string::npos);
  if (first == std::string::npos) return {};
  if (body[first] == '\n') ++first;
  const std::size_t start = body.find('\n', first) + 1;
  // The next delimiter, with the line break in front of it.
  std::size_t next = body.find("\n" + delimiter, start);
  EXPECT_NE(next, std::string::npos);
  if (next == std::string::npos) return {};
  if (next > start && body[next - 1] == '\r') --next;
  return to_crlf(body.substr(start, next - start));
}

std::string qp_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\n') {  // soft line break
      i += 1;
    } else if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;
    } else if (i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back('=');
    }
  }
  return out;
}

std::string replace_first(std::string text, std::string_view from, std::string_view to) {
  const std::size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "\"" << from << "\" is not in the text";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

namespace {
template <typename F>
void for_each_line(std::string_view text, F f) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    pos = eol + 1;
  }
}
}  // namespace

bool seven_bit(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    return c == 0 || static_cast<unsigned char>(c) >= 0x80;
  });
}

std::size_t longest_line(std::string_view text) {
  std::size_t longest = 0;
  for_each_line(text, [&](std::string_view line) { longest = std::max(longest, line.size()); });
  return longest;
}

bool has_trailing_white_space(std::string_view text) {
  bool found = false;
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) found = true;
  });
  return found;
}

bool has_from_line(std::string_view text) {
  bool found = false;
  for_each_line(text, [&](std::string_view line) {
    if (line.substr(0, 5) == "From ") found = true;
  });
  return found;
}

std::string sample_entity() {
  return "Content-Type: text/plain; charset=us-ascii\n"
         "\n"
         "Hello Bob,\n"
         "\n"
         "this is a test message.\n"
         "\n"
         "Alice\n";
}

std::string sample_canonical_entity() { return to_crlf(sample_entity()); }

void require_openssl() {
  ASSERT_TRUE(test::have_program("openssl"))
      << "the openssl command is not on the PATH; scripts/setup.sh installs it";
  const RunResult v = openssl({"version"});
  ASSERT_EQ(v.exit_code, 0) << describe(v);
  ASSERT_EQ(v.out.rfind("OpenSSL 3.", 0), 0u) << "these tests are written for OpenSSL 3: " << v.out;
}

}  // namespace smimekit::interop

// Resource exhaustion: a message built to make the reader use too much time, memory or
// stack (deep nesting, many parts, a huge header, a long certificate chain, many recipients,
// a large encoded body). Each must end in a clear error or a correct verdict, within bounds.
//
// Each case runs in a child process, so that a crash or a runaway allocation fails the test
// instead of the test program, and so that the peak memory (getrusage ru_maxrss) is the
// case's own. The child builds the message itself and times only Opener::open.
//
// The bounds are generous on purpose (a 2-core machine shared with fuzzers): they catch a
// quadratic loop or a copy per level, not a 20 % slowdown. docs/security.md lists them with
// the values measured when they were set.
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "attack_support.h"

namespace smimekit::security {
namespace {

// Built with AddressSanitizer (scripts/test.sh's second stage)? Its shadow memory reserves
// terabytes of address space, its redzones and quarantine inflate the heap, and every access
// is checked: the bounds are then scaled (documented ones hold in the normal build, which CI
// runs too), and no address-space cap can be set.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// The bounds asserted for every case (docs/security.md, "Resource bounds").
constexpr double kMaxSeconds = kAddressSanitizer ? 20.0 * 5 : 20.0;
constexpr long kMaxPeakMib = kAddressSanitizer ? 1024 * 3 : 1024;
// A child that runs longer than this is killed: a hang becomes a failure, not a stuck run.
constexpr unsigned kKillAfterSeconds = kAddressSanitizer ? 600 : 120;
// Address-space cap of the child, so that a runaway allocation fails there and does not
// take the shared machine's memory (not under AddressSanitizer, see above).
constexpr rlim_t kAddressSpaceCap = rlim_t{4} << 30;

struct Measurement {
  bool finished = false;   ///< the child exited normally and reported
  std::string how;         ///< how the child ended, when it did not report
  double seconds = 0;      ///< wall time of open()
  double cpu_seconds = 0;  ///< user + system time of open()
  long peak_mib = 0;       ///< peak resident memory during open(), the message included
  long input_mib = 0;      ///< size of the message
  Verdict verdict = Verdict::Error;
  std::vector<std::string> reasons;
  bool encrypted = false;
  std::size_t text_size = 0;
  std::size_t layers = 0;
  std::string detail;  ///< the path validator's words for the first signer

  [[nodiscard]] bool has_reason(std::string_view text) const {
    for (const auto& r : reasons) {
      if (r.find(text) != std::string::npos) return true;
    }
    return false;
  }
  [[nodiscard]] std::string describe() const {
    std::ostringstream out;
    out << (finished ? "" : how + "; ") << "verdict " << verdict_name(verdict) << ", " << seconds
        << " s (cpu " << cpu_seconds << " s), peak " << peak_mib << " MiB, input " << input_mib
        << " MiB" << (detail.empty() ? "" : ", validator: " + detail) << ", reasons:";
    for (const auto& r : reasons) out << "\n  " << r.substr(0, 300);
    return out.str();
  }
};

OpenOptions options_for(const std::vector<Identity>& identities) {
  OpenOptions options;
  options.trust = demo_trust();
  options.identities = identities;
  return options;
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Linux: "5" in /proc/self/clear_refs sets the peak resident size (VmHWM) back to the
// current one (proc(5)), so that the peak of open() alone can be read afterwards.
bool reset_peak_memory() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// VmHWM of /proc/self/status in KiB, or ru_maxrss when it cannot be read.
long peak_memory_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Forks; the child builds the message with BUILD and opens it with an Opener made from
// OPTIONS, and reports back through a pipe.
Measurement measure(
    const std::function<std::string()>& build,
    const std::function<OpenOptions()>& options = [] { return options_for({}); }) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    if (!kAddressSanitizer) {
      const rlimit cap{kAddressSpaceCap, kAddressSpaceCap};
      ::setrlimit(RLIMIT_AS, &cap);
    }
    ::alarm(kKillAfterSeconds);
    std::ostringstream out;
    try {
      const Opener opener(options());
      const std::string message = build();
      // What building the message cost is not the reader's: the peak is measured from here.
      const bool peak_reset = reset_peak_memory();
      const double cpu_before = cpu_seconds();
      const auto start = std::chrono::steady_clock::now();
      const Report report = opener.open(message);
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      const long peak_kib = peak_reset ? peak_memory_kib() : usage.ru_maxrss;
      out << verdict_name(report.verdict) << '\n'
          << took.count() << '\n'
          << cpu_seconds() - cpu_before << '\n'
          << peak_kib / 1024 << '\n'
          << message.size() / (1024 * 1024) << '\n'
          << report.encrypted << '\n'
          << (report.text ? report.text->size() : 0) << '\n'
          << report.layers.size() << '\n';
      // The path validator's own words for the first signer, for the log.
      std::string detail;
      for (const auto& layer : report.layers) {
        if (!layer.signers.empty()) detail = layer.signers.front().trust.detail;
      }
      std::replace(detail.begin(), detail.end(), '\n', ' ');
      out << detail << '\n';
      for (std::string reason : report.reasons) {
        for (char& c : reason) {
          if (c == '\n') c = ' ';
        }
        out << reason << '\n';
      }
    } catch (const std::exception& e) {
      out << "exception\n" << e.what() << '\n';
    }
    write_all(fds[1], out.str());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string received;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    received.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);

  Measurement m;
  if (WIFSIGNALED(status)) {
    m.how = std::string("the child was killed by signal ") + std::to_string(WTERMSIG(status)) +
            " (" + strsignal(WTERMSIG(status)) + ")";
    return m;
  }
  std::istringstream in(received);
  std::string verdict;
  std::getline(in, verdict);
  if (verdict == "exception" || verdict.empty()) {
    std::string what;
    std::getline(in, what);
    m.how = "the child did not report: " + (verdict.empty() ? std::string("no output") : what);
    return m;
  }
  for (Verdict v : {Verdict::Valid, Verdict::Invalid, Verdict::Unsigned, Verdict::Error}) {
    if (verdict_name(v) == verdict) m.verdict = v;
  }
  std::string line;
  auto next = [&]() -> std::string {
    std::getline(in, line);
    return line;
  };
  m.seconds = std::stod(next());
  m.cpu_seconds = std::stod(next());
  m.peak_mib = std::stol(next());
  m.input_mib = std::stol(next());
  m.encrypted = next() == "1";
  m.text_size = std::stoul(next());
  m.layers = std::stoul(next());
  m.detail = next();
  while (std::getline(in, line)) m.reasons.push_back(line);
  m.finished = true;
  return m;
}

// Every case: it finished (no crash, no hang) inside the bounds.
void expect_bounded(const Measurement& m, const std::string& what) {
  SCOPED_TRACE(what);
  std::cout << "[ measured ] " << what << ": " << m.describe() << std::endl;
  ::testing::Test::RecordProperty(what, m.describe());
  ASSERT_TRUE(m.finished) << m.describe();
  EXPECT_LT(m.seconds, kMaxSeconds) << m.describe();
  EXPECT_LT(m.peak_mib, kMaxPeakMib) << m.describe();
  EXPECT_FALSE(m.reasons.empty()) << m.describe();
}

// ---------------------------------------------------------------------------------------
// MIME structure

std::string nested_multiparts(int levels) {
  std::string out = outer("Eve Test <eve@example.org>", "multipart/mixed; boundary=\"b0\"");
  out.reserve(static_cast<std::size_t>(levels) * 80);
  for (int i = 0; i < levels; ++i) {
    out += "--b" + std::to_string(i) + "\nContent-Type: multipart/mixed; boundary=\"b" +
           std::to_string(i + 1) + "\"\n\n";
  }
  out += "--b" + std::to_string(levels) + "\nContent-Type: text/plain\n\ndeep inside\n--b" +
         std::to_string(levels) + "--\n";
  for (int i = levels - 1; i >= 0; --i) out += "--b" + std::to_string(i) + "--\n";
  return out;
}

TEST(SecurityAttackResources, TenThousandNestedMultiparts) {
  const Measurement m = measure([] { return nested_multiparts(10'000); });
  expect_bounded(m, "10,000 nested multiparts");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("nests more than 32 MIME levels")) << m.describe();
}

TEST(SecurityAttackResources, MillionNestedAttachedMessages) {
  // message/rfc822 inside message/rfc822, a million times: no "--" line at all.
  const Measurement m = measure([] {
    std::string out = outer("Eve Test <eve@example.org>", "message/rfc822");
    out.reserve(50'000'000);
    for (int i = 0; i < 1'000'000; ++i)
      out += "From: e@example.org\nContent-Type: message/rfc822\n\n";
    return out + "From: e@example.org\nContent-Type: text/plain\n\ninnermost\n";
  });
  expect_bounded(m, "1,000,000 nested message/rfc822");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("nests more than 32 MIME levels")) << m.describe();
}

std::string many_parts(int count) {
  std::string out = outer("Eve Test <eve@example.org>", "multipart/mixed; boundary=\"p\"");
  out.reserve(static_cast<std::size_t>(count) * 60);
  for (int i = 0; i < count; ++i) {
    out += "--p\nContent-Type: text/plain; charset=us-ascii\n\npart " + std::to_string(i) + "\n";
  }
  out += "--p--\n";
  return out;
}

TEST(SecurityAttackResources, HundredThousandParts) {
  const Measurement m = measure([] { return many_parts(100'000); });
  expect_bounded(m, "100,000 parts");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("more than 100000 lines that start a MIME part")) << m.describe();
}

TEST(SecurityAttackResources, MillionEmptyParts) {
  // "--p\n\n" a million times: 5 MB that GMime would have turned into 1.4 GiB of objects.
  const Measurement m = measure([] {
    std::string out = outer("Eve Test <eve@example.org>", "multipart/mixed; boundary=\"p\"");
    for (int i = 0; i < 1'000'000; ++i) out += "--p\n\n";
    return out + "--p--\n";
  });
  expect_bounded(m, "1,000,000 empty parts");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("more than 100000 lines that start a MIME part")) << m.describe();
}

TEST(SecurityAttackResources, FiftyThousandPartsAreStillRead) {
  // The control: below the limits, a large message gets its verdict.
  const Measurement m = measure([] { return many_parts(50'000); });
  expect_bounded(m, "50,000 parts");
  EXPECT_EQ(m.verdict, Verdict::Unsigned) << m.describe();
  EXPECT_TRUE(m.has_reason("the message is not signed")) << m.describe();
}

// ---------------------------------------------------------------------------------------
// A header of 100 MB

constexpr std::size_t kHugeHeader = 100u * 1024 * 1024;

TEST(SecurityAttackResources, HundredMegabyteHeaderField) {
  // One unstructured field, folded into lines of 76 characters.
  const Measurement m = measure([] {
    std::string field = "X-Filler:";
    field.reserve(kHugeHeader + 100);
    while (field.size() < kHugeHeader) {
      field += "\n aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    }
    return plain_message("From: Eve Test <eve@example.org>\n" + field + "\n");
  });
  expect_bounded(m, "100 MB header field");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("a header field (or a line) of more than 4 MiB")) << m.describe();
}

TEST(SecurityAttackResources, HundredMegabyteOfShortHeaderFields) {
  // 4.7 million fields of 22 bytes: 2.4 GiB of GMime objects before the limit.
  const Measurement m = measure([] {
    std::string out = "From: Eve Test <eve@example.org>\n";
    out.reserve(kHugeHeader + 200);
    for (int i = 0; out.size() < kHugeHeader; ++i)
      out += "X-Field: value " + std::to_string(i) + "\n";
    return out + "Content-Type: text/plain\n\nshort body\n";
  });
  expect_bounded(m, "100 MB of short header fields");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("more than 100000 header fields, or more than 4 MiB")) << m.describe();
}

std::string address_list(const std::string& name, std::size_t size) {
  std::string out = name + ": ";
  out.reserve(size + 100);
  for (int i = 0; out.size() < size; ++i) out += "user" + std::to_string(i) + "@example.org,\n ";
  return out + "bob@example.org\n";
}

TEST(SecurityAttackResources, HundredMegabyteFromList) {
  // Four million addresses in From: 3 GiB of address objects before the limit.
  const Measurement m = measure(
      [] { return address_list("From", kHugeHeader) + "Content-Type: text/plain\n\nbody\n"; });
  expect_bounded(m, "100 MB From address list");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("a header field (or a line) of more than 4 MiB")) << m.describe();
}

TEST(SecurityAttackResources, HundredMegabyteToInAnAttachedMessage) {
  // The same inside a message/rfc822 part, whose header GMime reads as eagerly.
  const Measurement m = measure([] {
    return outer("Eve Test <eve@example.org>", "multipart/mixed; boundary=\"p\"") +
           "--p\nContent-Type: text/plain\n\nsee below\n--p\nContent-Type: message/rfc822\n\n"
           "From: Alice Demo <alice@example.org>\n" +
           address_list("To", kHugeHeader) + "Content-Type: text/plain\n\nbody\n--p--\n";
  });
  expect_bounded(m, "100 MB To in an attached message");
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("a header field (or a line) of more than 4 MiB")) << m.describe();
}

TEST(SecurityAttackResources, LongFromDisplayNameOnASignedMessage) {
  // eve's genuine signature; the From field outside it is hers, with a display name of
  // 2 MiB (under the field limit) that ends in another address. The address binding reads
  // the display name: it once did with std::regex, which took 31 s for 20 KB and overflowed
  // the stack at 200 KB.
  const Measurement m = measure([] {
    const std::string from_line = "From: Eve Test <eve@example.org>";
    const std::string message = sign(plain_message(from_line + "\n"), test_identity("eve"));
    std::string from = "From: \"";
    from.append(std::size_t{2} << 20, 'x');
    from += "@example.org\" <eve@example.org>";
    const std::size_t at = message.find(from_line);
    return message.substr(0, at) + from + message.substr(at + from_line.size());
  });
  expect_bounded(m, "2 MiB From display name, signed");
  EXPECT_EQ(m.verdict, Verdict::Invalid) << m.describe();
  EXPECT_TRUE(m.has_reason("signer address does not match From")) << m.describe();
}

// ---------------------------------------------------------------------------------------
// A chain of 1,000 certificates

// Root (ROOT_CERT with ROOT_KEY, or a fresh self-signed one) -> 998 CAs -> the signer,
// eve@example.org; all on one P-256 key. The message carries all of them.
std::string signed_with_long_chain(bool under_demo_root) {
  const KeyPtr key = new_ec_key();
  KeyPtr root_key;
  CertPtr root;
  if (under_demo_root) {
    root_key = read_key(test::demo("root.key"));
    root = read_cert(test::demo("root.pem"));
  } else {
    root = issue({"Hostile Root", true, {}, 1}, key.get(), nullptr, key.get());
  }
  std::vector<CertPtr> cas;
  X509* issuer = root.get();
  EVP_PKEY* issuer_key = under_demo_root ? root_key.get() : key.get();
  for (int i = 1; i <= 998; ++i) {
    cas.push_back(issue({"Hostile CA " + std::to_string(i), true, {}, 1000 + i}, key.get(), issuer,
                        issuer_key));
    issuer = cas.back().get();
    issuer_key = key.get();
  }
  const CertPtr leaf =
      issue({"Eve Test", false, {"eve@example.org"}, 5000}, key.get(), issuer, key.get());
  std::vector<Certificate> chain;
  for (auto it = cas.rbegin(); it != cas.rend(); ++it) chain.push_back(to_certificate(it->get()));
  if (!under_demo_root) chain.push_back(to_certificate(root.get()));
  return sign(plain_message("From: Eve Test <eve@example.org>\n"),
              to_identity(key.get(), leaf.get(), chain));
}

TEST(SecurityAttackResources, ChainOfThousandCertificatesUnderAnUnknownRoot) {
  const Measurement m = measure([] { return signed_with_long_chain(false); });
  expect_bounded(m, "1,000-certificate chain, unknown root");
  EXPECT_EQ(m.verdict, Verdict::Invalid) << m.describe();
  EXPECT_TRUE(m.has_reason("trust anchor")) << m.describe();
}

TEST(SecurityAttackResources, ChainOfThousandCertificatesUnderTheTrustedRoot) {
  const Measurement m = measure([] { return signed_with_long_chain(true); });
  expect_bounded(m, "1,000-certificate chain, demo root");
  // Botan builds and accepts the path; OpenSSL's second opinion stops at its depth limit of
  // 100. (The reason then reads "a certificate in the chain is malformed": lib/trust maps
  // X509_V_ERR_CERT_CHAIN_TOO_LONG to no status of its own.)
  EXPECT_EQ(m.verdict, Verdict::Invalid) << m.describe();
  EXPECT_TRUE(m.has_reason("signature by eve@example.org: ")) << m.describe();
  EXPECT_NE(m.detail.find("certificate chain too long"), std::string::npos) << m.describe();
}

// ---------------------------------------------------------------------------------------
// 10,000 recipients

// AES-256-GCM for alice and bob, then alice's RecipientInfo repeated COPIES times, and
// bob's last (or left out).
std::string many_recipients(int copies, bool with_bob) {
  const std::string message =
      encrypt(secret_message(), {demo_certificate("alice"), demo_certificate("bob")});
  const std::string der = message_der(message);
  const EnvelopeFields f = locate_envelope(der);
  std::string set;
  const std::string alice = whole(der, f.recipients.at(0));
  set.reserve(alice.size() * static_cast<std::size_t>(copies + 1));
  for (int i = 0; i < copies; ++i) set += alice;
  if (with_bob) set += whole(der, f.recipients.at(1));
  return with_der(message,
                  rebuild_envelope(der, f,
                                   {whole(der, f.version), encode_tlv(0x31, set),
                                    whole(der, f.encrypted_content_info), whole(der, *f.mac)}));
}

TEST(SecurityAttackResources, TenThousandRecipients) {
  const Measurement m = measure([] { return many_recipients(10'000, true); },
                                [] { return options_for({demo_identity("bob")}); });
  expect_bounded(m, "10,000 recipients, bob last");
  EXPECT_TRUE(m.encrypted) << m.describe();
  EXPECT_EQ(m.verdict, Verdict::Unsigned) << m.describe();
}

TEST(SecurityAttackResources, TenThousandRecipientsNoneOfThemYou) {
  const Measurement m = measure([] { return many_recipients(10'000, false); },
                                [] { return options_for({demo_identity("bob")}); });
  expect_bounded(m, "10,000 recipients, bob not among them");
  EXPECT_FALSE(m.encrypted) << m.describe();
  EXPECT_EQ(m.verdict, Verdict::Error) << m.describe();
  EXPECT_TRUE(m.has_reason("not encrypted for bob@example.org")) << m.describe();
}

// ---------------------------------------------------------------------------------------
// A large encoded body

TEST(SecurityAttackResources, LargeBase64Body) {
  // 64 MiB of text, base64-encoded to 86 MiB: the reader decodes the first text part.
  constexpr std::size_t kDecoded = 64u * 1024 * 1024;
  const Measurement m = measure([] {
    std::string text;
    text.reserve(kDecoded);
    while (text.size() < kDecoded) text += "All work and no play makes Jack a dull boy.\n";
    text.resize(kDecoded);
    return outer("Eve Test <eve@example.org>",
                 "text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64") +
           base64_encode(text);
  });
  expect_bounded(m, "64 MiB in base64");
  EXPECT_EQ(m.verdict, Verdict::Unsigned) << m.describe();
}

TEST(SecurityAttackResources, LargeBase64SignatureBlob) {
  // 48 MiB of zeros, base64-encoded, as an opaque signed-data part: decoded, then refused
  // as CMS.
  const Measurement m = measure([] {
    return outer("Eve Test <eve@example.org>",
                 "application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\n"
                 "Content-Transfer-Encoding: base64") +
           base64_encode(std::string(std::size_t{48} << 20, '\0'));
  });
  expect_bounded(m, "48 MiB pkcs7-mime in base64");
  EXPECT_EQ(m.verdict, Verdict::Invalid) << m.describe();
  EXPECT_TRUE(m.has_reason("not valid CMS SignedData")) << m.describe();
}

}  // namespace
}  // namespace smimekit::security

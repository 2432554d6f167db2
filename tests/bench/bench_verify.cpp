// How close is verifying a whole message to the cost of the signature check underneath?
//
// Baseline: one RSA-2048 PKCS#1 v1.5 verification over a SHA-256 digest with OpenSSL, which
// any verifier must pay. Measured: Opener::open() on a signed message, reusing one Opener as
// a mail client verifying a mailbox would. The ratio is printed at the end.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "smimekit/mail.h"
#include "support/test_support.h"

namespace {

using namespace smimekit;

struct Fixture {
  std::string message;
  std::string signed_message;
  Opener opener;
  EVP_PKEY* alice_public = nullptr;
  std::string signature;

  Fixture() : opener(make_options()) {
    message = test::sample_message();
    const Identity alice =
        make_identity(load_private_key(test::demo("alice.key"), nullptr),
                      load_certificates(test::demo("alice.pem")).front(),
                      load_certificates(test::demo("intermediate.pem")));
    signed_message = sign(message, alice);

    // The baseline's signature, made with the same key over the same bytes.
    FILE* f = fopen(test::demo("alice.key").c_str(), "r");
    EVP_PKEY* priv = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    fclose(f);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, priv);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()),
                   message.size());
    signature.resize(len);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    EVP_MD_CTX_free(ctx);
    f = fopen(test::demo("alice.pem").c_str(), "r");
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    fclose(f);
    alice_public = X509_get_pubkey(cert);
    X509_free(cert);
    EVP_PKEY_free(priv);
  }

  static OpenOptions make_options() {
    OpenOptions o;
    o.trust.anchors = load_certificates(test::demo("root.pem"));
    return o;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

double g_baseline_ns = 0;
double g_open_ns = 0;

void BM_RsaVerifyBaseline(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, f.alice_public);
    const int ok = EVP_DigestVerify(
        ctx, reinterpret_cast<const unsigned char*>(f.signature.data()), f.signature.size(),
        reinterpret_cast<const unsigned char*>(f.message.data()), f.message.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("baseline signature did not verify");
  }
  g_baseline_ns = 0;
}
BENCHMARK(BM_RsaVerifyBaseline);

void BM_OpenSignedMessage(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    const Report r = f.opener.open(f.signed_message);
    if (r.verdict != Verdict::Valid) state.SkipWithError("message did not verify");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_OpenSignedMessage);

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      const double ns = run.GetAdjustedCPUTime();
      if (run.benchmark_name() == "BM_RsaVerifyBaseline") g_baseline_ns = ns;
      if (run.benchmark_name() == "BM_OpenSignedMessage") g_open_ns = ns;
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (g_baseline_ns > 0 && g_open_ns > 0) {
    fmt::print("\nopen() of a signed message costs {:.1f}x one RSA-2048 signature check "
               "({:.0f} us vs {:.0f} us)\n",
               g_open_ns / g_baseline_ns, g_open_ns / 1000, g_baseline_ns / 1000);
  }
  benchmark::Shutdown();
  return 0;
}

// CertStore: layout and modes, the index by address, encrypted keys, damaged files, two
// processes at once, choosing a recipient and harvesting.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>

#include "smimekit/error.h"
#include "smimekit/store.h"
#include "smimekit/time.h"
#include "support/test_support.h"

namespace smimekit {
namespace {

namespace fs = std::filesystem;
using test::demo;
using test::TempDir;
using test::test_cert;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

Certificate one(const fs::path& p) {
  return load_certificates(p).front();
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// A store with the demo root as anchor and the demo intermediate, as a user would set it up.
CertStore demo_store(const TempDir& tmp) {
  CertStore store = CertStore::open(tmp / "store", true);
  store.add_anchor(one(demo("root.pem")));
  store.add_certificate(one(demo("intermediate.pem")));
  return store;
}

TEST(CertStore, CreatesPrivateDirectoriesAndFindsCertificatesByAddress) {
  TempDir tmp;
  CertStore store = CertStore::open(tmp / "store", true);
  for (const char* sub : {"", "certs", "keys", "anchors", "crls"}) {
    EXPECT_EQ(mode_of(tmp / "store" / sub), 0700u) << sub;
  }
  const Certificate bob = one(demo("bob.pem"));
  EXPECT_TRUE(store.add_certificate(bob));
  EXPECT_FALSE(store.add_certificate(bob));  // the same certificate twice is one
  EXPECT_TRUE(fs::exists(tmp / "store" / "certs" / (bob.fingerprint_sha256() + ".pem")));
  EXPECT_EQ(mode_of(tmp / "store" / "index.json"), 0600u);

  // The domain compares case-insensitively, the local part exactly (RFC 5321 §2.4).
  ASSERT_EQ(store.find_by_address("bob@EXAMPLE.org").size(), 1u);
  EXPECT_EQ(store.find_by_address("bob@example.org").front().certificate, bob);
  EXPECT_TRUE(store.find_by_address("Bob@example.org").empty());
  EXPECT_EQ(normalize_address("Bob@Example.ORG"), "Bob@example.org");
  const std::string index = test::read(tmp / "store" / "index.json");
  EXPECT_TRUE(contains(index, "\"bob@example.org\"")) << index;

  // A reopened store sees the same.
  const CertStore again = CertStore::open(tmp / "store", false);
  ASSERT_EQ(again.list().size(), 1u);
  EXPECT_FALSE(again.list().front().has_key);
}

TEST(CertStore, MissingStoreIsNoInputUnlessCreated) {
  TempDir tmp;
  try {
    (void)CertStore::open(tmp / "none", false);
    FAIL() << "opened a store that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoInput);
    EXPECT_TRUE(contains(e.what(), (tmp / "none").string())) << e.what();
  }
  EXPECT_FALSE(CertStore::exists(tmp / "none"));
}

TEST(CertStore, DefaultPathFollowsTheEnvironment) {
  const char* saved_store = std::getenv("SMIMEKIT_STORE");
  const char* saved_xdg = std::getenv("XDG_DATA_HOME");
  const std::string keep_store = saved_store ? saved_store : "";
  const std::string keep_xdg = saved_xdg ? saved_xdg : "";
  ::setenv("SMIMEKIT_STORE", "/tmp/a-store", 1);
  EXPECT_EQ(default_store_path(), fs::path("/tmp/a-store"));
  ::unsetenv("SMIMEKIT_STORE");
  ::setenv("XDG_DATA_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(default_store_path(), fs::path("/tmp/xdg/smimekit"));
  ::unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(default_store_path(), fs::path(std::getenv("HOME")) / ".local/share/smimekit");
  if (saved_store) ::setenv("SMIMEKIT_STORE", keep_store.c_str(), 1);
  if (saved_xdg) ::setenv("XDG_DATA_HOME", keep_xdg.c_str(), 1);
}

TEST(CertStore, KeysAreStoredOnlyEncryptedAndMode0600) {
  TempDir tmp;
  CertStore store = CertStore::open(tmp / "store", true);
  const Certificate alice = one(demo("alice.pem"));
  const PrivateKey key = load_private_key(demo("alice.key"), nullptr);
  store.add_private_key(alice, key, Secret("correct horse"));
  const fs::path file = tmp / "store" / "keys" / (alice.fingerprint_sha256() + ".key");
  EXPECT_EQ(mode_of(file), 0600u);
  const std::string pem = test::read(file);
  EXPECT_EQ(pem.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0), 0u) << pem;

  // The openssl command reads it back with the password: PBES2, PBKDF2, AES-256-CBC.
  const auto parsed = test::run({"openssl", "asn1parse", "-in", file.string()});
  EXPECT_TRUE(contains(parsed.out, "PBES2")) << parsed.out;
  EXPECT_TRUE(contains(parsed.out, "PBKDF2")) << parsed.out;
  EXPECT_TRUE(contains(parsed.out, "aes-256-cbc")) << parsed.out;
  EXPECT_TRUE(contains(parsed.out, "hmacWithSHA256")) << parsed.out;
  const auto decrypted = test::run(
      {"openssl", "pkey", "-in", file.string(), "-passin", "pass:correct horse", "-noout"});
  EXPECT_EQ(decrypted.exit_code, 0) << decrypted.err;

  EXPECT_EQ(store.private_key(alice.fingerprint_sha256(), Secret("correct horse")).description(),
            "RSA-2048");
  try {
    (void)store.private_key(alice.fingerprint_sha256(), Secret("wrong"));
    FAIL() << "a wrong password opened the key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Password);
  }
  ASSERT_EQ(store.list().size(), 1u);
  EXPECT_TRUE(store.list().front().has_key);

  // No empty password, no key that is not the certificate's.
  EXPECT_THROW(store.add_private_key(alice, key, Secret("")), Error);
  const PrivateKey bob_key = load_private_key(demo("bob.key"), nullptr);
  try {
    store.add_private_key(alice, bob_key, Secret("pw"));
    FAIL() << "stored a key under a certificate it does not belong to";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
}

TEST(CertStore, OpenToOthersIsRefusedNamingTheFile) {
  TempDir tmp;
  CertStore store = CertStore::open(tmp / "store", true);
  const Certificate alice = one(demo("alice.pem"));
  store.add_private_key(alice, load_private_key(demo("alice.key"), nullptr), Secret("pw"));

  const fs::path key = tmp / "store" / "keys" / (alice.fingerprint_sha256() + ".key");
  ::chmod(key.c_str(), 0644);
  try {
    (void)store.private_key(alice.fingerprint_sha256(), Secret("pw"));
    FAIL() << "read a key file that others may read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Insecure);
    EXPECT_TRUE(contains(e.what(), key.string())) << e.what();
    EXPECT_TRUE(contains(e.what(), "chmod 600")) << e.what();
  }
  ::chmod(key.c_str(), 0600);

  ::chmod((tmp / "store").c_str(), 0755);
  try {
    (void)CertStore::open(tmp / "store", false);
    FAIL() << "opened a store that others may read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Insecure);
    EXPECT_TRUE(contains(e.what(), (tmp / "store").string())) << e.what();
    EXPECT_TRUE(contains(e.what(), "0755")) << e.what();
  }
  ::chmod((tmp / "store").c_str(), 0700);

  // A store of another user (here: nobody's) is refused too, whoever may read it.
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown((tmp / "store").c_str(), 65534, 65534), 0);
    try {
      (void)CertStore::open(tmp / "store", false);
      FAIL() << "opened another user's store";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Insecure);
      EXPECT_TRUE(contains(e.what(), "belongs to another user")) << e.what();
    }
    ASSERT_EQ(::chown((tmp / "store").c_str(), 0, 0), 0);
  }
}

TEST(CertStore, DamagedFilesAreNamedInTheError) {
  TempDir tmp;
  CertStore store = CertStore::open(tmp / "store", true);
  const Certificate bob = one(demo("bob.pem"));
  store.add_certificate(bob);
  const fs::path file = tmp / "store" / "certs" / (bob.fingerprint_sha256() + ".pem");
  test::write(file, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
  try {
    (void)store.list();
    FAIL() << "listed a damaged store";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Input);
    EXPECT_TRUE(contains(e.what(), file.string())) << e.what();
  }
  // A real certificate under another's name is damage too.
  test::write(file, test::read(demo("alice.pem")));
  EXPECT_THROW((void)store.list(), Error);
  fs::remove(file);
  // The index names a certificate whose file is gone: said, with the file, not ignored.
  try {
    (void)store.find_by_address("bob@example.org");
    FAIL() << "an index entry without its file went unnoticed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Input);
    EXPECT_TRUE(contains(e.what(), file.string())) << e.what();
  }
  store.add_certificate(bob);  // importing it again mends it
  EXPECT_EQ(store.find_by_address("bob@example.org").size(), 1u);

  test::write(tmp / "store" / "index.json", "{\"version\": 1, \"addresses\": [");
  try {
    store.add_certificate(bob);
    FAIL() << "changed a store with a damaged index";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Input);
    EXPECT_TRUE(contains(e.what(), (tmp / "store" / "index.json").string())) << e.what();
  }
}

TEST(CertStore, ResolvesFingerprintPrefixesAndAddresses) {
  TempDir tmp;
  CertStore store = CertStore::open(tmp / "store", true);
  const Certificate bob = one(demo("bob.pem"));
  store.add_certificate(bob);
  store.add_certificate(one(demo("alice.pem")));
  const std::string fp = bob.fingerprint_sha256();
  EXPECT_EQ(store.resolve(fp.substr(0, 8)).front().certificate, bob);
  EXPECT_EQ(store.resolve(fp).front().certificate, bob);
  std::string upper = fp.substr(0, 12);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(store.resolve(upper).front().certificate, bob);
  EXPECT_EQ(store.resolve("bob@example.org").front().certificate, bob);
  try {
    (void)store.resolve(fp.substr(0, 7));
    FAIL() << "took a 7-digit prefix";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
  try {
    (void)store.resolve("nobody@example.org");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoInput);
  }

  EXPECT_TRUE(store.remove_certificate(fp));
  EXPECT_FALSE(store.remove_certificate(fp));
  EXPECT_TRUE(store.find_by_address("bob@example.org").empty());
  EXPECT_FALSE(contains(test::read(tmp / "store" / "index.json"), fp));
}

TEST(CertStore, AnchorsAndCrlsMakeATrustPolicy) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  EXPECT_FALSE(store.add_anchor(one(demo("root.pem"))));
  EXPECT_EQ(store.add_crl(load_crls(test_cert("revoked.crl.pem")).front()), CrlAdded::Added);
  EXPECT_EQ(store.add_crl(load_crls(test_cert("revoked.crl.pem")).front()), CrlAdded::AlreadyHave);
  const TrustPolicy policy = store.trust_policy();
  EXPECT_EQ(policy.anchors.size(), 1u);
  EXPECT_EQ(policy.intermediates.size(), 1u);
  EXPECT_EQ(policy.crls.size(), 1u);
  EXPECT_TRUE(store.remove_anchor(one(demo("root.pem")).fingerprint_sha256()));
  EXPECT_TRUE(store.anchors().empty());
}

// Two processes import at once, released together: certificates of their own (each added
// once, so an index update lost to the other process would stay lost) and the same shared
// ones in opposite orders. The store must end up holding each certificate once, and an
// index that names every address with exactly its certificate.
TEST(CertStore, TwoProcessesImportingAtOnceLeaveItConsistent) {
  TempDir tmp;
  (void)CertStore::open(tmp / "store", true);
  std::vector<fs::path> shared;
  for (const char* u : {"alice", "bob", "carol"}) shared.push_back(demo(std::string(u) + ".pem"));
  for (const char* t : {"dnemail", "eve", "expired", "keyenc", "manager", "notyet", "revoked",
                        "rsa1024", "serverauth", "sha1"}) {
    shared.push_back(test_cert(std::string(t) + ".pem"));
  }
  constexpr int kOwn = 12;
  std::vector<std::vector<fs::path>> own(2);
  for (int child = 0; child < 2; ++child) {
    for (int i = 0; i < kOwn; ++i) {
      const std::string name = "user" + std::to_string(child) + "-" + std::to_string(i);
      own[child].push_back(test::make_user_certificate(tmp.path(), name, name + "@example.org",
                                                       "digitalSignature, keyAgreement")
                               .cert);
    }
  }
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      char go = 0;
      (void)::read(gate[0], &go, 1);  // returns when the parent closes its end
      int rc = 0;
      try {
        CertStore store = CertStore::open(tmp / "store", true);
        for (std::size_t i = 0; i < shared.size() || i < own[child].size(); ++i) {
          if (i < own[child].size()) store.add_certificate(one(own[child][i]));
          if (i < shared.size()) {
            store.add_certificate(one(child == 0 ? shared[i] : shared[shared.size() - 1 - i]));
          }
        }
        if (child == 1) {
          store.add_private_key(one(demo("alice.pem")),
                                load_private_key(demo("alice.key"), nullptr), Secret("pw"));
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child %d: %s\n", child, e.what());
        rc = 1;
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  std::vector<fs::path> all = shared;
  for (const auto& o : own) all.insert(all.end(), o.begin(), o.end());
  const CertStore store = CertStore::open(tmp / "store", false);
  const auto listed = store.list();  // every file parses and matches its name
  EXPECT_EQ(listed.size(), all.size());
  std::set<std::string> fps;
  for (const auto& sc : listed) fps.insert(sc.certificate.fingerprint_sha256());
  for (const auto& f : all) {
    const Certificate c = one(f);
    EXPECT_EQ(fps.count(c.fingerprint_sha256()), 1u) << f;
    for (const auto& email : c.email_addresses()) {
      const auto found = store.find_by_address(email);
      ASSERT_EQ(found.size(), 1u) << email;
      EXPECT_EQ(found.front().certificate, c);
    }
  }
  const std::string index = test::read(tmp / "store" / "index.json");
  for (const auto& fp : fps) EXPECT_TRUE(contains(index, fp)) << fp;
  for (const auto& f : all) {
    const Certificate c = one(f);  // alive for the loop over its addresses
    for (const auto& email : c.email_addresses()) {
      EXPECT_TRUE(contains(index, "\"" + normalize_address(email) + "\"")) << email;
    }
  }
  // No temporary file of an interrupted write is left behind.
  for (const auto& entry : fs::recursive_directory_iterator(tmp / "store")) {
    EXPECT_FALSE(contains(entry.path().filename().string(), ".tmp-")) << entry.path();
  }
  EXPECT_TRUE(store.find_by_address("alice@example.org").front().has_key);
}

TEST(CertStore, EncryptionUsageFollowsTheKeyType) {
  EXPECT_TRUE(check_encryption_usage(one(demo("bob.pem"))).empty());    // RSA, keyEncipherment
  EXPECT_TRUE(check_encryption_usage(one(demo("carol.pem"))).empty());  // EC, keyAgreement
  EXPECT_TRUE(check_encryption_usage(one(test_cert("keyenc.pem"))).empty());
  EXPECT_EQ(check_encryption_usage(one(test_cert("serverauth.pem"))),
            std::vector<Status>{Status::ExtKeyUsageForbidsEmail});
}

// Two CRLs of the Demo Intermediate CA: intermediate.crl.pem issued 2025-01-01 (Erin
// revoked), revoked.crl.pem issued 2025-06-01 (the test certificate "revoked"). The store keeps
// the newest of an issuer, as Botan's store would anyway; other issuers' CRLs are untouched.
TEST(CertStore, NewerCrlOfAnIssuerReplacesTheOlderOneAndAnOlderOneChangesNothing) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  const Crl older = load_crls(demo("intermediate.crl.pem")).front();
  const Crl newer = load_crls(test_cert("revoked.crl.pem")).front();
  const Crl root = load_crls(demo("root.crl.pem")).front();
  ASSERT_EQ(older.issuer(), newer.issuer());
  ASSERT_LT(older.this_update(), newer.this_update());
  const fs::path dir = tmp / "store" / "crls";
  auto files = [&] {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
  };

  EXPECT_EQ(store.add_crl(root), CrlAdded::Added);
  EXPECT_EQ(store.add_crl(older), CrlAdded::Added);
  EXPECT_EQ(files().size(), 2u);
  EXPECT_EQ(store.add_crl(newer), CrlAdded::Replaced);
  const auto after = files();
  EXPECT_EQ(after.size(), 2u);  // the older file is gone, not kept beside
  std::vector<Crl> kept = store.crls();
  ASSERT_EQ(kept.size(), 2u);
  for (const auto& crl : kept) {
    EXPECT_TRUE(crl.der() == newer.der() || crl.der() == root.der()) << crl.issuer();
  }
  for (const auto& name : after) EXPECT_EQ(mode_of(dir / name), 0600u) << name;

  // An older CRL (a stale mirror, an old file imported again) changes nothing.
  EXPECT_EQ(store.add_crl(older), CrlAdded::Older);
  EXPECT_EQ(store.add_crl(newer), CrlAdded::AlreadyHave);
  EXPECT_EQ(files(), after);

  // The path validator sees the newer one: the "revoked" certificate is revoked at once.
  store.add_certificate(one(test_cert("revoked.pem")));
  const auto r = PathValidator(store.trust_policy()).validate(one(test_cert("revoked.pem")), {});
  EXPECT_EQ(r.status, Status::Revoked) << r.detail;
}

TEST(CertStore, ChoosesAValidUnrevokedEncryptionCertificateAndSaysWhy) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  store.add_crl(load_crls(test_cert("revoked.crl.pem")).front());
  for (const char* t : {"expired", "revoked"})
    store.add_certificate(one(test_cert(std::string(t) + ".pem")));
  const Certificate bob = one(demo("bob.pem"));
  store.add_certificate(bob);

  const RecipientChoice only = store.choose_recipient("bob@example.org");
  ASSERT_TRUE(only.chosen);
  EXPECT_EQ(*only.chosen, bob);
  EXPECT_EQ(only.reason, "the only usable certificate");

  const RecipientChoice expired = store.choose_recipient("expired@example.org");
  EXPECT_FALSE(expired.chosen);
  ASSERT_EQ(expired.candidates.size(), 1u);
  EXPECT_EQ(expired.candidates.front().problems, std::vector<Status>{Status::CertExpired});
  const RecipientChoice revoked = store.choose_recipient("revoked@example.org");
  EXPECT_FALSE(revoked.chosen);
  ASSERT_EQ(revoked.candidates.size(), 1u);
  EXPECT_EQ(revoked.candidates.front().problems, std::vector<Status>{Status::Revoked});

  // A newer certificate for bob wins; one that may only sign is passed over, saying why.
  const auto newer = test::make_user_certificate(tmp.path(), "bob-new", "bob@example.org",
                                                 "digitalSignature, keyAgreement");
  const auto sign_only =
      test::make_user_certificate(tmp.path(), "bob-sign", "bob@example.org", "digitalSignature");
  store.add_certificate(one(newer.cert));
  store.add_certificate(one(sign_only.cert));
  const RecipientChoice three = store.choose_recipient("bob@example.org");
  ASSERT_TRUE(three.chosen);
  EXPECT_EQ(*three.chosen, one(newer.cert));
  EXPECT_EQ(three.reason, "the newest (latest notBefore) of 2 usable certificates");
  ASSERT_EQ(three.candidates.size(), 3u);
  EXPECT_EQ(three.candidates[2].certificate, one(sign_only.cert));
  EXPECT_EQ(three.candidates[2].problems, std::vector<Status>{Status::KeyUsageForbidsEncryption});

  // Not valid yet at an earlier time: then the old one is all there is.
  const RecipientChoice before =
      store.choose_recipient("bob@example.org", *parse_time("2025-06-01"));
  ASSERT_TRUE(before.chosen);
  EXPECT_EQ(*before.chosen, bob);
}

// What a signed message from ADDRESS made with CERT at time T tells the store.
HarvestInput mail(const std::string& address, const Certificate& cert, TimePoint t) {
  return {address, cert, {}, t, {}, std::nullopt, std::nullopt};
}

HarvestInput preferring(HarvestInput in, const Certificate& preferred, bool carried) {
  in.preference = CertificateRef::issuer_and_serial_of(preferred);
  if (carried) in.preferred_certificate = preferred;
  return in;
}

TEST(CertStore, HarvestAddsBesideAndPreferenceWins) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  const Certificate bob = one(demo("bob.pem"));
  const Certificate intermediate = one(demo("intermediate.pem"));
  const auto t1 = *parse_time("2026-01-01T00:00:00Z");
  const auto t2 = *parse_time("2026-02-01T00:00:00Z");
  const auto t3 = *parse_time("2026-03-01T00:00:00Z");

  HarvestInput first = mail("bob@example.org", bob, t1);
  first.intermediates = {intermediate};
  EXPECT_EQ(store.harvest(first).outcome, HarvestOutcome::Added);
  EXPECT_EQ(store.harvest(mail("bob@example.org", bob, t1)).outcome, HarvestOutcome::Older);
  EXPECT_EQ(store.harvest(mail("bob@example.org", bob, t2)).outcome, HarvestOutcome::Updated);
  ASSERT_EQ(store.find_by_address("bob@example.org").size(), 1u);
  EXPECT_EQ(store.find_by_address("bob@example.org").front().last_seen, t2);

  const auto newer = test::make_user_certificate(tmp.path(), "bob-new", "bob@example.org",
                                                 "digitalSignature, keyAgreement");
  const Certificate bob_new = one(newer.cert);
  // Older mail never brings a certificate in.
  EXPECT_EQ(store.harvest(mail("bob@example.org", bob_new, t1)).outcome, HarvestOutcome::Older);
  EXPECT_EQ(store.find_by_address("bob@example.org").size(), 1u);
  EXPECT_EQ(store.harvest(mail("bob@example.org", bob_new, t3)).outcome,
            HarvestOutcome::AddedBeside);
  EXPECT_EQ(store.find_by_address("bob@example.org").size(), 2u);  // the old one stays
  EXPECT_EQ(*store.choose_recipient("bob@example.org").chosen, bob_new);

  // Bob's newest mail names the old certificate as his encryption key: it wins.
  const HarvestResult r =
      store.harvest(preferring(mail("bob@example.org", bob, t3 + std::chrono::hours(1)), bob, true));
  EXPECT_EQ(r.outcome, HarvestOutcome::Updated);
  EXPECT_EQ(r.preference, "encryption key preference: this certificate");
  const RecipientChoice choice = store.choose_recipient("bob@example.org");
  EXPECT_EQ(*choice.chosen, bob);
  EXPECT_TRUE(contains(choice.reason, "sMIMEEncryptionKeyPreference")) << choice.reason;

  EXPECT_THROW((void)store.harvest(mail("alice@example.org", bob, t3)), Error);
}

// RFC 8551 §2.5.3: the preference may name a certificate other than the signer's, carried in
// the message or already known, by issuer and serial number or by key identifier.
TEST(CertStore, HarvestPreferenceMayNameAnotherCertificate) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  const Certificate bob = one(demo("bob.pem"));
  const auto t1 = *parse_time("2026-01-01T00:00:00Z");
  const auto hour = std::chrono::hours(1);
  const Certificate enc = one(test::make_user_certificate(tmp.path(), "bob-enc", "bob@example.org",
                                                          "keyAgreement")
                                  .cert);
  const Certificate sign = one(test::make_user_certificate(tmp.path(), "bob-sign2",
                                                           "bob@example.org", "digitalSignature")
                                   .cert);
  ASSERT_FALSE(enc.subject_key_id().empty());

  // A signing-only certificate whose mail carries and prefers the encryption certificate: the
  // latter is stored and chosen, though no signature was ever made with it.
  HarvestResult r = store.harvest(preferring(mail("bob@example.org", sign, t1), enc, true));
  EXPECT_EQ(r.outcome, HarvestOutcome::Added);
  EXPECT_EQ(r.preference,
            "encryption key preference: certificate " + enc.fingerprint_sha256().substr(0, 16));
  ASSERT_EQ(store.find_by_address("bob@example.org").size(), 2u);
  EXPECT_EQ(*store.choose_recipient("bob@example.org").chosen, enc);

  // Later mail names the demo certificate by key identifier without carrying it: unknown to
  // the store, so the old preference goes and the newest usable certificate is chosen.
  CertificateRef by_key;
  by_key.subject_key_id = bob.subject_key_id();
  ASSERT_FALSE(by_key.subject_key_id.empty());
  HarvestInput unknown = mail("bob@example.org", sign, t1 + hour);
  unknown.preference = by_key;
  r = store.harvest(unknown);
  EXPECT_TRUE(contains(r.preference, "neither the message nor the store has (subject key "
                                     "identifier "))
      << r.preference;
  EXPECT_EQ(store.choose_recipient("bob@example.org").reason, "the only usable certificate");

  // Once the store has it, the same kind of reference finds it.
  store.add_certificate(bob);
  unknown.signing_time = t1 + 2 * hour;
  r = store.harvest(unknown);
  EXPECT_EQ(r.preference,
            "encryption key preference: certificate " + bob.fingerprint_sha256().substr(0, 16));
  EXPECT_EQ(*store.choose_recipient("bob@example.org").chosen, bob);

  // A carried certificate for someone else is never put in Bob's place.
  const Certificate carol = one(test::make_user_certificate(tmp.path(), "carol",
                                                            "carol@example.org", "keyAgreement")
                                    .cert);
  r = store.harvest(preferring(mail("bob@example.org", sign, t1 + 3 * hour), carol, true));
  EXPECT_TRUE(contains(r.preference, "does not name bob@example.org")) << r.preference;
  EXPECT_TRUE(store.find_by_address("carol@example.org").empty());
  EXPECT_FALSE(store.choose_recipient("bob@example.org").candidates.front().preferred);
}

TEST(CertStore, HarvestKeepsTheNewestMailsCapabilities) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  const Certificate bob = one(demo("bob.pem"));
  const auto t1 = *parse_time("2026-01-01T00:00:00Z");
  EXPECT_TRUE(store.choose_recipient("bob@example.org").capabilities.empty());
  HarvestInput in = mail("bob@example.org", bob, t1);
  in.capabilities = {"aes128-gcm", "aes128-cbc"};
  (void)store.harvest(in);
  EXPECT_EQ(store.choose_recipient("bob@example.org").capabilities, in.capabilities);
  EXPECT_EQ(store.resolve("bob@example.org").front().capabilities, in.capabilities);
  // Older mail changes nothing; newer mail replaces the list.
  in.capabilities = {"des-ede3-cbc"};
  (void)store.harvest(in);
  EXPECT_EQ(store.choose_recipient("bob@example.org").capabilities.front(), "aes128-gcm");
  in.signing_time = t1 + std::chrono::hours(1);
  (void)store.harvest(in);
  EXPECT_EQ(store.choose_recipient("bob@example.org").capabilities,
            std::vector<std::string>{"des-ede3-cbc"});
}

TEST(CertStore, SigningIdentityComesWithItsChain) {
  TempDir tmp;
  CertStore store = demo_store(tmp);
  const Certificate alice = one(demo("alice.pem"));
  try {
    (void)store.signing_identity("alice@example.org", Secret("pw"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoInput);
  }
  store.add_certificate(alice);
  try {
    (void)store.signing_identity("alice@example.org", Secret("pw"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "no private key in the store")) << e.what();
  }
  store.add_private_key(alice, load_private_key(demo("alice.key"), nullptr), Secret("pw"));
  const Identity id = store.signing_identity("alice@EXAMPLE.ORG", Secret("pw"));
  EXPECT_EQ(id.certificate, alice);
  ASSERT_EQ(id.chain.size(), 1u);
  EXPECT_EQ(id.chain.front(), one(demo("intermediate.pem")));
}

}  // namespace
}  // namespace smimekit

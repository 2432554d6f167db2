// The certificate store: a directory of PEM files and one JSON index, changed only under an
// exclusive flock() and only by atomic renames. See smimekit/store.h for the layout.
#include "smimekit/store.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/x509_impl.h"
#include "smimekit/files.h"
#include "smimekit/time.h"

namespace smimekit {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kEmailProtection = "1.3.6.1.5.5.7.3.4";
constexpr std::string_view kAnyExtendedKeyUsage = "2.5.29.37.0";
constexpr auto kLockPatience = std::chrono::seconds(30);

[[noreturn]] void io_fail(const std::string& what) {
  throw Error(ErrorCode::Io, fmt::format("{}: {}", what, std::strerror(errno)));
}

// rename() is durable only once the directory itself is synced.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_fail(fmt::format("cannot open {}", dir.string()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_fail(fmt::format("cannot sync {}", dir.string()));
}

void write_durably(const fs::path& path, std::string_view data, unsigned mode) {
  write_file_atomic(path, data, mode);
  sync_dir(path.parent_path());
}

void remove_durably(const fs::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return;
    io_fail(fmt::format("cannot remove {}", path.string()));
  }
  sync_dir(path.parent_path());
}

void make_private_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    io_fail(fmt::format("cannot create {}", dir.string()));
  }
}

// mpop's rule for files holding secrets: ours, and nobody else may look.
void check_private(const fs::path& path, bool directory) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) io_fail(fmt::format("cannot read {}", path.string()));
  if (st.st_uid != ::geteuid()) {
    throw Error(ErrorCode::Insecure,
                fmt::format("{} belongs to another user (uid {}): a store must be your own",
                            path.string(), st.st_uid));
  }
  if ((st.st_mode & 077) != 0) {
    throw Error(
        ErrorCode::Insecure,
        fmt::format("{} is open to other users (mode {:04o}); run 'chmod {} {}' first",
                    path.string(), st.st_mode & 07777, directory ? "700" : "600", path.string()));
  }
}

// flock() on DIR/lock, given up after kLockPatience with an error that says so.
class StoreLock {
 public:
  StoreLock(const fs::path& dir, bool exclusive) {
    const fs::path path = dir / "lock";
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd < 0) io_fail(fmt::format("cannot open {}", path.string()));
    const auto deadline = std::chrono::steady_clock::now() + kLockPatience;
    while (::flock(m_fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const int saved = errno;
        ::close(m_fd);
        errno = saved;
        io_fail(fmt::format("cannot lock {}", path.string()));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::close(m_fd);
        throw Error(ErrorCode::Io,
                    fmt::format("cannot lock {} (tried for {} seconds): another smimekit "
                                "process holds it",
                                path.string(), kLockPatience.count()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~StoreLock() { ::close(m_fd); }
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  int m_fd = -1;
};

std::string cert_pem(const Certificate& cert) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert.impl().x509.get()) != 1) {
    ossl::fail(ErrorCode::Internal, "cannot write a certificate as PEM");
  }
  return ossl::bio_contents(bio.get());
}

std::string crl_pem(const Crl& crl) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_CRL(bio.get(), crl.impl().crl.get()) != 1) {
    ossl::fail(ErrorCode::Internal, "cannot write a CRL as PEM");
  }
  return ossl::bio_contents(bio.get());
}

std::string sha256_hex(const std::vector<std::uint8_t>& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return fmt::format("{:02x}", fmt::join(md, md + len, ""));
}

// One file holding exactly one certificate whose fingerprint is its name.
Certificate read_cert_file(const fs::path& path) {
  std::vector<Certificate> certs;
  try {
    certs = parse_certificates(read_file(path), path.string());
  } catch (const Error& e) {
    if (e.code() != ErrorCode::Input) throw;
    throw Error(ErrorCode::Input,
                fmt::format("store file {} is damaged: it holds no certificate; remove it and "
                            "import the certificate again",
                            path.string()));
  }
  if (certs.size() != 1 || certs.front().fingerprint_sha256() != path.stem().string()) {
    throw Error(ErrorCode::Input,
                fmt::format("store file {} is damaged: its content is not the certificate its "
                            "name says; remove it and import the certificate again",
                            path.string()));
  }
  return certs.front();
}

std::vector<fs::path> files_in(const fs::path& dir, std::string_view extension) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    // Temporary files of an interrupted write start with a dot; they are not the store's.
    if (p.extension() == extension && p.filename().string()[0] != '.') out.push_back(p);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw Error(ErrorCode::Io, fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The index: which addresses name which certificates, and what harvesting learnt.
//   {"version": 1,
//    "addresses": {"bob@example.org": ["<fp>", ...]},
//    "certificates": {"<fp>": {"last_seen": "2026-...Z", "preferred_for": ["bob@..."]}}}
struct Index {
  json doc = json{{"version", 1}, {"addresses", json::object()}, {"certificates", json::object()}};

  static Index load(const fs::path& dir) {
    const fs::path path = dir / "index.json";
    Index index;
    std::string text;
    try {
      text = read_file(path);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::NoInput && !fs::exists(path)) return index;
      throw;
    }
    try {
      index.doc = json::parse(text);
    } catch (const json::exception& e) {
      throw Error(ErrorCode::Input,
                  fmt::format("store file {} is damaged ({}); restore it from a backup, or "
                              "remove it and import the certificates again",
                              path.string(), e.what()));
    }
    if (!index.doc.is_object() || index.doc.value("version", 0) != 1 ||
        !index.doc.contains("addresses") || !index.doc["addresses"].is_object() ||
        !index.doc.contains("certificates") || !index.doc["certificates"].is_object()) {
      throw Error(
          ErrorCode::Input,
          fmt::format("store file {} is not a smimekit store index (version 1)", path.string()));
    }
    return index;
  }

  void save(const fs::path& dir) const {
    write_durably(dir / "index.json", doc.dump(1) + "\n", 0600);
  }

  void add(const Certificate& cert) {
    const std::string& fp = cert.fingerprint_sha256();
    if (!doc["certificates"].contains(fp)) doc["certificates"][fp] = json::object();
    for (const auto& email : cert.email_addresses()) {
      const std::string key = normalize_address(email);
      if (key.empty()) continue;
      json& list = doc["addresses"][key];
      if (!list.is_array()) list = json::array();
      if (std::find(list.begin(), list.end(), fp) == list.end()) list.push_back(fp);
    }
  }

  void remove(std::string_view fp) {
    doc["certificates"].erase(std::string(fp));
    json& addresses = doc["addresses"];
    for (auto it = addresses.begin(); it != addresses.end();) {
      json& list = it.value();
      list.erase(std::remove(list.begin(), list.end(), std::string(fp)), list.end());
      if (list.empty()) {
        it = addresses.erase(it);
      } else {
        ++it;
      }
    }
  }

  [[nodiscard]] std::vector<std::string> fingerprints_of(const std::string& address) const {
    std::vector<std::string> out;
    const json& addresses = doc["addresses"];
    if (auto it = addresses.find(address); it != addresses.end() && it->is_array()) {
      for (const auto& fp : *it) {
        if (fp.is_string()) out.push_back(fp.get<std::string>());
      }
    }
    return out;
  }

  [[nodiscard]] std::optional<TimePoint> last_seen(const std::string& fp) const {
    const json& certs = doc["certificates"];
    auto it = certs.find(fp);
    if (it == certs.end() || !it->is_object() || !it->contains("last_seen")) return std::nullopt;
    const json& t = (*it)["last_seen"];
    return t.is_string() ? parse_time(t.get<std::string>()) : std::nullopt;
  }

  // A list of strings FIELD of certificate FP's entry ("preferred_for", "capabilities").
  [[nodiscard]] std::vector<std::string> strings(const std::string& fp, const char* field) const {
    std::vector<std::string> out;
    const json& certs = doc["certificates"];
    auto it = certs.find(fp);
    if (it == certs.end() || !it->is_object() || !it->contains(field)) return out;
    for (const auto& a : (*it)[field]) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
    return out;
  }

  // Makes FP the certificate preferred for ADDRESS, and no other; none when FP is empty.
  void set_preferred(const std::string& address, const std::string& fp) {
    for (auto& [other, entry] : doc["certificates"].items()) {
      if (!entry.is_object() || !entry.contains("preferred_for")) continue;
      json& list = entry["preferred_for"];
      list.erase(std::remove(list.begin(), list.end(), address), list.end());
      if (list.empty()) entry.erase("preferred_for");
    }
    if (!fp.empty()) doc["certificates"][fp]["preferred_for"].push_back(address);
  }
};

bool time_valid(const Certificate& cert, TimePoint now) {
  return cert.not_before() <= now && now <= cert.not_after();
}

}  // namespace

fs::path default_store_path() {
  if (const char* s = std::getenv("SMIMEKIT_STORE"); s != nullptr && *s != '\0') return s;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x == '/') {
    return fs::path(x) / "smimekit";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return fs::path(h) / ".local" / "share" / "smimekit";
  }
  throw Error(ErrorCode::Usage,
              "no certificate store: none of SMIMEKIT_STORE, XDG_DATA_HOME and HOME is set; "
              "name one with --store DIR");
}

std::string normalize_address(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return {};
  return std::string(address.substr(0, at)) + lower(address.substr(at));
}

std::vector<Status> check_encryption_usage(const Certificate& cert) {
  std::vector<Status> out;
  const std::string& key = cert.key_description();
  const bool ec =
      key.rfind("EC ", 0) == 0 || key.rfind("EC-", 0) == 0 || key == "X25519" || key == "X448";
  if (!cert.has_rsa_key() && !ec) {
    out.push_back(Status::KeyCannotEncrypt);
  } else if (const KeyUsage& ku = cert.key_usage(); ku.present) {
    // RFC 8550 §4.4.2: key transport needs keyEncipherment, key agreement keyAgreement.
    if ((cert.has_rsa_key() && !ku.key_encipherment) || (ec && !ku.key_agreement)) {
      out.push_back(Status::KeyUsageForbidsEncryption);
    }
  }
  const auto& eku = cert.extended_key_usage();
  if (!eku.empty() && std::find(eku.begin(), eku.end(), kEmailProtection) == eku.end() &&
      std::find(eku.begin(), eku.end(), kAnyExtendedKeyUsage) == eku.end()) {
    out.push_back(Status::ExtKeyUsageForbidsEmail);
  }
  return out;
}

std::string_view harvest_outcome_name(HarvestOutcome outcome) noexcept {
  switch (outcome) {
    case HarvestOutcome::Added:
      return "added";
    case HarvestOutcome::Updated:
      return "updated";
    case HarvestOutcome::AddedBeside:
      return "added beside the certificate already known";
    case HarvestOutcome::Older:
      return "not stored: the store has newer mail from this address";
  }
  return "unknown";
}

bool CertStore::exists(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "index.json", ec);
}

CertStore CertStore::open(const fs::path& dir, bool create) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (!create) {
      throw Error(ErrorCode::NoInput,
                  fmt::format("no certificate store in {}: import a certificate with "
                              "'smimekit certs import' first, or name another with --store",
                              dir.string()));
    }
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    make_private_dir(dir);
  }
  check_private(dir, true);
  for (const char* sub : {"certs", "keys", "anchors", "crls"}) {
    const fs::path p = dir / sub;
    if (fs::is_directory(p, ec)) {
      check_private(p, true);
    } else if (create) {
      make_private_dir(p);
    }
  }
  CertStore store(dir);
  if (create && !exists(dir)) {
    StoreLock lock(dir, true);
    if (!exists(dir)) Index{}.save(dir);
  } else if (!exists(dir)) {
    throw Error(ErrorCode::NoInput,
                fmt::format("{} is not a certificate store (it has no index.json)", dir.string()));
  }
  return store;
}

bool CertStore::add_certificate(const Certificate& cert) {
  StoreLock lock(m_dir, true);
  Index index = Index::load(m_dir);
  const fs::path file = m_dir / "certs" / (cert.fingerprint_sha256() + ".pem");
  std::error_code ec;
  const bool is_new = !fs::exists(file, ec);
  if (is_new) write_durably(file, cert_pem(cert), 0600);
  const json before = index.doc;
  index.add(cert);
  if (index.doc != before) index.save(m_dir);
  return is_new;
}

void CertStore::add_private_key(const Certificate& cert, const PrivateKey& key,
                                const Secret& password) {
  if (password.empty()) {
    throw Error(ErrorCode::Usage,
                "a private key is stored only encrypted, and the password given is empty");
  }
  (void)make_identity(key, cert, {});  // Error(Usage) when they do not belong together
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  const std::string pw(password.reveal());
  ossl::clear_errors();
  // PKCS#8 EncryptedPrivateKeyInfo with PBES2: PBKDF2 (HMAC-SHA256) and AES-256-CBC.
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key.impl().pkey.get(), EVP_aes_256_cbc(), pw.data(),
                                    static_cast<int>(pw.size()), nullptr, nullptr) != 1) {
    ossl::fail(ErrorCode::Crypto, "cannot encrypt the private key");
  }
  add_certificate(cert);
  StoreLock lock(m_dir, true);
  write_durably(m_dir / "keys" / (cert.fingerprint_sha256() + ".key"),
                ossl::bio_contents(bio.get()), 0600);
}

namespace {

StoredCertificate stored_certificate(const fs::path& dir, const Index& index,
                                     const std::set<std::string>& anchor_fps,
                                     const fs::path& file) {
  StoredCertificate sc{read_cert_file(file), false, false, std::nullopt, {}, {}};
  const std::string fp = file.stem().string();
  std::error_code ec;
  const fs::path key = dir / "keys" / (fp + ".key");
  sc.has_key = fs::exists(key, ec);
  if (sc.has_key) check_private(key, false);
  sc.anchor = anchor_fps.count(fp) != 0;
  sc.last_seen = index.last_seen(fp);
  sc.preferred_for = index.strings(fp, "preferred_for");
  sc.capabilities = index.strings(fp, "capabilities");
  return sc;
}

std::set<std::string> anchor_fingerprints(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& p : files_in(dir / "anchors", ".pem")) out.insert(p.stem().string());
  return out;
}

}  // namespace

std::vector<StoredCertificate> CertStore::list() const {
  StoreLock lock(m_dir, false);
  const Index index = Index::load(m_dir);
  const std::set<std::string> anchor_fps = anchor_fingerprints(m_dir);
  std::vector<StoredCertificate> out;
  for (const auto& p : files_in(m_dir / "certs", ".pem")) {
    out.push_back(stored_certificate(m_dir, index, anchor_fps, p));
  }
  std::sort(out.begin(), out.end(), [](const StoredCertificate& a, const StoredCertificate& b) {
    if (a.certificate.subject() != b.certificate.subject()) {
      return a.certificate.subject() < b.certificate.subject();
    }
    return a.certificate.not_before() < b.certificate.not_before();
  });
  return out;
}

std::vector<StoredCertificate> CertStore::find_by_address(std::string_view address) const {
  const std::string key = normalize_address(address);
  std::vector<StoredCertificate> out;
  if (key.empty()) return out;
  // The index says which certificates to read; only those are parsed.
  StoreLock lock(m_dir, false);
  const Index index = Index::load(m_dir);
  const std::set<std::string> anchor_fps = anchor_fingerprints(m_dir);
  for (const auto& fp : index.fingerprints_of(key)) {
    const fs::path file = m_dir / "certs" / (fp + ".pem");
    std::error_code ec;
    if (!fs::exists(file, ec)) {
      throw Error(
          ErrorCode::Input,
          fmt::format("store file {} names {} for {}, but {} is missing; import "
                      "that certificate again with 'smimekit certs import'",
                      (m_dir / "index.json").string(), fp.substr(0, 16), key, file.string()));
    }
    StoredCertificate sc = stored_certificate(m_dir, index, anchor_fps, file);
    if (certificate_matches_address(sc.certificate, key)) out.push_back(std::move(sc));
  }
  return out;
}

std::vector<StoredCertificate> CertStore::resolve(std::string_view id) const {
  if (id.find('@') != std::string_view::npos) {
    auto found = find_by_address(id);
    if (found.empty()) {
      throw Error(ErrorCode::NoInput,
                  fmt::format("the store {} has no certificate for {}", m_dir.string(), id));
    }
    return found;
  }
  const std::string prefix = lower(id);
  if (prefix.size() < 8 || !is_hex(prefix)) {
    throw Error(ErrorCode::Usage,
                fmt::format("'{}' is neither an email address nor a fingerprint: give the "
                            "SHA-256 fingerprint or at least its first 8 hex digits",
                            id));
  }
  std::vector<StoredCertificate> out;
  for (auto& sc : list()) {
    if (sc.certificate.fingerprint_sha256().rfind(prefix, 0) == 0) out.push_back(std::move(sc));
  }
  if (out.empty()) {
    throw Error(ErrorCode::NoInput,
                fmt::format("the store {} has no certificate whose fingerprint starts with {}",
                            m_dir.string(), prefix));
  }
  if (out.size() > 1) {
    throw Error(ErrorCode::Usage,
                fmt::format("{} certificates have fingerprints starting with {}: give more digits",
                            out.size(), prefix));
  }
  return out;
}

bool CertStore::remove_certificate(std::string_view fingerprint) {
  StoreLock lock(m_dir, true);
  Index index = Index::load(m_dir);
  const std::string fp(fingerprint);
  const fs::path file = m_dir / "certs" / (fp + ".pem");
  std::error_code ec;
  if (!fs::exists(file, ec)) return false;
  // The key first: a key without its certificate is useless, a certificate without its key
  // is merely a correspondent's.
  remove_durably(m_dir / "keys" / (fp + ".key"));
  index.remove(fp);
  index.save(m_dir);
  remove_durably(file);
  return true;
}

PrivateKey CertStore::private_key(std::string_view fingerprint, const Secret& password) const {
  StoreLock lock(m_dir, false);
  const fs::path file = m_dir / "keys" / (std::string(fingerprint) + ".key");
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    throw Error(ErrorCode::NoInput,
                fmt::format("the store {} holds no private key for certificate {}", m_dir.string(),
                            fingerprint));
  }
  check_private(file, false);
  return parse_private_key(read_file(file), file.string(), &password);
}

bool CertStore::add_anchor(const Certificate& cert) {
  StoreLock lock(m_dir, true);
  const fs::path file = m_dir / "anchors" / (cert.fingerprint_sha256() + ".pem");
  std::error_code ec;
  if (fs::exists(file, ec)) return false;
  write_durably(file, cert_pem(cert), 0600);
  return true;
}

std::vector<Certificate> CertStore::anchors() const {
  StoreLock lock(m_dir, false);
  std::vector<Certificate> out;
  for (const auto& p : files_in(m_dir / "anchors", ".pem")) out.push_back(read_cert_file(p));
  return out;
}

bool CertStore::remove_anchor(std::string_view fingerprint) {
  StoreLock lock(m_dir, true);
  const fs::path file = m_dir / "anchors" / (std::string(fingerprint) + ".pem");
  std::error_code ec;
  if (!fs::exists(file, ec)) return false;
  remove_durably(file);
  return true;
}

namespace {

// The CRLs in DIR/crls with their files; the caller holds the lock.
std::vector<std::pair<fs::path, Crl>> read_crl_files(const fs::path& dir) {
  std::vector<std::pair<fs::path, Crl>> out;
  for (const auto& p : files_in(dir / "crls", ".pem")) {
    std::vector<Crl> one;
    try {
      one = parse_crls(read_file(p), p.string());
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Input) throw;
      throw Error(ErrorCode::Input,
                  fmt::format("store file {} is damaged: it holds no CRL; remove it and import "
                              "the CRL again",
                              p.string()));
    }
    for (auto& crl : one) out.emplace_back(p, std::move(crl));
  }
  return out;
}

bool same_issuer(const Crl& a, const Crl& b) {
  return X509_NAME_cmp(X509_CRL_get_issuer(a.impl().crl.get()),
                       X509_CRL_get_issuer(b.impl().crl.get())) == 0;
}

}  // namespace

CrlAdded CertStore::add_crl(const Crl& crl) {
  StoreLock lock(m_dir, true);
  const fs::path file = m_dir / "crls" / (sha256_hex(crl.der()) + ".pem");
  std::error_code ec;
  if (fs::exists(file, ec)) return CrlAdded::AlreadyHave;
  // Botan's certificate store, which path validation is fed from, keeps only the newest CRL
  // of an issuer name; the store does the same, so that regular updates do not pile up.
  std::vector<fs::path> superseded;
  for (const auto& [path, stored] : read_crl_files(m_dir)) {
    if (!same_issuer(stored, crl)) continue;
    if (stored.this_update() >= crl.this_update()) return CrlAdded::Older;
    superseded.push_back(path);
  }
  // Written before the old ones go: a crash in between leaves both, never neither.
  write_durably(file, crl_pem(crl), 0600);
  for (const auto& path : superseded) remove_durably(path);
  return superseded.empty() ? CrlAdded::Added : CrlAdded::Replaced;
}

std::vector<Crl> CertStore::crls() const {
  StoreLock lock(m_dir, false);
  std::vector<Crl> out;
  for (auto& entry : read_crl_files(m_dir)) out.push_back(std::move(entry.second));
  return out;
}

TrustPolicy CertStore::trust_policy() const {
  TrustPolicy policy;
  policy.anchors = anchors();
  for (const auto& sc : list()) policy.intermediates.push_back(sc.certificate);
  policy.crls = crls();
  return policy;
}

RecipientChoice CertStore::choose_recipient(std::string_view address,
                                            std::optional<TimePoint> now) const {
  RecipientChoice choice;
  choice.address = std::string(address);
  const std::string key = normalize_address(address);
  TrustPolicy policy = trust_policy();
  policy.validation_time = now;
  const PathValidator validator(std::move(policy));

  std::vector<RecipientCandidate> usable, rejected;
  std::optional<TimePoint> newest_mail;
  for (const auto& sc : find_by_address(address)) {
    if (sc.last_seen && !sc.capabilities.empty() && (!newest_mail || *sc.last_seen > *newest_mail)) {
      newest_mail = sc.last_seen;
      choice.capabilities = sc.capabilities;
    }
    RecipientCandidate cand{sc.certificate, {}, false};
    cand.preferred =
        std::find(sc.preferred_for.begin(), sc.preferred_for.end(), key) != sc.preferred_for.end();
    const ValidationResult vr = validator.validate(sc.certificate, {});
    if (!vr.trusted) cand.problems.push_back(vr.status);
    for (Status s : check_encryption_usage(sc.certificate)) cand.problems.push_back(s);
    (cand.problems.empty() ? usable : rejected).push_back(std::move(cand));
  }
  auto newest_first = [](const RecipientCandidate& a, const RecipientCandidate& b) {
    return a.certificate.not_before() > b.certificate.not_before();
  };
  std::stable_sort(usable.begin(), usable.end(), newest_first);
  std::stable_sort(rejected.begin(), rejected.end(), newest_first);
  const auto preferred = std::find_if(usable.begin(), usable.end(),
                                      [](const RecipientCandidate& c) { return c.preferred; });
  if (preferred != usable.end()) {
    std::rotate(usable.begin(), preferred, preferred + 1);
    choice.reason = "named by the correspondent's sMIMEEncryptionKeyPreference (RFC 8551 §2.5.2)";
  } else if (usable.size() == 1) {
    choice.reason = "the only usable certificate";
  } else if (usable.size() > 1) {
    choice.reason =
        fmt::format("the newest (latest notBefore) of {} usable certificates", usable.size());
  } else if (rejected.empty()) {
    choice.reason = "the store has no certificate for this address";
  } else {
    choice.reason = "no certificate for this address is usable";
  }
  if (!usable.empty()) choice.chosen = usable.front().certificate;
  choice.candidates = std::move(usable);
  choice.candidates.insert(choice.candidates.end(), rejected.begin(), rejected.end());
  return choice;
}

Identity CertStore::signing_identity(std::string_view address, const Secret& password) const {
  const auto now = std::chrono::system_clock::now();
  std::vector<StoredCertificate> candidates = find_by_address(address);
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.certificate.not_before() > b.certificate.not_before();
  });
  std::vector<std::string> why;
  for (const auto& sc : candidates) {
    const std::string name = fmt::format("{} ({})", sc.certificate.display_name(),
                                         sc.certificate.fingerprint_sha256().substr(0, 16));
    if (!sc.has_key) {
      why.push_back(name + ": no private key in the store");
    } else if (!time_valid(sc.certificate, now)) {
      why.push_back(name + ": not valid now");
    } else if (auto bad = check_signing_usage(sc.certificate); !bad.empty()) {
      why.push_back(fmt::format("{}: {}", name, status_text(bad.front())));
    } else {
      // The chain to send: issuers found in the store, up to (not including) a self-signed root.
      std::vector<Certificate> pool = anchors();
      for (const auto& other : list()) pool.push_back(other.certificate);
      std::vector<Certificate> chain;
      const Certificate* at = &sc.certificate;
      for (int depth = 0; depth < 8 && !at->is_self_issued(); ++depth) {
        auto issuer = std::find_if(pool.begin(), pool.end(), [&](const Certificate& c) {
          return c.subject() == at->issuer() && c.is_ca() &&
                 X509_check_issued(c.impl().x509.get(), at->impl().x509.get()) == X509_V_OK;
        });
        if (issuer == pool.end() || issuer->is_self_issued()) break;
        chain.push_back(*issuer);
        at = &chain.back();
      }
      return make_identity(private_key(sc.certificate.fingerprint_sha256(), password),
                           sc.certificate, std::move(chain));
    }
  }
  throw Error(ErrorCode::NoInput,
              why.empty()
                  ? fmt::format("the store {} has no certificate for {}", m_dir.string(), address)
                  : fmt::format("the store {} has no usable signing key for {}: {}", m_dir.string(),
                                address, fmt::join(why, "; ")));
}

namespace {

// Which certificate INPUT's sMIMEEncryptionKeyPreference names, stored for ADDRESS in INDEX
// (written by the caller): its fingerprint, or empty with the reason in WHY.
std::string preferred_fingerprint(const fs::path& dir, Index& index, const HarvestInput& input,
                                  const std::string& address, std::string& why) {
  const CertificateRef& ref = *input.preference;
  if (ref.names(input.certificate)) return input.certificate.fingerprint_sha256();
  if (input.preferred_certificate) {
    const Certificate& pref = *input.preferred_certificate;
    if (!certificate_matches_address(pref, address)) {
      why = fmt::format("the preferred certificate {} does not name {}, so it is not used",
                        pref.display_name(), address);
      return {};
    }
    const fs::path file = dir / "certs" / (pref.fingerprint_sha256() + ".pem");
    std::error_code ec;
    if (!fs::exists(file, ec)) write_durably(file, cert_pem(pref), 0600);
    index.add(pref);
    return pref.fingerprint_sha256();
  }
  for (const auto& fp : index.fingerprints_of(address)) {
    const fs::path file = dir / "certs" / (fp + ".pem");
    std::error_code ec;
    if (fs::exists(file, ec) && ref.names(read_cert_file(file))) return fp;
  }
  why = fmt::format("it names a certificate neither the message nor the store has ({})",
                    ref.describe());
  return {};
}

}  // namespace

HarvestResult CertStore::harvest(const HarvestInput& input) {
  const Certificate& cert = input.certificate;
  const std::string key = normalize_address(input.address);
  if (key.empty() || !certificate_matches_address(cert, key)) {
    throw Error(ErrorCode::Usage, fmt::format("the certificate of {} does not name {}",
                                              cert.display_name(), input.address));
  }
  StoreLock lock(m_dir, true);
  Index index = Index::load(m_dir);
  const std::string& fp = cert.fingerprint_sha256();
  std::optional<TimePoint> newest;
  bool known_cert = false;
  for (const auto& other : index.fingerprints_of(key)) {
    if (other == fp) known_cert = true;
    if (auto t = index.last_seen(other); t && (!newest || *t > *newest)) newest = t;
  }
  if (newest && input.signing_time <= *newest) return {HarvestOutcome::Older, {}};
  const bool address_known = !index.fingerprints_of(key).empty();
  std::error_code ec;
  for (const auto& c : input.intermediates) {
    const fs::path f = m_dir / "certs" / (c.fingerprint_sha256() + ".pem");
    if (!c.is_self_issued() && !fs::exists(f, ec)) {
      write_durably(f, cert_pem(c), 0600);
      index.add(c);
    }
  }
  const fs::path file = m_dir / "certs" / (fp + ".pem");
  if (!fs::exists(file, ec)) write_durably(file, cert_pem(cert), 0600);
  index.add(cert);
  json& entry = index.doc["certificates"][fp];
  entry["last_seen"] = format_time(input.signing_time);
  if (input.capabilities.empty()) {
    entry.erase("capabilities");
  } else {
    entry["capabilities"] = input.capabilities;
  }
  HarvestResult result;
  result.outcome = known_cert        ? HarvestOutcome::Updated
                   : address_known ? HarvestOutcome::AddedBeside
                                   : HarvestOutcome::Added;
  if (input.preference) {
    // The newest mail's preference is the one that holds (RFC 8551 §2.5.3).
    std::string why;
    const std::string preferred = preferred_fingerprint(m_dir, index, input, key, why);
    index.set_preferred(key, preferred);
    result.preference =
        preferred.empty()
            ? fmt::format("encryption key preference ignored: {}", why)
            : fmt::format("encryption key preference: {}",
                          preferred == fp ? std::string("this certificate")
                                          : "certificate " + preferred.substr(0, 16));
  }
  index.save(m_dir);
  return result;
}

}  // namespace smimekit

// smimekit — the certificate store: a directory holding the user's own identities, the
// certificates of correspondents, trust anchors and CRLs, with an index by email address.
//
// Layout (every directory mode 0700, every key file mode 0600):
//
//   DIR/lock              taken with flock(): shared to read, exclusive to write
//   DIR/index.json        email address -> fingerprints, and what is known about each
//   DIR/certs/FP.pem      certificates by SHA-256 fingerprint (lowercase hex)
//   DIR/keys/FP.key       the private key of certificate FP, PKCS#8 encrypted (AES-256, PBKDF2)
//   DIR/anchors/FP.pem    trust anchors
//   DIR/crls/HASH.pem     CRLs, by SHA-256 of their DER; the newest one of each issuer
//
// Every file is written atomically (temporary file, fsync, rename, fsync of the directory),
// and every change holds the exclusive lock from reading the index to writing it back, so two
// processes using one store at once never lose each other's changes.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smimekit/certificate.h"
#include "smimekit/error.h"
#include "smimekit/secret.h"
#include "smimekit/trust.h"

namespace smimekit {

/// The store used when none is named: $SMIMEKIT_STORE, else $XDG_DATA_HOME/smimekit, else
/// ~/.local/share/smimekit. Throws Error(Usage) when neither of those nor HOME is set.
[[nodiscard]] std::filesystem::path default_store_path();

/// The form every address takes in the index: the local part as written, the domain in
/// lower case (RFC 5321 §2.4). Empty when ADDRESS has no '@'.
[[nodiscard]] std::string normalize_address(std::string_view address);

/// RFC 8550 §4.4.2 and RFC 8551 §2.5.2: the statuses that make CERT unfit to receive mail.
/// RSA keys need keyEncipherment, EC keys keyAgreement (when keyUsage is present); an
/// extendedKeyUsage must hold emailProtection or anyExtendedKeyUsage; signature-only keys
/// (Ed25519, Ed448, DSA) can never be encrypted to. Empty when it is fit.
[[nodiscard]] std::vector<Status> check_encryption_usage(const Certificate& cert);

/// What the store knows about one of its certificates besides the certificate itself.
struct StoredCertificate {
  Certificate certificate;
  /// True when the store holds its private key (encrypted).
  bool has_key = false;
  /// True when the certificate is also one of the store's trust anchors.
  bool anchor = false;
  /// The signing time of the newest valid signed message it was harvested from.
  std::optional<TimePoint> last_seen;
  /// Addresses whose correspondent named this certificate with sMIMEEncryptionKeyPreference.
  std::vector<std::string> preferred_for;
  /// The SMIMECapabilities of the newest valid signed message made with this certificate,
  /// most preferred first (SignerReport::capabilities); empty when none was seen.
  std::vector<std::string> capabilities;
};

/// One certificate considered for a recipient, and what was found about it.
struct RecipientCandidate {
  Certificate certificate;
  /// Why it cannot be used; empty for the usable ones.
  std::vector<Status> problems;
  bool preferred = false;  ///< named by sMIMEEncryptionKeyPreference
};

/// The outcome of choose_recipient().
struct RecipientChoice {
  std::string address;
  /// The certificate to encrypt to, when one is usable.
  std::optional<Certificate> chosen;
  /// In words, why that one ("the only usable certificate", "preferred by the
  /// correspondent's signed mail", "the newest of 2 usable certificates").
  std::string reason;
  /// Every certificate of the address, the chosen one first, then the others newest first.
  std::vector<RecipientCandidate> candidates;
  /// What the correspondent's software can decrypt, as its newest harvested signed message
  /// announced it (SMIMECapabilities, most preferred first); empty when unknown.
  std::vector<std::string> capabilities;
};

/// What harvest() did.
enum class HarvestOutcome {
  Added,        ///< the certificate is new to the store
  Updated,      ///< already stored; its last-seen time (and preference) were moved forward
  AddedBeside,  ///< a different certificate for an address already known, kept beside the old
  Older,        ///< the store has seen newer mail from this address: nothing changed
};

[[nodiscard]] std::string_view harvest_outcome_name(HarvestOutcome outcome) noexcept;

/// What a VALID signed message tells the store about its sender (see CertStore::harvest).
struct HarvestInput {
  std::string address;  ///< the From address, which the signer's certificate names
  Certificate certificate;
  /// The intermediates of the signer's chain, kept beside it.
  std::vector<Certificate> intermediates;
  TimePoint signing_time;
  /// The signature's SMIMECapabilities, most preferred first.
  std::vector<std::string> capabilities;
  /// The signature's sMIMEEncryptionKeyPreference, and the certificate it names when the
  /// message carries it.
  std::optional<CertificateRef> preference;
  std::optional<Certificate> preferred_certificate;
};

/// What CertStore::harvest did.
struct HarvestResult {
  HarvestOutcome outcome = HarvestOutcome::Older;
  /// What became of the sMIMEEncryptionKeyPreference, in words; empty when there was none
  /// or the message was older than what the store has.
  std::string preference;
};

/// What add_crl() did.
enum class CrlAdded {
  Added,        ///< the first CRL of its issuer in the store
  Replaced,     ///< newer than the stored CRLs of its issuer, which were removed
  AlreadyHave,  ///< the store holds this very CRL: nothing changed
  Older,        ///< the store holds a CRL of its issuer at least as new: nothing changed
};

/// What CertStore::update_crls() did for one CRL distribution point.
struct CrlUpdate {
  std::string url;
  /// The CRL fetched from URL, when it passed every check (then it went to add_crl()).
  std::optional<Crl> crl;
  /// What add_crl() did with it; absent on failure.
  std::optional<CrlAdded> added;
  /// Why nothing was stored: Error(Network) when the server was unreachable or slow,
  /// Error(Protocol) for a bad answer (not 200, a redirect), Error(Limit) for one too large,
  /// Error(Input) when the answer is no acceptable CRL or its issuer is not in the store (the
  /// message says which; the caller names URL).
  std::optional<Error> failure;
  /// True when the failure is that no certificate or anchor of the store bears the name of
  /// the CRL's issuer (importing the issuer's certificate would let the CRL be checked).
  bool issuer_missing = false;
};

class CertStore {
 public:
  /// Opens the store in DIR. With CREATE, a missing store is made (mode 0700); without, a
  /// missing store is Error(NoInput). A store directory that others may read or write, or
  /// that another user owns, is Error(Insecure) naming the directory and the chmod to run.
  [[nodiscard]] static CertStore open(const std::filesystem::path& dir, bool create);

  /// True when DIR holds a store (its index file exists).
  [[nodiscard]] static bool exists(const std::filesystem::path& dir);

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_dir; }

  // ---- certificates ----

  /// Adds CERT (a no-op when present). Returns true when it was new.
  bool add_certificate(const Certificate& cert);
  /// Stores KEY for CERT (which is added too), encrypted under PASSWORD with PKCS#8
  /// (AES-256-CBC, PBKDF2-SHA256), mode 0600. Error(Usage) when the key does not belong to
  /// the certificate or PASSWORD is empty.
  void add_private_key(const Certificate& cert, const PrivateKey& key, const Secret& password);

  /// Every certificate with what is known about it, ordered by subject, then notBefore.
  /// A file that is not what its name says is Error(Input) naming the file.
  [[nodiscard]] std::vector<StoredCertificate> list() const;

  /// The certificates ID names: a fingerprint or a unique prefix of one (at least 8 hex
  /// digits), or an email address (all its certificates). Error(Usage) for a shorter prefix,
  /// Error(NoInput) when nothing matches, Error(Usage) for an ambiguous prefix.
  [[nodiscard]] std::vector<StoredCertificate> resolve(std::string_view id) const;

  /// The certificates whose subjectAltName (or subject emailAddress) names ADDRESS.
  [[nodiscard]] std::vector<StoredCertificate> find_by_address(std::string_view address) const;

  /// Removes the certificate with fingerprint FP, its key and its index entries.
  /// Returns false when there was none.
  bool remove_certificate(std::string_view fingerprint);

  /// The private key of certificate FP, decrypted with PASSWORD (Error(Password) if wrong,
  /// Error(NoInput) if the store holds none).
  [[nodiscard]] PrivateKey private_key(std::string_view fingerprint, const Secret& password) const;

  // ---- trust anchors and CRLs ----

  bool add_anchor(const Certificate& cert);
  [[nodiscard]] std::vector<Certificate> anchors() const;
  bool remove_anchor(std::string_view fingerprint);

  /// Adds CRL unless the store holds one as new of the same issuer. The store keeps one CRL
  /// per issuer name, the newest by thisUpdate, as path validation uses only that one: a newer
  /// CRL replaces the stored ones of its issuer (whose files are removed, after the new one is
  /// written durably); an older or equally old one changes nothing. The CRL is not checked
  /// here (see check_crl()).
  CrlAdded add_crl(const Crl& crl);
  /// The stored CRLs: one per issuer name (more only in a store older than that rule).
  [[nodiscard]] std::vector<Crl> crls() const;

  /// Fetches the CRL of every http CRL distribution point named by the store's certificates
  /// and anchors (each distinct URL once, TIMEOUT per request) and stores each acceptable one
  /// with add_crl(). Acceptable means: issued by the issuer of the certificates that name the
  /// URL, that issuer is in the store (a certificate or an anchor with that subject name), and
  /// check_crl() accepts the CRL with it at NOW (default: the current time). Nothing that
  /// fails a check is stored. One entry per URL, in the order first named (anchors first, then
  /// certificates as list() orders them); empty when no certificate names an http point.
  [[nodiscard]] std::vector<CrlUpdate> update_crls(std::chrono::milliseconds timeout,
                                                   std::optional<TimePoint> now = {});

  /// The store as a TrustPolicy: its anchors, its certificates as intermediates, its CRLs.
  [[nodiscard]] TrustPolicy trust_policy() const;

  // ---- using the store ----

  /// RFC 8551 §2.5.2: the certificate to encrypt to for ADDRESS. Usable means: the chain
  /// reaches one of the store's anchors at time NOW (not expired, not revoked by a stored
  /// CRL), and check_encryption_usage() finds nothing. Among the usable ones, the one named
  /// by the correspondent's sMIMEEncryptionKeyPreference wins, else the newest notBefore.
  [[nodiscard]] RecipientChoice choose_recipient(std::string_view address,
                                                 std::optional<TimePoint> now = {}) const;

  /// The identity to sign as ADDRESS: a stored certificate with a stored key that names the
  /// address, is fit for signing and valid now (the newest such), its key decrypted with
  /// PASSWORD, and the chain to send built from the store. Error(NoInput) when there is none,
  /// saying why each candidate was passed over.
  [[nodiscard]] Identity signing_identity(std::string_view address, const Secret& password) const;

  /// Stores what the signer of a VALID message (the caller's duty to check) tells about
  /// INPUT.address: its certificate (with its intermediates), the signing time, its
  /// SMIMECapabilities and its sMIMEEncryptionKeyPreference. Nothing changes when the store
  /// already has newer mail from the address. A different certificate for a known address is
  /// added beside the old one, which stays. The preference of the newest mail holds (RFC 8551
  /// §2.5.3): it may name the signer's certificate, another certificate the message carries
  /// (stored too, when it names the address), or one the store already has for the address
  /// (by issuer and serial number or by key identifier); a preference that names none of
  /// these, or a certificate for another address, clears the older preference, so the newest
  /// usable certificate is chosen again.
  HarvestResult harvest(const HarvestInput& input);

 private:
  explicit CertStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}
  std::filesystem::path m_dir;
};

}  // namespace smimekit

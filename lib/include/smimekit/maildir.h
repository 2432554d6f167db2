// smimekit — delivery into a Maildir that loses nothing and, after the next start,
// duplicates nothing, whenever the process is killed.
//
// Messages are delivered in batches. stage() writes a message into tmp/; commit() makes the
// whole batch durable with as few disk flushes as the file system allows, and only then:
//   1. writes the batch's UIDLs to a journal (sync),
//   2. syncs the staged files together, renames each into new/, syncs new/,
//   3. records the UIDLs in the account's state file (lock, temporary file, sync, rename),
//   4. removes the journal.
// Each delivered file name carries the account tag and the UIDL. On the next start, a
// journal left behind by a crash is settled: every UIDL of it whose file reached new/ or cur/
// is recorded as delivered, the others are fetched again; staged files left in tmp/ are
// removed. So a message is either recorded or fetched again, never both, never neither.
//
// The state lives beside the Maildir's own folders, as regular files that mail servers and
// readers ignore: smimekit-uidls.TAG, smimekit-journal.TAG and smimekit-lock.TAG.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace smimekit {

class MaildirDelivery {
 public:
  /// Opens (creating with mode 0700 where missing) the Maildir at ROOT for ACCOUNT, an
  /// identifier such as "alice@mail.example.org:995"; takes the account's lock, so that two
  /// fetches of one account into one Maildir never run at once (Error(Io) says so), and
  /// settles what a crashed run left behind.
  MaildirDelivery(std::filesystem::path root, std::string_view account);
  ~MaildirDelivery();  ///< removes staged files that were not committed; releases the lock
  MaildirDelivery(MaildirDelivery&&) noexcept;
  MaildirDelivery& operator=(MaildirDelivery&&) noexcept;

  /// True when UIDL has been delivered and recorded for this account.
  [[nodiscard]] bool delivered(std::string_view uidl) const;
  /// Every recorded UIDL.
  [[nodiscard]] std::set<std::string> delivered_uidls() const;

  /// Writes MESSAGE into tmp/ (mode 0600) under a name that carries UIDL. Not yet durable
  /// and not yet visible to mail readers. Throws Error(Io) naming the file on failure
  /// (a full disk, say); what was staged before stays staged.
  void stage(std::string_view uidl, std::string_view message);

  [[nodiscard]] std::size_t staged_count() const noexcept;
  [[nodiscard]] std::size_t staged_bytes() const noexcept;

  /// Delivers every staged message as described above and returns the paths of the
  /// delivered files, in the order staged. Throws Error(Io) when the disk refuses; then
  /// nothing of this batch is recorded, so nothing of it may be deleted on the server.
  std::vector<std::filesystem::path> commit();

  /// Drops every recorded UIDL that is not in ON_SERVER (messages deleted on the server),
  /// so the state file does not grow forever. Durable like commit().
  void forget_except(const std::set<std::string>& on_server);

  /// The account tag used in file names: the first 8 hex digits of SHA-256(ACCOUNT).
  [[nodiscard]] const std::string& tag() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace smimekit

// smimekit — delivery into a Maildir that neither loses nor duplicates a message when the
// process is killed at any point or the disk fills up (maildir.h).
//
// On disk, for account tag T (first 8 hex digits of SHA-256(account)):
//   tmp/, new/, cur/          the Maildir (created 0700); messages are 0600
//   smimekit-lock.T           flock()ed for the life of a MaildirDelivery; never removed
//   smimekit-uidls.T          the recorded UIDLs ("state")
//   smimekit-journal.T        the UIDLs of the batch in flight, present only while one is
//   smimekit-*.T.tmp          a state or journal file being written; removed at start
// State and journal are "smimekit-uidls 1" / "smimekit-journal 1", then one UIDL per line in
// lowercase hex (a UIDL may hold any byte), then "end". Both are only ever replaced whole:
// written to the .tmp name, flushed, renamed over the old one, the directory flushed. So each
// is whole or absent, and a file that does not parse was changed by someone else.
//
// A message file is named <sec>.M<usec>P<pid>Q<seq>.<host>,S=<size>,U=<T>-<hex(uidl)> in
// tmp/ and, unchanged, in new/ (a reader may later move it to cur/ and append ":2,FLAGS").
// The ",U=" field ends at the next ',' or ':', so one UIDL's hex is never taken for another's
// prefix.
//
// commit() runs these steps; F1..F4 are the only disk flushes, whatever the batch size:
//   a. write the journal (all UIDLs of the batch) to its .tmp name
//   F1 syncfs(): the staged files and the journal's contents (fsync of each on failure)
//   b. rename the journal into place
//   F2 fsync(root): the journal is durable before any file of its batch can be seen in new/
//   c. rename each staged file tmp/ -> new/ (never replacing a file)
//   d. write the state (recorded UIDLs + the batch) to its .tmp name
//   F3 syncfs(): the renames in new/ and the state's contents (fsync of each on failure)
//   e. rename the state into place
//   F4 fsync(root): the batch is recorded
//   f. remove the journal (not flushed: a journal that comes back is settled harmlessly)
//
// The invariants, true between any two system calls and so after a kill at any moment:
//   I1. A file with our tag and UIDL U in new/ or cur/ means U is recorded in the state or
//       listed in the journal (or forget_except() dropped U: the server no longer has it).
//       The journal is durable (F2) before the first rename (c), and it is removed (f) only
//       once the state recording its UIDLs is durable (F4); a failed commit leaves it there.
//   I2. A UIDL recorded in the state has its file durably in new/ (F3 precedes e), so a
//       recorded message is never lost - unless a mail reader has deleted it since.
//   I3. At most one file per UIDL: stage() refuses a UIDL that is recorded or already in the
//       batch, and a batch whose commit failed stays staged (its renamed files remembered),
//       so commit() again finishes it instead of writing those UIDLs twice. A journal is
//       only ever replaced by one that lists every renamed but unrecorded UIDL.
//   I4. Files in tmp/ with our tag belong to no recorded UIDL and are never seen by readers.
// Settling at start (the constructor, under the lock): for each UIDL of a journal left
// behind, scan new/ and then cur/ (in this order, so a message a reader moves meanwhile is
// still seen) for a file with our tag and its hex; record the ones found (durably), then
// remove the journal. By I1 every delivered file is then recorded; by I3 every unrecorded
// UIDL has no file, so the next fetch gets it once. Our files in tmp/ are removed (I4).
// A journal that does not parse (so not written by us) is settled by recording every UIDL
// that has a file with our tag: recording a UIDL whose message is in the Maildir is always
// safe. A state file that does not parse is an error: guessing could fetch everything again.
//
// A disk error (ENOSPC, EIO) makes commit() throw, and nothing of the batch is recorded in
// memory: delivered() is false for all of it, so the caller keeps it on the server. Files
// already renamed stay in new/ under the journal; commit() again on the same object, or the
// next start, records them. (After a failure at F4 the state on disk may list the batch
// already; by I2 that is true.) A failing stage() removes its own partial file only.
//
// Not covered: syncfs() reports write-back errors only since Linux 5.8; a mail reader that
// deletes a message between a crash and the next start makes that message be fetched again.

#include "smimekit/maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "core/openssl.h"
#include "smimekit/error.h"

namespace smimekit {

namespace detail {
// Called at each step of commit() and at each disk flush ("flush", running count), so tests
// can kill the process at a chosen point or count flushes. Null outside tests.
extern void (*maildir_test_hook)(const char* point, std::size_t index);
void (*maildir_test_hook)(const char* point, std::size_t index) = nullptr;
}  // namespace detail

namespace {

namespace fs = std::filesystem;

// RFC 1939 §7: a unique-id is 1 to 70 characters. We accept any byte in it, but keep the
// length bound: the hex of the UIDL goes into a file name, and NAME_MAX is 255.
constexpr std::size_t max_uidl = 70;
constexpr std::size_t max_host = 32;
constexpr std::string_view state_header = "smimekit-uidls 1";
constexpr std::string_view journal_header = "smimekit-journal 1";
constexpr std::string_view list_end = "end";

void hook(const char* point, std::size_t index = 0) {
  if (detail::maildir_test_hook != nullptr) detail::maildir_test_hook(point, index);
}

std::atomic<std::size_t> g_flushes{0};
std::atomic<std::uint64_t> g_sequence{0};

void count_flush() {
  hook("flush", ++g_flushes);
}

// Throws Error(Io): what WHAT() says, then the OS error ERR. The message is built only
// here, so building it cannot change errno before it is read.
template <typename What>
[[noreturn]] void io_fail(int err, const What& what) {
  throw Error(ErrorCode::Io, fmt::format("{}: {}", what(), std::strerror(err)));
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  [[nodiscard]] int get() const noexcept { return m_fd; }
  [[nodiscard]] int release() noexcept { return std::exchange(m_fd, -1); }
  void reset() noexcept {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

 private:
  int m_fd = -1;
};

struct DirCloser {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

[[nodiscard]] std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 0x0f];
  }
  return out;
}

[[nodiscard]] int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Lowercase only: the hex is also compared as text in file names.
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// A UIDL is server data (untrusted): shown with anything unprintable escaped.
[[nodiscard]] std::string printable(std::string_view uidl) {
  std::string out;
  for (const char c : uidl) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x21 && b <= 0x7e && b != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", b);
    }
  }
  return out;
}

template <typename Range>
[[nodiscard]] std::string format_list(std::string_view header, const Range& uidls) {
  std::string out(header);
  out += '\n';
  for (const auto& uidl : uidls) {
    out += to_hex(uidl);
    out += '\n';
  }
  out += list_end;
  out += '\n';
  return out;
}

// Whole or nothing: a missing header or "end", or a line that is not hex, is damage.
[[nodiscard]] std::optional<std::vector<std::string>> parse_list(std::string_view header,
                                                                 std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;  // every line ends in LF
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 2 || lines.front() != header || lines.back() != list_end) {
    return std::nullopt;
  }
  std::vector<std::string> uidls;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    auto uidl = from_hex(lines[i]);
    if (!uidl) return std::nullopt;
    uidls.push_back(std::move(*uidl));
  }
  return uidls;
}

[[nodiscard]] std::string account_tag(std::string_view account) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ossl::clear_errors();
  if (EVP_Digest(account.data(), account.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    ossl::fail(ErrorCode::Crypto, "cannot compute SHA-256 of the account name");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), 4));
}

// The host part of a Maildir name: no '/', ':' or ',' (which start the name's fields).
[[nodiscard]] std::string sanitized_host() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  std::string host;
  for (const char* p = buf; *p != '\0' && host.size() < max_host; ++p) {
    const char c = *p;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    host += ok ? c : '_';
  }
  return host.empty() ? "localhost" : host;
}

void fsync_fd(int fd, const std::string& what) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) io_fail(errno, [&] { return fmt::format("cannot sync {}", what); });
  }
  count_flush();
}

// Creates DIR (and missing ancestors) with mode 0700. A created directory's entry is
// flushed, so delivered files cannot outlive their folder.
void make_dir(const fs::path& dir) {
  for (int attempt = 0;; ++attempt) {
    if (::mkdir(dir.c_str(), 0700) == 0) break;
    const int err = errno;
    if (err == EEXIST) return;
    const fs::path parent = dir.parent_path();
    if (err != ENOENT || attempt > 0 || parent.empty() || parent == dir) {
      io_fail(err, [&] { return fmt::format("cannot create directory {}", dir.string()); });
    }
    make_dir(parent);
  }
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  const Fd pfd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (pfd.get() < 0) {
    io_fail(errno, [&] { return fmt::format("cannot open directory {}", parent.string()); });
  }
  fsync_fd(pfd.get(), parent.string());
}

void write_all(int fd, std::string_view data, const std::string& what) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_fail(errno, [&] { return fmt::format("cannot write {}", what); });
    }
    if (n == 0) io_fail(EIO, [&] { return fmt::format("cannot write {}", what); });
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Some file systems report a write error only when the file is closed.
void close_checked(Fd& fd, const std::string& what) {
  if (::close(fd.release()) != 0 && errno != EINTR) {
    io_fail(errno, [&] { return fmt::format("cannot write {}", what); });
  }
}

struct Staged {
  std::string uidl;
  std::string name;      // the same in tmp/ and new/
  bool renamed = false;  // in new/ already; only after a failed commit()
};

}  // namespace

struct MaildirDelivery::Impl {
  fs::path root;
  std::string account;
  std::string tag;
  std::string marker;  // ",U=<tag>-"
  std::string host;
  std::string lock_name, state_name, journal_name;
  Fd lock_fd;  // held until the destructor has cleaned up
  Fd root_fd, tmp_fd, new_fd, cur_fd;
  std::set<std::string> delivered;
  std::vector<Staged> staged;
  std::set<std::string> staged_uidls;
  std::size_t staged_bytes = 0;

  Impl(fs::path root_path, std::string_view account_name);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  [[nodiscard]] std::string in_root(const std::string& name) const {
    return (root / name).string();
  }
  [[nodiscard]] std::string in_sub(const char* sub, const std::string& name) const {
    return (root / sub / name).string();
  }

  Fd open_sub(const char* sub, bool& created);
  void take_lock();
  [[nodiscard]] std::optional<std::string> read_root_file(const std::string& name) const;
  void write_root_file(const std::string& name, std::string_view data) const;
  void replace_root_file(const std::string& tmp_name, const std::string& name) const;
  void write_state_durably(const std::set<std::string>& uidls);
  struct SyncItem {
    int dir_fd;
    std::string name;   // in DIR_FD; empty for the directory itself
    std::string shown;  // for messages
  };
  void sync_filesystem(const std::vector<SyncItem>& fallback);
  [[nodiscard]] std::vector<std::string> our_files(const char* sub) const;
  void settle();
  [[nodiscard]] std::string unique_name(std::size_t size, std::string_view uidl) const;
  void stage(std::string_view uidl, std::string_view message);
  std::vector<fs::path> commit();
  void forget_except(const std::set<std::string>& on_server);
};

MaildirDelivery::Impl::Impl(fs::path root_path, std::string_view account_name)
    : root(std::move(root_path)),
      account(account_name),
      tag(account_tag(account_name)),
      marker(",U=" + tag + "-"),
      host(sanitized_host()),
      lock_name("smimekit-lock." + tag),
      state_name("smimekit-uidls." + tag),
      journal_name("smimekit-journal." + tag) {
  if (root.empty()) throw Error(ErrorCode::Usage, "no Maildir given");
  make_dir(root);
  root_fd = Fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root_fd.get() < 0)
    io_fail(errno, [&] { return fmt::format("cannot open Maildir {}", root.string()); });

  bool created = false;
  tmp_fd = open_sub("tmp", created);
  new_fd = open_sub("new", created);
  cur_fd = open_sub("cur", created);
  if (created) fsync_fd(root_fd.get(), root.string());

  take_lock();

  if (auto text = read_root_file(state_name)) {
    auto uidls = parse_list(state_header, *text);
    if (!uidls) {
      throw Error(ErrorCode::Input,
                  fmt::format("{} is damaged (not a UIDL list written by smimekit); delivered "
                              "messages would be fetched again without it",
                              in_root(state_name)));
    }
    delivered.insert(uidls->begin(), uidls->end());
  }
  settle();
}

MaildirDelivery::Impl::~Impl() {
  // Renamed files stay: they are in new/ and listed in the journal (I1).
  for (const auto& s : staged) {
    if (!s.renamed) ::unlinkat(tmp_fd.get(), s.name.c_str(), 0);
  }
}

Fd MaildirDelivery::Impl::open_sub(const char* sub, bool& created) {
  if (::mkdirat(root_fd.get(), sub, 0700) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    io_fail(errno,
            [&] { return fmt::format("cannot create directory {}", (root / sub).string()); });
  }
  Fd fd(::openat(root_fd.get(), sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0)
    io_fail(errno, [&] { return fmt::format("cannot open {}", (root / sub).string()); });
  return fd;
}

void MaildirDelivery::Impl::take_lock() {
  lock_fd = Fd(::openat(root_fd.get(), lock_name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock_fd.get() < 0)
    io_fail(errno, [&] { return fmt::format("cannot open {}", in_root(lock_name)); });
  while (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      throw Error(ErrorCode::Io,
                  fmt::format("another fetch of {} into {} is running (it holds the lock {})",
                              account, root.string(), in_root(lock_name)));
    }
    io_fail(errno, [&] { return fmt::format("cannot lock {}", in_root(lock_name)); });
  }
}

std::optional<std::string> MaildirDelivery::Impl::read_root_file(const std::string& name) const {
  Fd fd(::openat(root_fd.get(), name.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    io_fail(errno, [&] { return fmt::format("cannot open {}", in_root(name)); });
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_fail(errno, [&] { return fmt::format("cannot read {}", in_root(name)); });
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// Writes NAME in the root afresh, without flushing it.
void MaildirDelivery::Impl::write_root_file(const std::string& name, std::string_view data) const {
  Fd fd(::openat(root_fd.get(), name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) io_fail(errno, [&] { return fmt::format("cannot create {}", in_root(name)); });
  write_all(fd.get(), data, in_root(name));
  close_checked(fd, in_root(name));
}

void MaildirDelivery::Impl::replace_root_file(const std::string& tmp_name,
                                              const std::string& name) const {
  if (::renameat(root_fd.get(), tmp_name.c_str(), root_fd.get(), name.c_str()) != 0) {
    io_fail(errno, [&] {
      return fmt::format("cannot rename {} to {}", in_root(tmp_name), in_root(name));
    });
  }
}

// Outside commit(): forget_except() and settling. Two flushes.
void MaildirDelivery::Impl::write_state_durably(const std::set<std::string>& uidls) {
  const std::string tmp_name = state_name + ".tmp";
  try {
    write_root_file(tmp_name, format_list(state_header, uidls));
    {
      const Fd fd(::openat(root_fd.get(), tmp_name.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.get() < 0)
        io_fail(errno, [&] { return fmt::format("cannot open {}", in_root(tmp_name)); });
      fsync_fd(fd.get(), in_root(tmp_name));
    }
    replace_root_file(tmp_name, state_name);
  } catch (...) {
    ::unlinkat(root_fd.get(), tmp_name.c_str(), 0);
    throw;
  }
  fsync_fd(root_fd.get(), root.string());
}

// One flush for everything written so far on this file system. When syncfs() fails (an
// error anywhere on the file system, or none reported by an old kernel), each item that
// matters is flushed on its own, so the error names the file it belongs to - or turns out
// to belong to someone else's file.
void MaildirDelivery::Impl::sync_filesystem(const std::vector<SyncItem>& fallback) {
  if (::syncfs(root_fd.get()) == 0) {
    count_flush();
    return;
  }
  for (const auto& item : fallback) {
    if (item.name.empty()) {
      fsync_fd(item.dir_fd, item.shown);
      continue;
    }
    const Fd fd(::openat(item.dir_fd, item.name.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) io_fail(errno, [&] { return fmt::format("cannot open {}", item.shown); });
    fsync_fd(fd.get(), item.shown);
  }
}

// Names in SUB carrying our tag.
std::vector<std::string> MaildirDelivery::Impl::our_files(const char* sub) const {
  const std::string where = (root / sub).string();
  Fd fd(::openat(root_fd.get(), sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) io_fail(errno, [&] { return fmt::format("cannot open {}", where); });
  DirPtr dir(::fdopendir(fd.get()));
  if (!dir) io_fail(errno, [&] { return fmt::format("cannot read {}", where); });
  (void)fd.release();  // owned by DIR now
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) io_fail(errno, [&] { return fmt::format("cannot read {}", where); });
      break;
    }
    const std::string_view name = entry->d_name;
    if (name.find(marker) != std::string_view::npos) names.emplace_back(name);
  }
  return names;
}

void MaildirDelivery::Impl::settle() {
  if (auto text = read_root_file(journal_name)) {
    const auto journal = parse_list(journal_header, *text);
    std::set<std::string> found;  // hex of the UIDLs with a file in new/ or cur/
    for (const char* sub : {"new", "cur"}) {
      for (const auto& name : our_files(sub)) {
        const std::size_t start = name.find(marker) + marker.size();
        const std::size_t end = name.find_first_of(",:", start);
        found.insert(name.substr(start, end == std::string::npos ? end : end - start));
      }
    }
    std::set<std::string> next = delivered;
    if (journal) {
      for (const auto& uidl : *journal) {
        if (found.count(to_hex(uidl)) != 0) next.insert(uidl);
      }
    } else {
      for (const auto& hex : found) {
        if (auto uidl = from_hex(hex)) next.insert(std::move(*uidl));
      }
    }
    if (next != delivered) {
      write_state_durably(next);
      delivered = std::move(next);
    }
    if (::unlinkat(root_fd.get(), journal_name.c_str(), 0) != 0 && errno != ENOENT) {
      io_fail(errno, [&] { return fmt::format("cannot remove {}", in_root(journal_name)); });
    }
    fsync_fd(root_fd.get(), root.string());
  }
  for (const auto& name : our_files("tmp")) {
    if (::unlinkat(tmp_fd.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      io_fail(errno, [&] { return fmt::format("cannot remove {}", in_sub("tmp", name)); });
    }
  }
  for (const auto& name : {state_name + ".tmp", journal_name + ".tmp"}) {
    if (::unlinkat(root_fd.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      io_fail(errno, [&] { return fmt::format("cannot remove {}", in_root(name)); });
    }
  }
}

std::string MaildirDelivery::Impl::unique_name(std::size_t size, std::string_view uidl) const {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return fmt::format("{}.M{}P{}Q{}.{},S={}{}{}", static_cast<long long>(now.tv_sec),
                     now.tv_nsec / 1000, ::getpid(), ++g_sequence, host, size, marker,
                     to_hex(uidl));
}

void MaildirDelivery::Impl::stage(std::string_view uidl, std::string_view message) {
  if (uidl.empty() || uidl.size() > max_uidl) {
    throw Error(ErrorCode::Input,
                fmt::format("UIDL \"{}\" has {} octets; RFC 1939 allows 1 to {}",
                            printable(uidl.substr(0, max_uidl)), uidl.size(), max_uidl));
  }
  const std::string key(uidl);
  if (delivered.count(key) != 0) {
    throw Error(ErrorCode::Usage, fmt::format("UIDL \"{}\" is already delivered into {}",
                                              printable(uidl), root.string()));
  }
  if (staged_uidls.count(key) != 0) {
    throw Error(ErrorCode::Usage, fmt::format("UIDL \"{}\" is already staged for {}",
                                              printable(uidl), root.string()));
  }

  std::string name;
  Fd fd;
  for (int attempt = 0; fd.get() < 0; ++attempt) {
    name = unique_name(message.size(), uidl);
    fd = Fd(::openat(tmp_fd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0 && (errno != EEXIST || attempt >= 100)) {
      io_fail(errno, [&] { return fmt::format("cannot create {}", in_sub("tmp", name)); });
    }
  }
  try {
    write_all(fd.get(), message, in_sub("tmp", name));
    close_checked(fd, in_sub("tmp", name));
  } catch (...) {
    ::unlinkat(tmp_fd.get(), name.c_str(), 0);
    throw;
  }
  staged.push_back(Staged{key, std::move(name), false});
  staged_uidls.insert(key);
  staged_bytes += message.size();
  hook("staged", staged.size() - 1);
}

std::vector<fs::path> MaildirDelivery::Impl::commit() {
  if (staged.empty()) return {};
  const std::string journal_tmp = journal_name + ".tmp";
  const std::string state_tmp = state_name + ".tmp";
  std::set<std::string> next = delivered;
  try {
    // a, F1, b, F2: the journal lists the whole batch, renamed files of a failed try included.
    std::vector<std::string> batch;
    batch.reserve(staged.size());
    for (const auto& s : staged) batch.push_back(s.uidl);
    write_root_file(journal_tmp, format_list(journal_header, batch));
    hook("journal-written");
    std::vector<SyncItem> fallback;
    for (const auto& s : staged) {
      if (!s.renamed) fallback.push_back({tmp_fd.get(), s.name, in_sub("tmp", s.name)});
    }
    fallback.push_back({root_fd.get(), journal_tmp, in_root(journal_tmp)});
    sync_filesystem(fallback);
    replace_root_file(journal_tmp, journal_name);
    hook("journal-renamed");
    fsync_fd(root_fd.get(), root.string());
    hook("journal-durable");

    // c: RENAME_NOREPLACE, so a file of someone else's that happens to have the name stays.
    for (std::size_t i = 0; i < staged.size(); ++i) {
      Staged& s = staged[i];
      if (s.renamed) continue;
      int rc =
          ::renameat2(tmp_fd.get(), s.name.c_str(), new_fd.get(), s.name.c_str(), RENAME_NOREPLACE);
      if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // not supported here
        rc = ::renameat(tmp_fd.get(), s.name.c_str(), new_fd.get(), s.name.c_str());
      }
      if (rc != 0) {
        io_fail(errno, [&] {
          return fmt::format("cannot move {} to {}", in_sub("tmp", s.name), in_sub("new", s.name));
        });
      }
      s.renamed = true;
      hook("renamed", i);
    }

    // d, F3, e, F4
    next.insert(batch.begin(), batch.end());
    write_root_file(state_tmp, format_list(state_header, next));
    hook("state-written");
    sync_filesystem({{new_fd.get(), std::string(), (root / "new").string()},
                     {root_fd.get(), state_tmp, in_root(state_tmp)}});
    replace_root_file(state_tmp, state_name);
    hook("state-renamed");
    fsync_fd(root_fd.get(), root.string());
    hook("state-durable");
  } catch (...) {
    ::unlinkat(root_fd.get(), journal_tmp.c_str(), 0);
    ::unlinkat(root_fd.get(), state_tmp.c_str(), 0);
    throw;
  }
  delivered = std::move(next);

  // f: should this fail, the journal is settled again at the next start, harmlessly.
  ::unlinkat(root_fd.get(), journal_name.c_str(), 0);
  hook("journal-removed");

  std::vector<fs::path> paths;
  paths.reserve(staged.size());
  for (const auto& s : staged) paths.push_back(root / "new" / s.name);
  staged.clear();
  staged_uidls.clear();
  staged_bytes = 0;
  return paths;
}

void MaildirDelivery::Impl::forget_except(const std::set<std::string>& on_server) {
  std::set<std::string> next;
  for (const auto& uidl : delivered) {
    if (on_server.count(uidl) != 0) next.insert(uidl);
  }
  if (next.size() == delivered.size()) return;
  write_state_durably(next);
  delivered = std::move(next);
}

MaildirDelivery::MaildirDelivery(std::filesystem::path root, std::string_view account)
    : m_impl(std::make_unique<Impl>(std::move(root), account)) {}

MaildirDelivery::~MaildirDelivery() = default;
MaildirDelivery::MaildirDelivery(MaildirDelivery&&) noexcept = default;
MaildirDelivery& MaildirDelivery::operator=(MaildirDelivery&&) noexcept = default;

namespace {
[[noreturn]] void moved_from() {
  throw Error(ErrorCode::Internal, "MaildirDelivery used after it was moved from");
}
}  // namespace

bool MaildirDelivery::delivered(std::string_view uidl) const {
  if (!m_impl) moved_from();
  return m_impl->delivered.count(std::string(uidl)) != 0;
}

std::set<std::string> MaildirDelivery::delivered_uidls() const {
  if (!m_impl) moved_from();
  return m_impl->delivered;
}

void MaildirDelivery::stage(std::string_view uidl, std::string_view message) {
  if (!m_impl) moved_from();
  m_impl->stage(uidl, message);
}

std::size_t MaildirDelivery::staged_count() const noexcept {
  return m_impl ? m_impl->staged.size() : 0;
}

std::size_t MaildirDelivery::staged_bytes() const noexcept {
  return m_impl ? m_impl->staged_bytes : 0;
}

std::vector<std::filesystem::path> MaildirDelivery::commit() {
  if (!m_impl) moved_from();
  return m_impl->commit();
}

void MaildirDelivery::forget_except(const std::set<std::string>& on_server) {
  if (!m_impl) moved_from();
  m_impl->forget_except(on_server);
}

const std::string& MaildirDelivery::tag() const noexcept {
  static const std::string none;
  return m_impl ? m_impl->tag : none;
}

}  // namespace smimekit

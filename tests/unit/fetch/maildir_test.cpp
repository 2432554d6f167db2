// MaildirDelivery on a real file system: delivery, the lock, settling what a killed run left
// behind (states built by hand, and children killed at each step of commit()), a full disk
// (a small tmpfs), forgetting, and UIDLs holding any byte.
#include "smimekit/maildir.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "smimekit/error.h"
#include "support/test_support.h"

namespace smimekit::detail {
// Defined in lib/fetch/maildir.cpp: called at each step of commit() and at each flush.
extern void (*maildir_test_hook)(const char* point, std::size_t index);
}  // namespace smimekit::detail

namespace smimekit {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr const char* account = "alice@mail.example.org:995";
constexpr const char* account_tag = "1a41b064";  // SHA-256("alice@mail.example.org:995")
constexpr const char* other_account = "bob@mail.example.org:995";

// Written here independently of the library.
std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(c));
    out += buf;
  }
  return out;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// The ",U=TAG-HEX" field of a file name, or "" when the name has none for TAG.
std::string uidl_field(const std::string& name, const std::string& tag) {
  const std::string marker = ",U=" + tag + "-";
  const auto pos = name.find(marker);
  if (pos == std::string::npos) return "";
  const auto start = pos + marker.size();
  const auto end = name.find_first_of(",:", start);
  return name.substr(start, end == std::string::npos ? end : end - start);
}

// How many files in new/ and cur/ carry each UIDL (by its hex) of TAG.
std::map<std::string, int> delivered_files(const fs::path& root,
                                           const std::string& tag = account_tag) {
  std::map<std::string, int> count;
  for (const char* sub : {"new", "cur"}) {
    for (const auto& name : names_in(root / sub)) {
      const auto field = uidl_field(name, tag);
      if (!field.empty()) ++count[field];
    }
  }
  return count;
}

std::size_t files_in_tmp(const fs::path& root, const std::string& tag = account_tag) {
  std::size_t n = 0;
  for (const auto& name : names_in(root / "tmp")) {
    if (!uidl_field(name, tag).empty()) ++n;
  }
  return n;
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string message_for(const std::string& uidl) {
  return "From: alice@example.org\r\nSubject: " + hex(uidl) + "\r\n\r\nbody of " + hex(uidl) +
         "\r\n";
}

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// One fetch run: delivers each of UIDLS not yet delivered, in batches of BATCH.
void run_fetch(const fs::path& root, const std::vector<std::string>& uidls, std::size_t batch) {
  MaildirDelivery maildir(root, account);
  for (const auto& uidl : uidls) {
    if (maildir.delivered(uidl)) continue;
    maildir.stage(uidl, message_for(uidl));
    if (maildir.staged_count() >= batch) (void)maildir.commit();
  }
  (void)maildir.commit();
}

// Opens ROOT (which settles it) and checks the promise: every UIDL of ATTEMPTED is either
// recorded and has exactly one file, or is not recorded and has none; nothing else has a
// file; nothing of ours is left in tmp/ and no journal remains. Returns the recorded ones.
std::set<std::string> check_settled(const fs::path& root,
                                    const std::vector<std::string>& attempted) {
  std::set<std::string> recorded;
  {
    MaildirDelivery maildir(root, account);
    recorded = maildir.delivered_uidls();
  }
  auto files = delivered_files(root);
  for (const auto& uidl : attempted) {
    const int n = files.count(hex(uidl)) ? files[hex(uidl)] : 0;
    if (recorded.count(uidl) != 0) {
      EXPECT_EQ(n, 1) << "recorded UIDL " << hex(uidl) << " has " << n << " files";
    } else {
      EXPECT_EQ(n, 0) << "unrecorded UIDL " << hex(uidl) << " has " << n << " files";
    }
    files.erase(hex(uidl));
  }
  EXPECT_TRUE(files.empty()) << "files for UIDLs never attempted: " << files.begin()->first;
  EXPECT_EQ(files_in_tmp(root), 0u);
  EXPECT_FALSE(fs::exists(root / (std::string("smimekit-journal.") + account_tag)));
  for (const auto& uidl : recorded) {
    EXPECT_NE(std::find(attempted.begin(), attempted.end(), uidl), attempted.end());
  }
  return recorded;
}

// Sets the library's hook for the life of the object.
class HookGuard {
 public:
  explicit HookGuard(void (*hook)(const char*, std::size_t)) { detail::maildir_test_hook = hook; }
  ~HookGuard() { detail::maildir_test_hook = nullptr; }
  HookGuard(const HookGuard&) = delete;
  HookGuard& operator=(const HookGuard&) = delete;
};

// Runs BODY in a child process; returns its wait status. The child never returns into
// GoogleTest: it leaves with _exit (0 when BODY returned, 3 when it threw).
template <typename Body>
int in_child(const Body& body) {
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    try {
      body();
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool killed(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// ---------------------------------------------------------------------------------------
// Delivery

TEST(Maildir, CommitDeliversIntoNewAndRecordsDurably) {
  TempDir dir;
  const fs::path root = dir / "Mail" / "inbox";  // neither exists yet
  const std::vector<std::string> uidls = {"1", "AAAB", "x-3"};
  std::vector<fs::path> paths;
  {
    MaildirDelivery maildir(root, account);
    EXPECT_EQ(maildir.tag(), account_tag);
    std::size_t bytes = 0;
    for (const auto& uidl : uidls) {
      maildir.stage(uidl, message_for(uidl));
      bytes += message_for(uidl).size();
    }
    EXPECT_EQ(maildir.staged_count(), 3u);
    EXPECT_EQ(maildir.staged_bytes(), bytes);
    EXPECT_FALSE(maildir.delivered("1"));
    EXPECT_TRUE(names_in(root / "new").empty()) << "staged mail is not visible yet";

    paths = maildir.commit();
    ASSERT_EQ(paths.size(), 3u);
    EXPECT_EQ(maildir.staged_count(), 0u);
    EXPECT_EQ(maildir.staged_bytes(), 0u);
    for (std::size_t i = 0; i < uidls.size(); ++i) {
      EXPECT_TRUE(maildir.delivered(uidls[i]));
      EXPECT_EQ(paths[i].parent_path(), root / "new");
      EXPECT_EQ(test::read(paths[i]), message_for(uidls[i]));
      EXPECT_EQ(mode_of(paths[i]), 0600u);
      const std::string name = paths[i].filename().string();
      EXPECT_NE(name.find(",S=" + std::to_string(message_for(uidls[i]).size())), std::string::npos)
          << name;
      EXPECT_EQ(uidl_field(name, account_tag), hex(uidls[i])) << name;
      EXPECT_EQ(name.find(':'), std::string::npos) << name;
    }
    EXPECT_EQ(maildir.delivered_uidls(), std::set<std::string>(uidls.begin(), uidls.end()));
    EXPECT_EQ(files_in_tmp(root), 0u);
    EXPECT_TRUE(maildir.commit().empty()) << "an empty batch delivers nothing";
  }
  for (const auto& d : {dir / "Mail", root, root / "tmp", root / "new", root / "cur"}) {
    EXPECT_EQ(mode_of(d), 0700u) << d;
  }
  EXPECT_TRUE(fs::is_regular_file(root / (std::string("smimekit-uidls.") + account_tag)));
  EXPECT_FALSE(fs::exists(root / (std::string("smimekit-journal.") + account_tag)));

  MaildirDelivery again(root, account);
  EXPECT_EQ(again.delivered_uidls(), std::set<std::string>(uidls.begin(), uidls.end()));
  EXPECT_FALSE(again.delivered("2"));
  // Another account in the same Maildir has its own state.
  MaildirDelivery bob(root, other_account);
  EXPECT_TRUE(bob.delivered_uidls().empty());
  EXPECT_NE(bob.tag(), again.tag());
}

TEST(Maildir, StagingRefusesWhatWouldBeDeliveredTwice) {
  TempDir dir;
  MaildirDelivery maildir(dir.path(), account);
  maildir.stage("a", "x");
  try {
    maildir.stage("a", "y");
    FAIL() << "staged twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
  (void)maildir.commit();
  try {
    maildir.stage("a", "z");
    FAIL() << "staged after delivery";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
  EXPECT_EQ(maildir.staged_count(), 0u);
  EXPECT_EQ(delivered_files(dir.path()).at(hex("a")), 1);
}

TEST(Maildir, UidlsWithAnyByteSurviveReopening) {
  TempDir dir;
  const std::vector<std::string> uidls = {std::string("nul\0byte", 8),
                                          "line\nfeed",
                                          "cr\r\nlf",
                                          "space in it",
                                          "\xff\xfe\x80",
                                          "back\\slash",
                                          "end",
                                          "smimekit-uidls 1",
                                          "6162",
                                          ",S=1:2,S",
                                          "/slash/",
                                          "x",
                                          std::string(70, '~'),
                                          "a,U=1a41b064-62"};
  {
    MaildirDelivery maildir(dir.path(), account);
    for (const auto& uidl : uidls) maildir.stage(uidl, message_for(uidl));
    const auto paths = maildir.commit();
    ASSERT_EQ(paths.size(), uidls.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
      EXPECT_EQ(test::read(paths[i]), message_for(uidls[i]));
      EXPECT_LE(paths[i].filename().string().size(), 255u - 30u) << "room for :2,FLAGS";
    }
  }
  MaildirDelivery maildir(dir.path(), account);
  EXPECT_EQ(maildir.delivered_uidls(), std::set<std::string>(uidls.begin(), uidls.end()));
  EXPECT_FALSE(maildir.delivered("nul"));
  EXPECT_FALSE(maildir.delivered("62")) << "one UIDL's hex is no other's";
  const auto files = delivered_files(dir.path());
  for (const auto& uidl : uidls) EXPECT_EQ(files.at(hex(uidl)), 1) << hex(uidl);

  for (const std::string& bad : {std::string(), std::string(71, 'u')}) {
    try {
      maildir.stage(bad, "x");
      FAIL() << "accepted a UIDL of " << bad.size() << " octets";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Input);
    }
  }
}

TEST(Maildir, MovedObjectKeepsTheBatchAndTheLock) {
  TempDir dir;
  MaildirDelivery first(dir.path(), account);
  first.stage("m", "moved");
  MaildirDelivery second(std::move(first));
  EXPECT_EQ(second.staged_count(), 1u);
  EXPECT_THROW(MaildirDelivery(dir.path(), account), Error);
  MaildirDelivery third(dir.path(), other_account);
  third = std::move(second);  // releases bob's lock, keeps alice's
  EXPECT_NO_THROW(MaildirDelivery(dir.path(), other_account));
  EXPECT_EQ(third.commit().size(), 1u);
  EXPECT_TRUE(third.delivered("m"));
}

// ---------------------------------------------------------------------------------------
// Staged files and the lock

TEST(Maildir, DestructorRemovesUncommittedFiles) {
  TempDir dir;
  {
    MaildirDelivery maildir(dir.path(), account);
    maildir.stage("a", "aaa");
    maildir.stage("b", "bbb");
    EXPECT_EQ(files_in_tmp(dir.path()), 2u);
  }
  EXPECT_EQ(files_in_tmp(dir.path()), 0u);
  EXPECT_TRUE(names_in(dir / "new").empty());
  MaildirDelivery maildir(dir.path(), account);
  EXPECT_TRUE(maildir.delivered_uidls().empty());
}

TEST(Maildir, NextStartRemovesFilesStagedByAKilledRun) {
  TempDir dir;
  { MaildirDelivery create(dir.path(), account); }
  test::write(dir / "tmp" / "1700000000.M1P1Q1.elsewhere", "a reader's own file");
  test::write(dir / "tmp" / "1700000000.M1P1Q2.host,S=1,U=44696633-61", "bob's");
  const int status = in_child([&] {
    MaildirDelivery maildir(dir.path(), account);
    maildir.stage("a", "aaa");
    maildir.stage("b", "bbb");
    ::raise(SIGKILL);
  });
  ASSERT_TRUE(killed(status));
  EXPECT_EQ(files_in_tmp(dir.path()), 2u);

  check_settled(dir.path(), {"a", "b"});
  EXPECT_TRUE(fs::exists(dir / "tmp" / "1700000000.M1P1Q1.elsewhere"));
  EXPECT_TRUE(fs::exists(dir / "tmp" / "1700000000.M1P1Q2.host,S=1,U=44696633-61"));
}

TEST(Maildir, LockRefusesASecondFetchOfTheSameAccount) {
  TempDir dir;
  auto first = std::make_unique<MaildirDelivery>(dir.path(), account);
  try {
    MaildirDelivery second(dir.path(), account);
    FAIL() << "two fetches of one account at once";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find(std::string("another fetch of ") + account),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
  }
  // Another process is refused too; another account is not.
  const int status = in_child([&] { MaildirDelivery second(dir.path(), account); });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  EXPECT_NO_THROW(MaildirDelivery(dir.path(), other_account));

  first.reset();
  EXPECT_NO_THROW(MaildirDelivery(dir.path(), account));
}

// ---------------------------------------------------------------------------------------
// Settling a crash: the on-disk states of each step, built by hand

class MaildirCrashState : public ::testing::Test {
 protected:
  void SetUp() override {
    // A previous run delivered "old".
    MaildirDelivery maildir(root(), account);
    maildir.stage("old", message_for("old"));
    (void)maildir.commit();
  }

  [[nodiscard]] fs::path root() const { return m_dir.path(); }
  [[nodiscard]] fs::path journal() const {
    return root() / (std::string("smimekit-journal.") + account_tag);
  }
  [[nodiscard]] fs::path state() const {
    return root() / (std::string("smimekit-uidls.") + account_tag);
  }

  static std::string list(const std::string& header, const std::vector<std::string>& uidls) {
    std::string text = header + "\n";
    for (const auto& uidl : uidls) text += hex(uidl) + "\n";
    return text + "end\n";
  }
  void write_journal(const std::vector<std::string>& uidls) const {
    test::write(journal(), list("smimekit-journal 1", uidls));
  }
  void write_state(const std::vector<std::string>& uidls) const {
    test::write(state(), list("smimekit-uidls 1", uidls));
  }
  // A message file for UIDL in SUB, named as a delivery would name it, plus SUFFIX.
  void put(const char* sub, const std::string& uidl, const std::string& suffix = "",
           const std::string& tag = account_tag) {
    const std::string body = message_for(uidl);
    test::write(root() / sub /
                    ("1700000000.M" + std::to_string(++m_seq) + "P42Q1.host,S=" +
                     std::to_string(body.size()) + ",U=" + tag + "-" + hex(uidl) + suffix),
                body);
  }

  // The next run fetches whatever is not recorded; then every UIDL has exactly one file.
  void next_run_delivers_each_once(const std::vector<std::string>& uidls) {
    run_fetch(root(), uidls, 2);
    std::vector<std::string> all = uidls;
    all.emplace_back("old");
    const auto recorded = check_settled(root(), all);
    EXPECT_EQ(recorded, std::set<std::string>(all.begin(), all.end()));
  }

 private:
  TempDir m_dir;
  int m_seq = 0;
};

TEST_F(MaildirCrashState, JournalWrittenNothingRenamed) {
  write_journal({"a", "b"});
  put("tmp", "a");
  put("tmp", "b");
  test::write(root() / (std::string("smimekit-journal.") + account_tag + ".tmp"), "smimek");
  const auto recorded = check_settled(root(), {"old", "a", "b"});
  EXPECT_EQ(recorded, std::set<std::string>({"old"}));
  EXPECT_FALSE(fs::exists(root() / (std::string("smimekit-journal.") + account_tag + ".tmp")));
  next_run_delivers_each_once({"a", "b"});
}

TEST_F(MaildirCrashState, SomeRenamedAndOneReadAlready) {
  write_journal({"a", "b", "c"});
  put("new", "a");
  put("cur", "b", ":2,S");  // a reader moved it on and marked it seen
  put("tmp", "c");
  const auto recorded = check_settled(root(), {"old", "a", "b", "c"});
  EXPECT_EQ(recorded, std::set<std::string>({"old", "a", "b"}));
  next_run_delivers_each_once({"a", "b", "c"});
}

TEST_F(MaildirCrashState, AllRenamedStateNotUpdated) {
  write_journal({"a", "b"});
  put("new", "a");
  put("new", "b", ",W=123");
  test::write(root() / (std::string("smimekit-uidls.") + account_tag + ".tmp"), "smimekit-u");
  const auto recorded = check_settled(root(), {"old", "a", "b"});
  EXPECT_EQ(recorded, std::set<std::string>({"old", "a", "b"}));
  EXPECT_FALSE(fs::exists(root() / (std::string("smimekit-uidls.") + account_tag + ".tmp")));
  next_run_delivers_each_once({"a", "b"});
}

TEST_F(MaildirCrashState, StateUpdatedJournalNotRemoved) {
  write_journal({"a", "b"});
  write_state({"old", "a", "b"});
  put("new", "a");
  put("cur", "b", ":2,");
  const auto recorded = check_settled(root(), {"old", "a", "b"});
  EXPECT_EQ(recorded, std::set<std::string>({"old", "a", "b"}));
  next_run_delivers_each_once({"a", "b"});
}

TEST_F(MaildirCrashState, OnlyTheExactUidlOfThisAccountCounts) {
  write_journal({"ab", "c"});
  put("new", "abc");                // "ab"'s hex is a prefix of this one's
  put("new", "c", "", "44696633");  // bob's "c"
  const auto files_before = delivered_files(root(), "44696633");
  MaildirDelivery maildir(root(), account);
  EXPECT_EQ(maildir.delivered_uidls(), std::set<std::string>({"old"}));
  EXPECT_EQ(delivered_files(root(), "44696633"), files_before);
}

TEST_F(MaildirCrashState, DamagedJournalRecordsEveryFileFound) {
  test::write(journal(), "smimekit-journal 1\n61\n6");  // cut short: not ours
  put("new", "a");
  put("cur", "b", ":2,S");
  const auto recorded = check_settled(root(), {"old", "a", "b"});
  EXPECT_EQ(recorded, std::set<std::string>({"old", "a", "b"}));
}

TEST_F(MaildirCrashState, DamagedStateIsAnError) {
  test::write(state(), "smimekit-uidls 1\n6f6c64\n");  // no "end"
  try {
    MaildirDelivery maildir(root(), account);
    FAIL() << "read a damaged state file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Input);
    EXPECT_NE(std::string(e.what()).find(state().string()), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------
// Settling a crash: a child killed at each step of commit()

const char* g_kill_point = nullptr;
std::size_t g_kill_index = 0;

void kill_at_point(const char* point, std::size_t index) {
  if (std::strcmp(point, g_kill_point) == 0 && index == g_kill_index) ::raise(SIGKILL);
}

struct CrashPoint {
  const char* point;
  std::size_t index;
  std::size_t recorded_after;  // how many of the batch a restart finds delivered
};

class MaildirKilled : public ::testing::TestWithParam<CrashPoint> {};

TEST_P(MaildirKilled, RestartRecordsExactlyWhatReachedNew) {
  const CrashPoint cp = GetParam();
  TempDir dir;
  const std::vector<std::string> before = {"p0", "p1"};
  run_fetch(dir.path(), before, 10);

  const std::vector<std::string> batch = {"b0",
                                          std::string("b\0"
                                                      "1",
                                                      3),
                                          "b 2\n", "b3", "b4"};
  const int status = in_child([&] {
    g_kill_point = cp.point;
    g_kill_index = cp.index;
    HookGuard hook(kill_at_point);
    MaildirDelivery maildir(dir.path(), account);
    for (const auto& uidl : batch) maildir.stage(uidl, message_for(uidl));
    (void)maildir.commit();
  });
  ASSERT_TRUE(killed(status)) << "the child never reached " << cp.point << " " << cp.index;

  std::vector<std::string> all = before;
  all.insert(all.end(), batch.begin(), batch.end());
  const auto recorded = check_settled(dir.path(), all);
  EXPECT_EQ(recorded.size(), before.size() + cp.recorded_after);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(recorded.count(batch[i]), i < cp.recorded_after ? 1u : 0u) << i;
  }

  run_fetch(dir.path(), all, 3);
  EXPECT_EQ(check_settled(dir.path(), all), std::set<std::string>(all.begin(), all.end()));
}

INSTANTIATE_TEST_SUITE_P(
    Maildir, MaildirKilled,
    ::testing::Values(CrashPoint{"staged", 2, 0}, CrashPoint{"journal-written", 0, 0},
                      CrashPoint{"journal-renamed", 0, 0}, CrashPoint{"journal-durable", 0, 0},
                      CrashPoint{"renamed", 0, 1}, CrashPoint{"renamed", 3, 4},
                      CrashPoint{"renamed", 4, 5}, CrashPoint{"state-written", 0, 5},
                      CrashPoint{"state-renamed", 0, 5}, CrashPoint{"state-durable", 0, 5},
                      CrashPoint{"journal-removed", 0, 5}),
    [](const ::testing::TestParamInfo<CrashPoint>& info) {
      std::string name = info.param.point;
      for (auto& c : name) {
        if (c == '-') c = '_';
      }
      return name + "_" + std::to_string(info.param.index);
    });

// Killed at whatever moment the scheduler picks, again and again, then run to the end.
TEST(Maildir, KilledAtRandomMomentsNeitherLosesNorDuplicates) {
  TempDir dir;
  const auto uidls = numbered("msg-", 150);
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int kills = 0;
  for (int round = 0; round < 25; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        run_fetch(dir.path(), uidls, 8);
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(delay_us(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (killed(status))
      ++kills;
    else
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_settled(dir.path(), uidls);
    if (HasFailure()) return;
  }
  run_fetch(dir.path(), uidls, 8);
  EXPECT_EQ(check_settled(dir.path(), uidls), std::set<std::string>(uidls.begin(), uidls.end()));
  RecordProperty("kills", kills);
}

// ---------------------------------------------------------------------------------------
// A full disk

class TmpfsMount {
 public:
  explicit TmpfsMount(fs::path dir) : m_dir(std::move(dir)) {
    fs::create_directories(m_dir);
    m_mounted = ::mount("tmpfs", m_dir.c_str(), "tmpfs", 0, "size=256k,mode=0700") == 0;
    if (!m_mounted) m_error = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (m_mounted && ::umount(m_dir.c_str()) != 0) ::umount2(m_dir.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  [[nodiscard]] bool mounted() const { return m_mounted; }
  [[nodiscard]] const std::string& error() const { return m_error; }

 private:
  fs::path m_dir;
  bool m_mounted = false;
  std::string m_error;
};

// Fills the file system at DIR with one-page files until it refuses; returns the full ones.
std::vector<fs::path> fill(const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<fs::path> files;
  const std::string page(4096, 'f');
  for (int i = 0; i < 10000; ++i) {
    const fs::path file = dir / std::to_string(i);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) break;
    const ssize_t n = ::write(fd, page.data(), page.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(page.size())) {
      EXPECT_LE(n, 0) << "a page written in part";
      fs::remove(file);
      break;
    }
    files.push_back(file);
  }
  return files;
}

#define SKIP_UNLESS_MOUNTED(m) \
  if (!(m).mounted())          \
  GTEST_SKIP() << "cannot mount a small tmpfs to fill (needs root): " << (m).error()

class MaildirDiskFull : public ::testing::Test {
 protected:
  MaildirDiskFull() : m_mount(m_dir / "fs") {}

  // Stages the batch, then fills the disk so that only SPARE pages stay free.
  void stage_then_fill(MaildirDelivery& maildir, std::size_t spare) {
    for (const auto& uidl : m_batch) maildir.stage(uidl, std::string(1000, 'm'));
    m_filler = fill(m_dir / "fs" / "filler");
    ASSERT_GT(m_filler.size(), spare);
    for (std::size_t i = 0; i < spare; ++i) {
      fs::remove(m_filler.back());
      m_filler.pop_back();
    }
  }
  void free_space() {
    for (const auto& f : m_filler) fs::remove(f);
    m_filler.clear();
  }

  [[nodiscard]] fs::path root() const { return m_dir / "fs" / "Maildir"; }
  [[nodiscard]] bool mounted() const { return m_mount.mounted(); }
  [[nodiscard]] const TmpfsMount& mount() const { return m_mount; }

  TempDir m_dir;
  TmpfsMount m_mount;
  std::vector<fs::path> m_filler;
  const std::vector<std::string> m_batch = numbered("full-", 10);
};

TEST_F(MaildirDiskFull, StagingFailsNamingTheFileAndKeepsWhatWasStaged) {
  SKIP_UNLESS_MOUNTED(mount());
  MaildirDelivery maildir(root(), account);
  stage_then_fill(maildir, 0);
  try {
    maildir.stage("one-too-many", std::string(5000, 'x'));
    FAIL() << "wrote onto a full disk";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    const std::string what = e.what();
    EXPECT_NE(what.find((root() / "tmp").string()), std::string::npos) << what;
    EXPECT_NE(what.find(hex("one-too-many")), std::string::npos) << what;
    EXPECT_NE(what.find(std::strerror(ENOSPC)), std::string::npos) << what;
  }
  EXPECT_EQ(maildir.staged_count(), m_batch.size());
  EXPECT_EQ(files_in_tmp(root()), m_batch.size()) << "no partial file left";

  free_space();
  EXPECT_EQ(maildir.commit().size(), m_batch.size());
}

TEST_F(MaildirDiskFull, CommitFailingBeforeRenamesRecordsNothing) {
  SKIP_UNLESS_MOUNTED(mount());
  MaildirDelivery maildir(root(), account);
  stage_then_fill(maildir, 0);
  try {
    (void)maildir.commit();
    FAIL() << "committed onto a full disk";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find(std::strerror(ENOSPC)), std::string::npos) << e.what();
  }
  for (const auto& uidl : m_batch) EXPECT_FALSE(maildir.delivered(uidl));
  EXPECT_TRUE(names_in(root() / "new").empty());
  EXPECT_EQ(maildir.staged_count(), m_batch.size());

  free_space();  // and try again
  EXPECT_EQ(maildir.commit().size(), m_batch.size());
  for (const auto& uidl : m_batch) EXPECT_TRUE(maildir.delivered(uidl));
  const auto files = delivered_files(root());
  for (const auto& uidl : m_batch) EXPECT_EQ(files.at(hex(uidl)), 1);
}

// One free page: the journal fits, the new state does not.
class MaildirDiskFullAfterRenames : public MaildirDiskFull {
 protected:
  void commit_fails(MaildirDelivery& maildir) {
    stage_then_fill(maildir, 1);
    try {
      (void)maildir.commit();
      FAIL() << "committed onto a full disk";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Io);
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("smimekit-uidls.") + account_tag), std::string::npos) << what;
      EXPECT_NE(what.find(std::strerror(ENOSPC)), std::string::npos) << what;
    }
    for (const auto& uidl : m_batch) EXPECT_FALSE(maildir.delivered(uidl)) << "recorded";
    EXPECT_EQ(names_in(root() / "new").size(), m_batch.size()) << "renamed files stay";
    EXPECT_TRUE(fs::exists(root() / (std::string("smimekit-journal.") + account_tag)));
  }
};

TEST_F(MaildirDiskFullAfterRenames, CommitAgainFinishesTheBatch) {
  SKIP_UNLESS_MOUNTED(mount());
  MaildirDelivery maildir(root(), account);
  commit_fails(maildir);
  ASSERT_FALSE(HasFailure());
  free_space();
  const auto paths = maildir.commit();
  ASSERT_EQ(paths.size(), m_batch.size());
  for (const auto& p : paths) EXPECT_TRUE(fs::exists(p)) << p;
  for (const auto& uidl : m_batch) EXPECT_TRUE(maildir.delivered(uidl));
  const auto files = delivered_files(root());
  for (const auto& uidl : m_batch) EXPECT_EQ(files.at(hex(uidl)), 1);
  EXPECT_FALSE(fs::exists(root() / (std::string("smimekit-journal.") + account_tag)));
}

TEST_F(MaildirDiskFullAfterRenames, NextStartRecordsTheBatch) {
  SKIP_UNLESS_MOUNTED(mount());
  {
    MaildirDelivery maildir(root(), account);
    commit_fails(maildir);
    ASSERT_FALSE(HasFailure());
  }
  free_space();
  EXPECT_EQ(check_settled(root(), m_batch), std::set<std::string>(m_batch.begin(), m_batch.end()));
}

// ---------------------------------------------------------------------------------------
// Forgetting, and the cost of a batch

TEST(Maildir, ForgetExceptKeepsOnlyWhatIsOnTheServer) {
  TempDir dir;
  {
    MaildirDelivery maildir(dir.path(), account);
    for (const std::string uidl : {"a", "b", "c"}) maildir.stage(uidl, message_for(uidl));
    (void)maildir.commit();
    maildir.forget_except({"b", "z"});
    EXPECT_EQ(maildir.delivered_uidls(), std::set<std::string>({"b"}));
    maildir.forget_except({"b"});  // nothing to drop
  }
  MaildirDelivery maildir(dir.path(), account);
  EXPECT_EQ(maildir.delivered_uidls(), std::set<std::string>({"b"}));
  EXPECT_EQ(delivered_files(dir.path()).size(), 3u) << "forgetting deletes no mail";
  maildir.forget_except({});
  EXPECT_TRUE(maildir.delivered_uidls().empty());
  EXPECT_TRUE(MaildirDelivery(dir.path(), other_account).delivered_uidls().empty());
}

std::size_t g_flushes = 0;

void count_flushes(const char* point, std::size_t) {
  if (std::strcmp(point, "flush") == 0) ++g_flushes;
}

TEST(Maildir, ABatchCostsTheSameFlushesWhateverItsSize) {
  TempDir dir;
  MaildirDelivery maildir(dir.path(), account);
  HookGuard hook(count_flushes);
  std::map<int, std::size_t> flushes;
  for (const int n : {1, 1000}) {
    for (const auto& uidl : numbered("n" + std::to_string(n) + "-", n)) {
      maildir.stage(uidl, message_for(uidl));
    }
    g_flushes = 0;
    EXPECT_EQ(maildir.commit().size(), static_cast<std::size_t>(n));
    flushes[n] = g_flushes;
  }
  EXPECT_EQ(flushes[1000], flushes[1]);
  EXPECT_LE(flushes[1000], 4u);
  RecordProperty("flushes_per_batch", static_cast<int>(flushes[1000]));
}

}  // namespace
}  // namespace smimekit

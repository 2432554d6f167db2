// The accounts of `smimekit fetch`: the TOML file (strict keys, types, file modes), pop3 URLs,
// and password commands.
#include "smimekit/config.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "smimekit/error.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

namespace fs = std::filesystem;

/// Sets an environment variable for the life of the object, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

/// Runs F, which must throw Error with CODE; returns the message.
template <typename F>
std::string error_of(F&& f, ErrorCode code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no Error was thrown";
  return "";
}

class ConfigTest : public ::testing::Test {
 protected:
  test::TempDir home;
  ScopedEnv home_env{"HOME", home.path().string()};

  static Config parse(const std::string& text) { return parse_config(text, "config.toml"); }
};

TEST_F(ConfigTest, EveryKeyOfTheExample) {
  const Config config = parse(R"([account.work]
host = "mail.example.org"
port = 995
tls = "pop3s"
user = "alice"
password_command = "pass show mail/work"
mechanisms = ["scram-sha-256", "PLAIN"]
cacert = "/etc/ssl/certs/corp-ca.pem"
maildir = "~/Mail/work"
report = "~/Mail/work-report.jsonl"
delete = true
store_decrypted = true
anchors = ["~/.config/smimekit/corp-root.pem", "/etc/smimekit/other.pem"]
crls = []
p12 = "~/.config/smimekit/alice.p12"
p12_password = "env:ALICE_P12"
)");
  ASSERT_EQ(config.accounts.size(), 1u);
  const AccountConfig& a = config.accounts[0];
  const fs::path h = home.path();
  EXPECT_EQ(a.name, "work");
  EXPECT_EQ(a.server.host, "mail.example.org");
  EXPECT_EQ(a.server.port, 995);
  EXPECT_EQ(a.server.tls, pop3::TlsMode::Implicit);
  EXPECT_EQ(a.server.cacert, "/etc/ssl/certs/corp-ca.pem");
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.password_command, "pass show mail/work");
  EXPECT_TRUE(a.password.empty());
  EXPECT_EQ(a.mechanisms, (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN"}));
  EXPECT_EQ(a.maildir, h / "Mail/work");
  EXPECT_EQ(a.report, h / "Mail/work-report.jsonl");
  EXPECT_TRUE(a.remove_after_delivery);
  EXPECT_TRUE(a.store_decrypted);
  EXPECT_EQ(a.anchors, (std::vector<fs::path>{h / ".config/smimekit/corp-root.pem",
                                              "/etc/smimekit/other.pem"}));
  EXPECT_TRUE(a.crls.empty());
  EXPECT_EQ(a.p12, h / ".config/smimekit/alice.p12");
  EXPECT_TRUE(a.key.empty());
  EXPECT_EQ(a.key_password, "env:ALICE_P12");
  EXPECT_EQ(a.id(), "alice@mail.example.org:995");
}

TEST_F(ConfigTest, DefaultsWhenKeysAreLeftOut) {
  const Config config = parse("[account.home]\nhost = \"pop.example.net\"\nuser = \"bob\"\n");
  ASSERT_EQ(config.accounts.size(), 1u);
  const AccountConfig& a = config.accounts[0];
  EXPECT_EQ(a.server.port, 0);
  EXPECT_EQ(a.server.tls, pop3::TlsMode::Implicit);
  EXPECT_EQ(a.server.effective_port(), 995);
  EXPECT_FALSE(a.remove_after_delivery);
  EXPECT_FALSE(a.store_decrypted);
  EXPECT_TRUE(a.password.empty() && a.password_command.empty());
  EXPECT_TRUE(a.maildir.empty());
  EXPECT_EQ(a.id(), "bob@pop.example.net:995");
}

TEST_F(ConfigTest, StartTlsAndItsPort) {
  const Config config = parse(
      "[account.a]\nhost = \"pop.example.net\"\nuser = \"bob\"\ntls = \"starttls\"\n"
      "[account.b]\nhost = \"pop.example.net\"\nuser = \"bob\"\ntls = \"starttls\"\nport = 1110\n");
  ASSERT_EQ(config.accounts.size(), 2u);
  EXPECT_EQ(config.account("a").server.tls, pop3::TlsMode::StartTls);
  EXPECT_EQ(config.account("a").id(), "bob@pop.example.net:110");
  EXPECT_EQ(config.account("b").id(), "bob@pop.example.net:1110");
}

TEST_F(ConfigTest, UrlInsteadOfHostPortTlsUser) {
  const Config config = parse(
      "[account.work]\nurl = \"pop3://alice@Mail.Example.org:1110\"\nmaildir = \"/var/mail/a\"\n"
      "password = \"file:~/.mailpass\"\n");
  const AccountConfig& a = config.account("work");
  EXPECT_EQ(a.name, "work");
  EXPECT_EQ(a.server.host, "Mail.Example.org");
  EXPECT_EQ(a.server.port, 1110);
  EXPECT_EQ(a.server.tls, pop3::TlsMode::StartTls);
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.maildir, "/var/mail/a");
  EXPECT_EQ(a.password, "file:" + (home.path() / ".mailpass").string());
  // Host names do not depend on case, and neither does the maildrop's identity.
  EXPECT_EQ(a.id(), "alice@mail.example.org:1110");
}

TEST_F(ConfigTest, UrlTogetherWithHostPortTlsOrUserIsAnError) {
  for (const std::string extra :
       {"host = \"h.example\"", "port = 995", "tls = \"pop3s\"", "user = \"bob\""}) {
    const std::string message = error_of(
        [&] { (void)parse("[account.x]\nurl = \"pop3s://a@h.example\"\n" + extra + "\n"); },
        ErrorCode::Usage);
    EXPECT_NE(message.find("config.toml:3:"), std::string::npos) << message;
    EXPECT_NE(message.find("url and"), std::string::npos) << message;
  }
}

TEST_F(ConfigTest, ABadUrlNamesItsLine) {
  const std::string message = error_of(
      [&] { (void)parse("[account.x]\n\nurl = \"imap://a@h.example\"\n"); }, ErrorCode::Usage);
  EXPECT_NE(message.find("config.toml:3: account.x: "), std::string::npos) << message;
  EXPECT_NE(message.find("pop3s://"), std::string::npos) << message;
}

TEST_F(ConfigTest, AnUnknownKeyIsAnErrorWithItsLine) {
  // The typo that must not silently keep the mail on the server, or delete it.
  const std::string message = error_of(
      [&] { (void)parse("[account.work]\nhost = \"h.example\"\nuser = \"u\"\n\ndelet = true\n"); },
      ErrorCode::Input);
  EXPECT_NE(message.find("config.toml:5:"), std::string::npos) << message;
  EXPECT_NE(message.find("'delet'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'delete'"), std::string::npos) << message;
}

TEST_F(ConfigTest, UnknownKeysEverywhereAreErrors) {
  error_of([&] { (void)parse("verbose = true\n"); }, ErrorCode::Input);
  error_of([&] { (void)parse("[accounts.work]\nhost = \"h\"\n"); }, ErrorCode::Input);
  error_of(
      [&] {
        (void)parse("[account.w]\nhost = \"h.example\"\nuser = \"u\"\nstore_decripted = true\n");
      },
      ErrorCode::Input);
  // A key of a sub-table is a key too.
  error_of(
      [&] { (void)parse("[account.w]\nhost = \"h.example\"\nuser = \"u\"\n[account.w.extra]\n"); },
      ErrorCode::Input);
}

TEST_F(ConfigTest, WrongTypesAreUsageErrorsWithTheLine) {
  const std::string head = "[account.w]\nhost = \"h.example\"\nuser = \"u\"\n";
  for (const std::string line :
       {"port = \"995\"", "port = 995.0", "delete = \"yes\"", "delete = 1",
        "store_decrypted = \"no\"", "mechanisms = \"PLAIN\"", "mechanisms = [1]",
        "anchors = \"/a.pem\"", "crls = [true]", "maildir = 5", "tls = true", "password = 1234",
        "password_command = [\"pass\"]", "p12 = {}", "cacert = 1979-05-27"}) {
    const std::string message =
        error_of([&] { (void)parse(head + line + "\n"); }, ErrorCode::Usage);
    EXPECT_NE(message.find("config.toml:4:"), std::string::npos) << line << ": " << message;
    EXPECT_NE(message.find(" must be "), std::string::npos) << line << ": " << message;
  }
  error_of([&] { (void)parse("account = 1\n"); }, ErrorCode::Usage);
  error_of([&] { (void)parse("[account]\nwork = \"x\"\n"); }, ErrorCode::Usage);
  error_of([&] { (void)parse("[[account]]\nhost = \"x\"\n"); }, ErrorCode::Usage);
}

TEST_F(ConfigTest, ValuesOutOfRange) {
  const std::string head = "[account.w]\nhost = \"h.example\"\nuser = \"u\"\n";
  for (const std::string line :
       {"port = 0", "port = 65536", "port = -1", "tls = \"tls\"", "tls = \"none\"",
        "mechanisms = [\"SCRAM SHA\"]", "maildir = \"\"", "anchors = [\"\"]",
        "password_command = \"\"", "password = \"hunter2\"", "password = \"vault:x\""}) {
    error_of([&] { (void)parse(head + line + "\n"); }, ErrorCode::Usage);
  }
  error_of([&] { (void)parse("[account.w]\nhost = \"h.example\"\nuser = \"\"\n"); },
           ErrorCode::Usage);
  // A user name with a line break would end the USER command early.
  error_of([&] { (void)parse("[account.w]\nhost = \"h.example\"\nuser = \"u\\r\\nDELE 1\"\n"); },
           ErrorCode::Usage);
  error_of([&] { (void)parse("[account.w]\nhost = \"h example\"\nuser = \"u\"\n"); },
           ErrorCode::Usage);
}

TEST_F(ConfigTest, APasswordGivenAsPlainTextIsNotRepeated) {
  const std::string message = error_of(
      [&] {
        (void)parse("[account.w]\nhost = \"h.example\"\nuser = \"u\"\npassword = \"hunter2\"\n");
      },
      ErrorCode::Usage);
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_NE(message.find("env:VAR"), std::string::npos) << message;
}

TEST_F(ConfigTest, SecretSpecs) {
  const std::string head = "[account.w]\nhost = \"h.example\"\nuser = \"u\"\n";
  EXPECT_EQ(parse(head + "password = \"env:POP_PASS\"\n").accounts[0].password, "env:POP_PASS");
  EXPECT_EQ(parse(head + "password = \"fd:3\"\n").accounts[0].password, "fd:3");
  EXPECT_EQ(parse(head + "password = \"pass:x\"\n").accounts[0].password, "pass:x");
  EXPECT_EQ(parse(head + "password = \"file:/etc/pw\"\n").accounts[0].password, "file:/etc/pw");
  EXPECT_EQ(parse(head + "key = \"k.pem\"\ncert = \"c.pem\"\nkey_password = \"file:~/k\"\n")
                .accounts[0]
                .key_password,
            "file:" + (home.path() / "k").string());
}

TEST_F(ConfigTest, SettingsThatExcludeEachOther) {
  const std::string head = "[account.w]\nhost = \"h.example\"\nuser = \"u\"\n";
  for (const std::string lines :
       {"password = \"env:P\"\npassword_command = \"pass show x\"\n",
        "p12 = \"a.p12\"\nkey = \"k.pem\"\ncert = \"c.pem\"\n",
        "p12 = \"a.p12\"\ncert = \"c.pem\"\n", "key = \"k.pem\"\n", "cert = \"c.pem\"\n",
        "p12 = \"a.p12\"\np12_password = \"env:A\"\nkey_password = \"env:B\"\n"}) {
    error_of([&] { (void)parse(head + lines); }, ErrorCode::Usage);
  }
  error_of(
      [&] {
        (void)parse(
            "[account.w]\nurl = \"pop3s://u;AUTH=PLAIN@h.example\"\n"
            "mechanisms = [\"PLAIN\"]\n");
      },
      ErrorCode::Usage);
}

TEST_F(ConfigTest, AServerAndAUserAreNeeded) {
  error_of([&] { (void)parse("[account.w]\nuser = \"u\"\n"); }, ErrorCode::Usage);
  error_of([&] { (void)parse("[account.w]\nhost = \"h.example\"\n"); }, ErrorCode::Usage);
}

TEST_F(ConfigTest, ASyntaxErrorNamesLineAndColumn) {
  const std::string message = error_of(
      [&] { (void)parse("[account.w]\nhost = \"h.example\"\nuser = \"u\n"); }, ErrorCode::Input);
  EXPECT_EQ(message.rfind("config.toml:3:", 0), 0u) << message;
  // A key given twice is TOML's own error.
  error_of([&] { (void)parse("[account.w]\nhost = \"a\"\nhost = \"b\"\n"); }, ErrorCode::Input);
}

TEST_F(ConfigTest, HomeIsExpandedOnlyAtTheStart) {
  const Config config = parse(
      "[account.w]\nhost = \"h.example\"\nuser = \"u\"\nmaildir = \"~\"\nreport = \"/x/~/r\"\n"
      "anchors = [\"~other/a.pem\", \"rel/~/b.pem\"]\ncacert = \"~/ca.pem\"\n");
  const AccountConfig& a = config.accounts[0];
  EXPECT_EQ(a.maildir, home.path());
  EXPECT_EQ(a.report, "/x/~/r");
  EXPECT_EQ(a.anchors, (std::vector<fs::path>{"~other/a.pem", "rel/~/b.pem"}));
  EXPECT_EQ(a.server.cacert, (home.path() / "ca.pem").string());
}

TEST_F(ConfigTest, AccountsInFileOrderAndLookup) {
  const Config config = parse(
      "[account.zeta]\nhost = \"z.example\"\nuser = \"z\"\n"
      "[account.alpha]\nhost = \"a.example\"\nuser = \"a\"\n");
  ASSERT_EQ(config.accounts.size(), 2u);
  EXPECT_EQ(config.accounts[0].name, "zeta");
  EXPECT_EQ(config.accounts[1].name, "alpha");
  EXPECT_EQ(config.account("alpha").user, "a");
  const std::string message = error_of([&] { (void)config.account("beta"); }, ErrorCode::Usage);
  EXPECT_NE(message.find("zeta, alpha"), std::string::npos) << message;
  error_of([&] { (void)parse("").account("x"); }, ErrorCode::Usage);
  EXPECT_TRUE(parse("# nothing yet\n").accounts.empty());
}

TEST_F(ConfigTest, IdUsesTheEffectivePort) {
  AccountConfig a;
  a.user = "alice";
  a.server.host = "Mail.Example.ORG";
  EXPECT_EQ(a.id(), "alice@mail.example.org:995");
  a.server.tls = pop3::TlsMode::StartTls;
  EXPECT_EQ(a.id(), "alice@mail.example.org:110");
  a.server.port = 2110;
  EXPECT_EQ(a.id(), "alice@mail.example.org:2110");
  a.server.host = "::1";
  EXPECT_EQ(a.id(), "alice@[::1]:2110");
}

TEST_F(ConfigTest, DefaultConfigPath) {
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/xdg/config");
    EXPECT_EQ(default_config_path(), fs::path("/xdg/config/smimekit/config.toml"));
  }
  {
    ScopedEnv xdg("XDG_CONFIG_HOME", std::nullopt);
    EXPECT_EQ(default_config_path(), home.path() / ".config/smimekit/config.toml");
  }
  {
    // The XDG Base Directory specification: empty or relative values are ignored.
    ScopedEnv xdg("XDG_CONFIG_HOME", "");
    EXPECT_EQ(default_config_path(), home.path() / ".config/smimekit/config.toml");
    ScopedEnv relative("XDG_CONFIG_HOME", "relative/dir");
    EXPECT_EQ(default_config_path(), home.path() / ".config/smimekit/config.toml");
  }
}

// ---------------------------------------------------------------------------------------
// load_config: the file and its mode

class ConfigFileModeTest : public ::testing::Test {
 protected:
  test::TempDir dir;

  fs::path write(const std::string& text, fs::perms mode) {
    const fs::path path = dir / "config.toml";
    test::write(path, text);
    fs::permissions(path, mode, fs::perm_options::replace);
    return path;
  }

  static constexpr fs::perms k600 = fs::perms::owner_read | fs::perms::owner_write;
  static constexpr fs::perms k644 = k600 | fs::perms::group_read | fs::perms::others_read;

  const std::string plain =
      "[account.w]\nhost = \"h.example\"\nuser = \"u\"\n"
      "password_command = \"pass show w\"\n";
  const std::string with_password =
      "[account.w]\nhost = \"h.example\"\nuser = \"u\"\n"
      "password = \"pass:hunter2\"\n";
};

TEST_F(ConfigFileModeTest, AMissingFileIsNoInput) {
  const std::string message =
      error_of([&] { (void)load_config(dir / "absent.toml"); }, ErrorCode::NoInput);
  EXPECT_NE(message.find("absent.toml"), std::string::npos) << message;
  error_of([&] { (void)load_config(dir.path()); }, ErrorCode::NoInput);
}

TEST_F(ConfigFileModeTest, ReadableFilesWithoutAPasswordAreFine) {
  EXPECT_EQ(load_config(write(plain, k644)).accounts.size(), 1u);
  EXPECT_EQ(load_config(write(plain, k600)).accounts.size(), 1u);
  // env:, file: and fd: say where a password is; they are not one.
  EXPECT_EQ(load_config(write("[account.w]\nhost = \"h.example\"\nuser = \"u\"\n"
                              "password = \"file:/p\"\np12 = \"a.p12\"\np12_password = \"env:X\"\n",
                              k644))
                .accounts.size(),
            1u);
}

TEST_F(ConfigFileModeTest, APasswordInAFileOthersCanReadIsRefused) {
  EXPECT_EQ(load_config(write(with_password, k600)).accounts[0].password, "pass:hunter2");
  for (const fs::perms mode : {k644, k600 | fs::perms::group_read, k600 | fs::perms::others_read}) {
    const fs::path path = write(with_password, mode);
    const std::string message = error_of([&] { (void)load_config(path); }, ErrorCode::Usage);
    EXPECT_NE(message.find("chmod 600 " + path.string()), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
  const fs::path p12 = write(
      "[account.w]\nhost = \"h.example\"\nuser = \"u\"\np12 = \"a.p12\"\n"
      "p12_password = \"pass:demo\"\n",
      k644);
  error_of([&] { (void)load_config(p12); }, ErrorCode::Usage);
}

TEST_F(ConfigFileModeTest, AFileOthersCanChangeIsAlwaysRefused) {
  for (const fs::perms mode : {k644 | fs::perms::group_write, k644 | fs::perms::others_write,
                               k600 | fs::perms::others_write}) {
    const fs::path path = write(plain, mode);
    const std::string message = error_of([&] { (void)load_config(path); }, ErrorCode::Usage);
    EXPECT_NE(message.find("chmod go-w " + path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("password_command"), std::string::npos) << message;
  }
  // Even one without password_command: the next edit could add it.
  error_of([&] { (void)load_config(write("", k600 | fs::perms::group_write)); }, ErrorCode::Usage);
}

TEST_F(ConfigFileModeTest, ADirectoryOthersCanWriteIsRefused) {
  const fs::path path = write(plain, k600);
  const fs::perms open_dir = fs::perms::owner_all | fs::perms::group_all | fs::perms::others_all;
  fs::permissions(dir.path(), open_dir, fs::perm_options::replace);
  const std::string message = error_of([&] { (void)load_config(path); }, ErrorCode::Usage);
  EXPECT_NE(message.find("others can replace it"), std::string::npos) << message;
  EXPECT_NE(message.find("chmod go-w " + dir.path().string()), std::string::npos) << message;
  // Sticky, as /tmp is: others cannot replace what is not theirs.
  fs::permissions(dir.path(), open_dir | fs::perms::sticky_bit, fs::perm_options::replace);
  EXPECT_EQ(load_config(path).accounts.size(), 1u);
  fs::permissions(dir.path(), fs::perms::owner_all, fs::perm_options::replace);
  EXPECT_EQ(load_config(path).accounts.size(), 1u);
}

TEST_F(ConfigFileModeTest, ErrorsInTheFileNameTheFile) {
  const fs::path path =
      write("[account.w]\nhost = \"h.example\"\nuser = \"u\"\ndelet = true\n", k600);
  const std::string message = error_of([&] { (void)load_config(path); }, ErrorCode::Input);
  EXPECT_EQ(message.rfind(path.string() + ":4:", 0), 0u) << message;
  error_of([&] { (void)load_config(write("[account.w\n", k600)); }, ErrorCode::Input);
}

// ---------------------------------------------------------------------------------------
// pop3 URLs

TEST(UrlTest, Pop3sIsTlsFromTheStart) {
  const AccountConfig a = parse_account_url("pop3s://alice@mail.example.org");
  EXPECT_TRUE(a.name.empty());
  EXPECT_EQ(a.server.host, "mail.example.org");
  EXPECT_EQ(a.server.port, 0);
  EXPECT_EQ(a.server.tls, pop3::TlsMode::Implicit);
  EXPECT_EQ(a.user, "alice");
  EXPECT_TRUE(a.mechanisms.empty());
  EXPECT_EQ(a.id(), "alice@mail.example.org:995");
  EXPECT_EQ(parse_account_url("POP3S://alice@mail.example.org:9995/").id(),
            "alice@mail.example.org:9995");
}

TEST(UrlTest, Pop3IsStartTlsNeverPlain) {
  const AccountConfig a = parse_account_url("pop3://bob@127.0.0.1:1110");
  EXPECT_EQ(a.server.tls, pop3::TlsMode::StartTls);
  EXPECT_EQ(a.server.host, "127.0.0.1");
  EXPECT_EQ(a.server.port, 1110);
  EXPECT_EQ(parse_account_url("pop3://bob@pop.example.net").id(), "bob@pop.example.net:110");
  // RFC 2384 spells it pop://; it is upgraded with STLS all the same.
  EXPECT_EQ(parse_account_url("pop://bob@pop.example.net").server.tls, pop3::TlsMode::StartTls);
}

TEST(UrlTest, UserNamesArePercentDecoded) {
  EXPECT_EQ(parse_account_url("pop3s://alice%40example.org@mail.example.org").user,
            "alice@example.org");
  EXPECT_EQ(parse_account_url("pop3s://alice@example.org@mail.example.org").user,
            "alice@example.org");
  EXPECT_EQ(parse_account_url("pop3s://J%C3%BCrgen%20K@h.example").user, "J\xC3\xBCrgen K");
  for (const char* bad :
       {"pop3s://a%4@h.example", "pop3s://a%@h.example", "pop3s://a%zz@h.example"}) {
    error_of([&] { (void)parse_account_url(bad); }, ErrorCode::Usage);
  }
  // CR LF would end the USER command and start one of the URL's choosing.
  error_of([&] { (void)parse_account_url("pop3s://a%0D%0ADELE%201@h.example"); }, ErrorCode::Usage);
  error_of([&] { (void)parse_account_url("pop3s://a%00@h.example"); }, ErrorCode::Usage);
}

TEST(UrlTest, Ipv6Literals) {
  const AccountConfig a = parse_account_url("pop3s://bob@[::1]:2995");
  EXPECT_EQ(a.server.host, "::1");
  EXPECT_EQ(a.server.port, 2995);
  EXPECT_EQ(a.id(), "bob@[::1]:2995");
  EXPECT_EQ(parse_account_url("pop3://bob@[2001:db8::7]").id(), "bob@[2001:db8::7]:110");
  for (const char* bad :
       {"pop3s://bob@[::1", "pop3s://bob@[::1]x", "pop3s://bob@[mail.example]", "pop3s://bob@[]"}) {
    error_of([&] { (void)parse_account_url(bad); }, ErrorCode::Usage);
  }
}

TEST(UrlTest, APasswordInTheUrlIsRefusedAndNotRepeated) {
  for (const char* url : {"pop3s://alice:s3cr3t@mail.example.org",
                          "pop3://alice:s3cr3t@h.example:110", "pop3s://alice:@h.example"}) {
    const std::string message = error_of([&] { (void)parse_account_url(url); }, ErrorCode::Usage);
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
    EXPECT_NE(message.find("process list"), std::string::npos) << message;
  }
}

TEST(UrlTest, OtherSchemesAreRefused) {
  for (const char* url : {"imap://alice@h.example", "imaps://alice@h.example", "https://h.example",
                          "mail.example.org", "alice@mail.example.org", "", "pop3s:alice@h.example",
                          "imap://alice:s3cr3t@h.example"}) {
    const std::string message = error_of([&] { (void)parse_account_url(url); }, ErrorCode::Usage);
    EXPECT_NE(message.find("pop3s://"), std::string::npos) << url << ": " << message;
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  }
}

TEST(UrlTest, Ports) {
  EXPECT_EQ(parse_account_url("pop3s://a@h.example:1").server.port, 1);
  EXPECT_EQ(parse_account_url("pop3s://a@h.example:65535").server.port, 65535);
  // RFC 3986 §3.2.3: an empty port is the default one.
  EXPECT_EQ(parse_account_url("pop3s://a@h.example:").server.port, 0);
  for (const char* bad :
       {"pop3s://a@h.example:0", "pop3s://a@h.example:65536", "pop3s://a@h.example:99999999",
        "pop3s://a@h.example:pop", "pop3s://a@h.example:-1", "pop3s://a@h.example:+995"}) {
    error_of([&] { (void)parse_account_url(bad); }, ErrorCode::Usage);
  }
}

TEST(UrlTest, WhatAPop3UrlCannotHold) {
  for (const char* bad :
       {"pop3s://mail.example.org", "pop3s://@mail.example.org", "pop3s://a@", "pop3s://a@:995",
        "pop3s://a@h.example/INBOX", "pop3s://a@h.example?x=1", "pop3s://a@h.example#f",
        "pop3s://a@h ost.example", "pop3s://a@h.example;x", "pop3s://a;X=1@h.example",
        "pop3s://a;AUTH=not valid@h.example"}) {
    error_of([&] { (void)parse_account_url(bad); }, ErrorCode::Usage);
  }
}

TEST(UrlTest, AuthMechanismOfRfc2384) {
  EXPECT_EQ(parse_account_url("pop3s://a;AUTH=scram-sha-256@h.example").mechanisms,
            std::vector<std::string>{"SCRAM-SHA-256"});
  EXPECT_EQ(parse_account_url("pop3s://a;auth=+APOP@h.example").mechanisms,
            std::vector<std::string>{"APOP"});
  EXPECT_TRUE(parse_account_url("pop3s://a;AUTH=*@h.example").mechanisms.empty());
  EXPECT_EQ(parse_account_url("pop3s://a;AUTH=*@h.example").user, "a");
}

// ---------------------------------------------------------------------------------------
// password_command

TEST(ConfigPasswordCommandTest, TheFirstLineIsThePassword) {
  EXPECT_EQ(run_password_command("echo s3cr3t").reveal(), "s3cr3t");
  EXPECT_EQ(run_password_command("printf 'pw\\r\\nsecond line\\n'").reveal(), "pw");
  EXPECT_EQ(run_password_command("printf 'no line end'").reveal(), "no line end");
  EXPECT_EQ(run_password_command("printf ' spaces kept \\n'").reveal(), " spaces kept ");
  // A shell command line, run by /bin/sh.
  EXPECT_EQ(run_password_command("x=abc; echo \"$x\" | tr a-c A-C").reveal(), "ABC");
  // What goes to standard error is not the password.
  EXPECT_EQ(run_password_command("echo noise >&2; echo pw").reveal(), "pw");
}

TEST(ConfigPasswordCommandTest, FailureIsAnAuthenticationErrorThatHidesTheOutput) {
  std::string message = error_of([] { (void)run_password_command("echo leaked-secret; exit 3"); },
                                 ErrorCode::Authentication);
  EXPECT_NE(message.find("exit status 3"), std::string::npos) << message;
  EXPECT_EQ(message.find("leaked-secret"), std::string::npos) << message;

  message =
      error_of([] { (void)run_password_command("no-such-command-smimekit-test 2>/dev/null"); },
               ErrorCode::Authentication);
  EXPECT_NE(message.find("127"), std::string::npos) << message;

  message = error_of([] { (void)run_password_command("echo leaked-secret; kill -TERM $$"); },
                     ErrorCode::Authentication);
  EXPECT_NE(message.find("signal"), std::string::npos) << message;
  EXPECT_EQ(message.find("leaked-secret"), std::string::npos) << message;
}

TEST(ConfigPasswordCommandTest, NothingPrintedIsAnError) {
  for (const char* command : {"true", "printf '\\n'", "printf '\\r\\nsecond\\n'"}) {
    const std::string message =
        error_of([&] { (void)run_password_command(command); }, ErrorCode::Authentication);
    EXPECT_NE(message.find("no password"), std::string::npos) << command << ": " << message;
  }
}

TEST(ConfigPasswordCommandTest, EndlessOutputIsStopped) {
  const auto start = std::chrono::steady_clock::now();
  error_of([] { (void)run_password_command("yes"); }, ErrorCode::Authentication);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  const std::string message =
      error_of([] { (void)run_password_command("head -c 5000 /dev/zero | tr '\\000' a"); },
               ErrorCode::Authentication);
  EXPECT_NE(message.find("longer than"), std::string::npos) << message;
}

TEST(ConfigPasswordCommandTest, TheRestOfTheOutputIsReadSoTheCommandEndsWell) {
  // A command that prints more after the password must not die of SIGPIPE.
  EXPECT_EQ(run_password_command("echo pw; seq 1 100000").reveal(), "pw");
}

}  // namespace
}  // namespace smimekit

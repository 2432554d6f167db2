// read_secret: pass:, env:, file:, fd: and the errors for bad specs; Secret's move semantics.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "smimekit/error.h"
#include "smimekit/secret.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

using test::TempDir;

ErrorCode error_code_of(std::string_view spec) {
  try {
    (void)read_secret(spec);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "read_secret(\"" << spec << "\") did not throw";
  return ErrorCode::Internal;
}

TEST(SecretSpec, PassGivesTheTextItself) {
  EXPECT_EQ(read_secret("pass:demo").reveal(), "demo");
  // Only the first colon separates the kind from the value.
  EXPECT_EQ(read_secret("pass:a:b:c").reveal(), "a:b:c");
  EXPECT_TRUE(read_secret("pass:").empty());
}

TEST(SecretSpec, EnvReadsTheVariable) {
  ASSERT_EQ(::setenv("SMIMEKIT_UNIT_SECRET", "from the environment", 1), 0);
  EXPECT_EQ(read_secret("env:SMIMEKIT_UNIT_SECRET").reveal(), "from the environment");
  ::unsetenv("SMIMEKIT_UNIT_SECRET");
}

TEST(SecretSpec, EnvOfAnUnsetVariableIsNoInput) {
  ::unsetenv("SMIMEKIT_UNIT_SECRET_UNSET");
  EXPECT_EQ(error_code_of("env:SMIMEKIT_UNIT_SECRET_UNSET"), ErrorCode::NoInput);
  try {
    (void)read_secret("env:SMIMEKIT_UNIT_SECRET_UNSET");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("SMIMEKIT_UNIT_SECRET_UNSET"), std::string::npos)
        << e.what();
  }
}

TEST(SecretSpec, FileReadsTheFirstLineOnly) {
  TempDir dir;
  test::write(dir / "lf", "first line\nsecond line\n");
  test::write(dir / "crlf", "windows\r\nsecond\r\n");
  test::write(dir / "no-newline", "lonely");
  EXPECT_EQ(read_secret("file:" + (dir / "lf").string()).reveal(), "first line");
  EXPECT_EQ(read_secret("file:" + (dir / "crlf").string()).reveal(), "windows");
  EXPECT_EQ(read_secret("file:" + (dir / "no-newline").string()).reveal(), "lonely");
}

TEST(SecretSpec, FileThatDoesNotExistIsNoInput) {
  TempDir dir;
  EXPECT_EQ(error_code_of("file:" + (dir / "missing").string()), ErrorCode::NoInput);
}

TEST(SecretSpec, FdReadsTheFirstLineFromTheDescriptor) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string data = "pw-from-fd\nnot part of it\n";
  ASSERT_EQ(::write(fds[1], data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fds[1]);
  const Secret s = read_secret("fd:" + std::to_string(fds[0]));
  ::close(fds[0]);
  EXPECT_EQ(s.reveal(), "pw-from-fd");
}

TEST(SecretSpec, FdWithoutNewlineReadsToEnd) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "abc", 3), 3);
  ::close(fds[1]);
  const Secret s = read_secret("fd:" + std::to_string(fds[0]));
  ::close(fds[0]);
  EXPECT_EQ(s.reveal(), "abc");
}

TEST(SecretSpec, FdThatIsNotANumberIsUsage) {
  EXPECT_EQ(error_code_of("fd:abc"), ErrorCode::Usage);
  EXPECT_EQ(error_code_of("fd:3x"), ErrorCode::Usage);
  EXPECT_EQ(error_code_of("fd:-1"), ErrorCode::Usage);
  EXPECT_EQ(error_code_of("fd:"), ErrorCode::Usage);
}

TEST(SecretSpec, FdThatIsClosedIsNoInput) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(error_code_of("fd:" + std::to_string(fds[0])), ErrorCode::NoInput);
}

TEST(SecretSpec, PlainTextAndUnknownKindsAreUsage) {
  EXPECT_EQ(error_code_of("demo"), ErrorCode::Usage);
  EXPECT_EQ(error_code_of(""), ErrorCode::Usage);
  EXPECT_EQ(error_code_of("password:demo"), ErrorCode::Usage);
  EXPECT_EQ(error_code_of("PASS:demo"), ErrorCode::Usage);
  EXPECT_EQ(error_code_of("stdin:"), ErrorCode::Usage);
}

TEST(SecretValue, MoveLeavesTheSourceEmpty) {
  Secret a("hunter2");
  Secret b(std::move(a));
  EXPECT_EQ(b.reveal(), "hunter2");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  Secret c;
  c = std::move(b);
  EXPECT_EQ(c.reveal(), "hunter2");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(Secret().empty());
}

TEST(ErrorCodes, HaveShortNames) {
  EXPECT_EQ(error_code_name(ErrorCode::Usage), "usage");
  EXPECT_EQ(error_code_name(ErrorCode::Input), "input");
  EXPECT_EQ(error_code_name(ErrorCode::NoInput), "no-input");
  EXPECT_EQ(error_code_name(ErrorCode::Password), "password");
  EXPECT_EQ(error_code_name(ErrorCode::Limit), "limit");
  const Error e(ErrorCode::Crypto, "boom");
  EXPECT_EQ(e.code(), ErrorCode::Crypto);
  EXPECT_STREQ(e.what(), "boom");
}

}  // namespace
}  // namespace smimekit

// read_file and write_file_atomic.
#include <sys/stat.h>

#include "smimekit/error.h"
#include "smimekit/files.h"
#include "support/test_support.h"
#include "unit/printers.h"

namespace smimekit {
namespace {

TEST(Files, WriteAtomicThenReadBack) {
  test::TempDir dir;
  const std::string data("binary\0data\r\nwith CRLF", 22);
  write_file_atomic(dir / "out.bin", data);
  EXPECT_EQ(read_file(dir / "out.bin"), data);
  write_file_atomic(dir / "out.bin", "replaced");
  EXPECT_EQ(read_file(dir / "out.bin"), "replaced");
  // No temporary file is left beside it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(Files, WriteAtomicAppliesTheMode) {
  test::TempDir dir;
  write_file_atomic(dir / "secret.key", "k", 0600);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Files, ReadMissingIsNoInputAndNamesTheFile) {
  test::TempDir dir;
  try {
    (void)read_file(dir / "missing.eml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NoInput);
    EXPECT_NE(std::string(e.what()).find("missing.eml"), std::string::npos) << e.what();
  }
}

TEST(Files, WriteIntoMissingDirectoryIsIo) {
  test::TempDir dir;
  try {
    write_file_atomic(dir / "no" / "such" / "dir" / "f", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
  }
}

}  // namespace
}  // namespace smimekit

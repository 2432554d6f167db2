#include "smimekit/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "smimekit/error.h"

namespace smimekit {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::NoInput,
                fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(ErrorCode::Io, fmt::format("cannot read {}", path.string()));
  return data;
}

namespace {

[[noreturn]] void io_fail(const std::string& what) {
  throw Error(ErrorCode::Io, fmt::format("{}: {}", what, std::strerror(errno)));
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode) {
  std::random_device rd;
  const std::filesystem::path tmp =
      path.parent_path() / fmt::format(".{}.tmp-{:08x}", path.filename().string(), rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) io_fail(fmt::format("cannot create {}", tmp.string()));
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = saved;
      io_fail(fmt::format("cannot write {}", path.string()));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    io_fail(fmt::format("cannot write {}", path.string()));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    io_fail(fmt::format("cannot rename {} to {}", tmp.string(), path.string()));
  }
}

}  // namespace smimekit

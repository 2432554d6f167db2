// Runs one command and writes its wall time, peak RSS and exit code to a file, for
// fetch_bench.py:
//
//   bench_measure TIMEOUT_SECONDS RESULT_FILE COMMAND [ARGS...]
//
// RESULT_FILE gets one line: "SECONDS MAX_RSS_KIB EXIT_CODE" (EXIT_CODE 128+N for signal N).
//
// Why not measure from Python: a process's ru_maxrss starts at the resident size of the
// memory it was forked with (exec folds the old high-water mark in), so every child of the
// Python interpreter would report at least Python's own ~20 MiB. Forked from this small
// program instead, a client's peak RSS is its own, above a floor of this program's size.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

volatile pid_t g_child = 0;

void forward(int signal_number) {
  if (g_child > 0) ::kill(g_child, signal_number == SIGALRM ? SIGKILL : signal_number);
}

double now() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_measure TIMEOUT_SECONDS RESULT_FILE COMMAND [ARGS...]\n");
    return 64;
  }
  const unsigned timeout = static_cast<unsigned>(std::strtoul(argv[1], nullptr, 10));
  const char* result_file = argv[2];

  struct sigaction action {};
  action.sa_handler = forward;
  sigemptyset(&action.sa_mask);
  for (const int s : {SIGALRM, SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &action, nullptr);

  const double start = now();
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("bench_measure: fork");
    return 71;
  }
  if (child == 0) {
    ::execvp(argv[3], argv + 3);
    std::fprintf(stderr, "bench_measure: cannot run %s: %s\n", argv[3], std::strerror(errno));
    ::_exit(127);
  }
  g_child = child;
  if (timeout > 0) ::alarm(timeout);

  int status = 0;
  rusage usage{};
  while (::wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("bench_measure: wait4");
      return 71;
    }
  }
  const double seconds = now() - start;
  ::alarm(0);

  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::FILE* out = std::fopen(result_file, "w");
  if (out == nullptr) {
    std::fprintf(stderr, "bench_measure: cannot write %s: %s\n", result_file, std::strerror(errno));
    return 73;
  }
  std::fprintf(out, "%.6f %ld %d\n", seconds, usage.ru_maxrss, code);
  if (std::fclose(out) != 0) return 74;
  return code;
}

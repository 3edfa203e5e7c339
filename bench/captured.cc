#include "bench/captured.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>

namespace uringsim::bench {
namespace {

// `name` beside the running uringsim binary, else `built` (where this build put it).
std::string program_beside_self(const std::string& name, const char* built) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.erase(dir.find_last_of('/') + 1);
    if (access((dir + name).c_str(), X_OK) == 0) return dir + name;
  }
  return built != nullptr ? built : name;
}

}  // namespace

std::string bench_client_path() {
#ifdef URINGSIM_BENCH_CLIENT
  return program_beside_self("uringsim_bench_client", URINGSIM_BENCH_CLIENT);
#else
  return program_beside_self("uringsim_bench_client", nullptr);
#endif
}

std::string bench_shim_client_path() {
#ifdef URINGSIM_BENCH_SHIM_CLIENT
  return program_beside_self("uringsim_bench_shim_client", URINGSIM_BENCH_SHIM_CLIENT);
#else
  return program_beside_self("uringsim_bench_shim_client", nullptr);
#endif
}

RowResult run_reporting_client(std::vector<std::string> argv, const Launcher& launch) {
  RowResult r;
  if (access(argv[0].c_str(), X_OK) != 0) {
    r.error = argv[0] + " is not built (build the uringsim_bench target)";
    return r;
  }
  const int out = memfd_create("uringsim-bench-result", 0);
  if (out < 0) {
    r.error = "memfd_create failed";
    return r;
  }
  argv.push_back(std::to_string(out));
  std::string error;
  const int status = launch(argv, &error);
  const std::string text = read_whole_fd(out);
  close(out);
  if (status != 0) {
    r.error = !error.empty() ? error : "the client exited with status " + std::to_string(status);
    return r;
  }
  unsigned long long ops = 0;
  double seconds = 0;
  if (std::sscanf(text.c_str(), "%llu %lf", &ops, &seconds) != 2 || seconds <= 0) {
    r.error = "the client reported nothing: '" + text + "'";
    return r;
  }
  r.ok = true;
  r.ops = ops;
  r.seconds = seconds;
  return r;
}

std::string fio_path() {
  for (const char* p : {"/usr/bin/fio", "/usr/local/bin/fio"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::string read_whole_fd(int fd) {
  std::string s;
  lseek(fd, 0, SEEK_SET);
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

int run_program(const std::vector<std::string>& argv, int out_fd) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    std::vector<char*> a;
    for (const std::string& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace uringsim::bench

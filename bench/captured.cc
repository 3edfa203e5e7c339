#include "bench/captured.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace uringsim::bench {

std::string bench_client_path() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.erase(dir.find_last_of('/') + 1);
    if (access((dir + "uringsim_bench_client").c_str(), X_OK) == 0) return dir + "uringsim_bench_client";
  }
#ifdef URINGSIM_BENCH_CLIENT
  return URINGSIM_BENCH_CLIENT;
#else
  return "uringsim_bench_client";
#endif
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

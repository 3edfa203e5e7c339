// Running a program from a sim test: stdout/stderr captured in memfds (no pipe
// deadlocks, any size), exit status as the shell reports it (128 + N when killed by
// signal N), and `uringsim run` argument lists. Shared by the tests in tests/sim/.
#pragma once

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

namespace uringsim::simtest {

struct Outcome {
  int status = -1;  // exit status, 128 + signal when killed
  std::string out, err;
};

struct RunOptions {
  int stdin_fd = -1;              // the child's stdin, if given
  unsigned time_limit_s = 0;      // SIGALRM after this long (survives exec): a hang fails
  std::vector<std::string> env;   // "NAME=value" entries added to the child's environment
};

// Everything in `fd` from its start.
inline std::string slurp_fd(int fd) {
  std::string s;
  lseek(fd, 0, SEEK_SET);
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

inline Outcome run(const std::vector<std::string>& argv, const RunOptions& opts = {}) {
  Outcome o;
  const int out = memfd_create("out", MFD_CLOEXEC);
  const int err = memfd_create("err", MFD_CLOEXEC);
  const pid_t pid = fork();
  if (pid == 0) {
    if (opts.stdin_fd >= 0) dup2(opts.stdin_fd, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const std::string& e : opts.env) putenv(const_cast<char*>(e.c_str()));
    if (opts.time_limit_s > 0) alarm(opts.time_limit_s);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  o.out = slurp_fd(out);
  o.err = slurp_fd(err);
  close(out);
  close(err);
  return o;
}

// `uringsim run [options] -- argv...` (the CLI built beside the tests).
inline std::vector<std::string> under_sim(std::vector<std::string> argv, std::vector<std::string> options = {}) {
  std::vector<std::string> a{URINGSIM_CLI, "run"};
  a.insert(a.end(), options.begin(), options.end());
  a.push_back("--");
  a.insert(a.end(), argv.begin(), argv.end());
  return a;
}

}  // namespace uringsim::simtest

// Running a program from a sim test: stdout/stderr captured in memfds (no pipe
// deadlocks, any size), exit status as the shell reports it (128 + N when killed by
// signal N), and `uringsim run` argument lists. Shared by the tests in tests/sim/.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
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

// A program running in the background, stdout/stderr going into memfds. wait() reaps
// it and collects its output; destroying it unreaped kills it first.
struct Background {
  pid_t pid = -1;
  int out = -1, err = -1;
  int stdin_writer = -1;  // our end of its stdin when started with stdin_pipe, else -1

  Background() = default;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  Outcome wait() {
    Outcome o;
    if (stdin_writer >= 0) close(stdin_writer);
    stdin_writer = -1;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    pid = -1;
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    o.out = slurp_fd(out);
    o.err = slurp_fd(err);
    close(out);
    close(err);
    return o;
  }
  ~Background() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      wait();
    }
  }
};

// Starts argv in *b. With `stdin_pipe` its stdin is a pipe whose write end is
// b->stdin_writer (closed by wait(), so the program sees EOF then).
inline void start(Background* b, const std::vector<std::string>& argv, const RunOptions& opts = {},
                  bool stdin_pipe = false) {
  b->out = memfd_create("out", MFD_CLOEXEC);
  b->err = memfd_create("err", MFD_CLOEXEC);
  int in[2] = {-1, -1};
  if (stdin_pipe && pipe2(in, O_CLOEXEC) != 0) abort();
  std::fflush(nullptr);  // or the child's exit flushes our buffered output a second time
  b->pid = fork();
  if (b->pid == 0) {
    if (stdin_pipe) dup2(in[0], 0);
    else if (opts.stdin_fd >= 0) dup2(opts.stdin_fd, 0);
    dup2(b->out, 1);
    dup2(b->err, 2);
    for (const std::string& e : opts.env) putenv(const_cast<char*>(e.c_str()));
    if (opts.time_limit_s > 0) alarm(opts.time_limit_s);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  if (stdin_pipe) {
    close(in[0]);
    b->stdin_writer = in[1];
  }
}

// Runs argv to completion.
inline Outcome run(const std::vector<std::string>& argv, const RunOptions& opts = {}) {
  Background b;
  start(&b, argv, opts);
  return b.wait();
}

// `uringsim run [options] -- argv...` (the CLI built beside the tests).
inline std::vector<std::string> under_sim(std::vector<std::string> argv, std::vector<std::string> options = {}) {
  std::vector<std::string> a{URINGSIM_CLI, "run"};
  a.insert(a.end(), options.begin(), options.end());
  a.push_back("--");
  a.insert(a.end(), argv.begin(), argv.end());
  return a;
}

// Why a test that compares a program on the host kernel with the same program under
// `uringsim run` cannot run here (no io_uring on the host, no seccomp user
// notification), or "" when it can. A `uringsim run` that fails for another reason is
// a failure, not a skip: *probe holds that run of `uringsim run -- true` to assert on.
inline std::string host_comparison_unavailable(Outcome* probe) {
  long params[15] = {};  // struct io_uring_params is 120 bytes
  const long fd = syscall(__NR_io_uring_setup, 1, params);
  if (fd < 0) {
    return std::string("io_uring is unavailable on the host kernel (io_uring_setup: ") + std::strerror(errno) +
           "), so there is nothing to compare with";
  }
  close(static_cast<int>(fd));
  *probe = run(under_sim({"true"}));
  if (probe->status == 2 && probe->err.find("seccomp user notification unavailable") != std::string::npos) {
    return "seccomp user notification is unavailable here: " + probe->err;
  }
  return "";
}

// A file's whole content ("" if it cannot be read).
inline std::string read_whole_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// "/var/tmp/uringsim-STEM-PID-TAG": a per-test-process scratch path.
inline std::string scratch_path(const std::string& stem, const std::string& tag) {
  return "/var/tmp/uringsim-" + stem + "-" + std::to_string(getpid()) + "-" + tag;
}

}  // namespace uringsim::simtest

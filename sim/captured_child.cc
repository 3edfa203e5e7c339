#include "sim/captured_child.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sim/seccomp_filter.h"

namespace uringsim::sim {

namespace {

// Exit status of the child when it could not get as far as exec.
constexpr int kChildSetupFailure = 2;

// What the child tells the parent before it execs.
struct ChildReport {
  int ok;         // 1: the listener fd is attached
  int err;        // errno of the step that failed
  char what[96];  // which step
};

bool send_report(int sock, const ChildReport& r, int fd) {
  iovec iov{const_cast<ChildReport*>(&r), sizeof r};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = buf;
    msg.msg_controllen = sizeof buf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  return sendmsg(sock, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof r);
}

// Returns the received fd (or -1) and fills *r; false if nothing sensible arrived.
bool recv_report(int sock, ChildReport* r, int* fd) {
  *fd = -1;
  iovec iov{r, sizeof *r};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof *r)) return false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(fd, CMSG_DATA(c), sizeof *fd);
    }
  }
  return true;
}

[[noreturn]] void child_main(int sock, const std::vector<std::string>& args, const char* who) {
  ChildReport r{};
  const char* what = "";
  int listener = install_io_uring_filter(/*all_threads=*/false, &what);
  if (listener < 0) {
    r.err = errno;
    std::snprintf(r.what, sizeof r.what, "%s", what);
    send_report(sock, r, -1);
    _exit(kChildSetupFailure);
  }
  r.ok = 1;
  if (!send_report(sock, r, listener)) _exit(kChildSetupFailure);
  close(listener);
  // Wait for the parent to be ready (it may still fail, e.g. no notification sizes).
  char go = 0;
  ssize_t n;
  do {
    n = read(sock, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || go != 1) _exit(kChildSetupFailure);
  close(sock);

  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  const int err = errno;
  std::fprintf(stderr, "%s: cannot run %s: %s\n", who, argv[0], std::strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

}  // namespace

int shell_status(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1;
}

bool CapturedChild::spawn(const std::vector<std::string>& argv, const char* who, std::string* error) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *error = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    close(sv[0]);
    close(sv[1]);
    return false;
  }
  if (pid_ == 0) {
    close(sv[0]);
    child_main(sv[1], argv, who);
  }
  close(sv[1]);
  control_ = sv[0];
  ChildReport report{};
  if (!recv_report(control_, &report, &listener_)) {
    *error = "the child died before installing the seccomp filter";
    abandon();
    return false;
  }
  if (!report.ok || listener_ < 0) {
    *error = std::string("seccomp user notification unavailable: ") + report.what + ": " +
             std::strerror(report.err);
    abandon();
    return false;
  }
  return true;
}

bool CapturedChild::start(std::string* error) {
  const char go = 1;
  if (write(control_, &go, 1) != 1) {
    *error = std::string("cannot start the child: ") + std::strerror(errno);
    abandon();
    return false;
  }
  close(control_);
  control_ = -1;
  return true;
}

void CapturedChild::abandon() {
  if (control_ >= 0) close(control_);  // the child reads EOF and exits
  control_ = -1;
  reap();
}

void CapturedChild::reap() {
  if (pid_ <= 0) return;
  int st;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
  pid_ = -1;
}

CapturedChild::~CapturedChild() {
  if (listener_ >= 0) close(listener_);
  if (control_ >= 0) abandon();
}

}  // namespace uringsim::sim

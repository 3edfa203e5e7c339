#include "sim/capture.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

#include "kernel_model/kernel.h"
#include "sim/credentials.h"
#include "sim/process_files.h"
#include "sim/process_memory.h"
#include "sim/ring_memory.h"
#include "sim/wait_policy.h"
#include "uapi/io_uring.h"

// Newer than some installed headers (6.6: synchronous wake-ups between the caller and
// the supervisor, so a round trip stays on one CPU instead of waking an idle one).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace uringsim::sim {

namespace {

constexpr int kSysSetup = 425;
constexpr int kSysEnter = 426;
constexpr int kSysRegister = 427;

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "uringsim run: add this architecture's AUDIT_ARCH_* value"
#endif

int sys_seccomp(unsigned op, unsigned flags, void* args) {
  return static_cast<int>(syscall(SYS_seccomp, op, flags, args));
}
int sys_pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// What the child tells the parent before it execs.
struct ChildReport {
  int ok;         // 1: the listener fd is attached
  int err;        // errno of the step that failed
  char what[96];  // which step
};

// In the child: NO_NEW_PRIVS, then the filter. Returns the listener fd or -1 (errno).
int install_filter(const char** what) {
  // io_uring_setup/enter/register always; mmap only with offset IORING_OFF_CQ_RING
  // (see handle_cq_mmap). Everything else runs untouched. BPF jumps only forward.
  constexpr uint32_t kArgs5Lo = offsetof(seccomp_data, args) + 5 * sizeof(uint64_t);
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "args[5] low word first");
  sock_filter code[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 0, 9),  // else 11: allow
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 4),    // else 8
      /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgs5Lo),
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(IORING_OFF_CQ_RING), 0, 5),
      /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgs5Lo + 4),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 3),            // 10: notify, 11: allow
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kSysSetup, 0, 2),    // else 11
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, kSysRegister, 1, 0), // 11 / 10
      /* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      /* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    *what = "prctl(PR_SET_NO_NEW_PRIVS)";
    return -1;
  }
  // WAIT_KILLABLE_RECV (5.19): once we received a call, a signal to the caller must not
  // abort and restart it -- the model already acted (SQEs consumed), a restarted enter
  // would act twice. Older kernels: fall back to the plain listener.
  int fd = sys_seccomp(SECCOMP_SET_MODE_FILTER,
                       SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                       &prog);
  if (fd < 0 && errno == EINVAL) {
    fd = sys_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  }
  if (fd < 0) *what = "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)";
  return fd;
}

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

[[noreturn]] void child_main(int sock, const std::vector<std::string>& args) {
  ChildReport r{};
  const char* what = "";
  int listener = install_filter(&what);
  if (listener < 0) {
    r.err = errno;
    std::snprintf(r.what, sizeof r.what, "%s", what);
    send_report(sock, r, -1);
    _exit(kRunSetupFailure);
  }
  r.ok = 1;
  if (!send_report(sock, r, listener)) _exit(kRunSetupFailure);
  close(listener);
  // Wait for the parent to be ready (it may still fail, e.g. no notification sizes).
  char go = 0;
  ssize_t n;
  do {
    n = read(sock, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || go != 1) _exit(kRunSetupFailure);
  close(sock);

  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  const int err = errno;
  std::fprintf(stderr, "uringsim run: cannot run %s: %s\n", argv[0], std::strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

const char* syscall_name(int nr) {
  switch (nr) {
    case kSysSetup: return "io_uring_setup";
    case kSysEnter: return "io_uring_enter";
    case kSysRegister: return "io_uring_register";
    default: return "?";
  }
}

// The (st_dev, st_ino) of every file a process holds open or maps.
void collect_references(pid_t pid, std::set<std::pair<dev_t, ino_t>>* out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/fd", static_cast<int>(pid));
  if (DIR* d = opendir(path)) {
    const int dfd = dirfd(d);
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      struct stat st;
      if (fstatat(dfd, e->d_name, &st, 0) == 0) out->emplace(st.st_dev, st.st_ino);
    }
    closedir(d);
  }
  std::snprintf(path, sizeof path, "/proc/%d/maps", static_cast<int>(pid));
  if (FILE* f = std::fopen(path, "re")) {
    char line[512];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      unsigned maj, min;
      unsigned long long ino;
      if (std::sscanf(line, "%*x-%*x %*s %*x %x:%x %llu", &maj, &min, &ino) == 3 && ino != 0) {
        out->emplace(makedev(maj, min), static_cast<ino_t>(ino));
      }
      if (std::strchr(line, '\n') == nullptr) {  // an over-long path: skip the rest
        int c;
        while ((c = std::fgetc(f)) != EOF && c != '\n') {}
      }
    }
    std::fclose(f);
  }
}

// The simulated kernel for one captured process tree.
class Supervisor {
 public:
  Supervisor(const RunOptions& opts, int listener)
      : opts_(opts),
        kernel_(opts.profile != nullptr ? *opts.profile : default_profile(), &ring_memory_),
        listener_(listener) {
    sync_clock(kernel_);
    if (opts_.make_observer) kernel_.set_observer(opts_.make_observer(kernel_));
  }

  ~Supervisor() {
    clients_.clear();
    for (auto& [id, info] : rings_) kernel_.destroy(id);
  }

  // Allocates the notification buffers. False with *error if the kernel won't say.
  bool init(std::string* error) {
    seccomp_notif_sizes sizes{};
    if (sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
      *error = std::string("SECCOMP_GET_NOTIF_SIZES: ") + std::strerror(errno);
      return false;
    }
    req_buf_.assign(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)), 0);
    resp_buf_.assign(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)), 0);
    // Best effort: keeps each round trip on one CPU (6.6+).
    sync_wakeup_ = ioctl(listener_, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                         SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
    return true;
  }

  // Serves until every captured task is gone. Returns PROG's exit status.
  int serve(pid_t prog) {
    int prog_pidfd = sys_pidfd_open(prog);
    bool prog_reaped = false;
    int status = 0;
    std::vector<pollfd> pfds;
    std::vector<pid_t> owners;  // per pfds entry: tgid, -1 for PROG's pidfd, 0 otherwise
    for (;;) {
      pfds.clear();
      owners.clear();
      pfds.push_back({listener_, POLLIN, 0});
      owners.push_back(0);
      if (!prog_reaped && prog_pidfd >= 0) {
        pfds.push_back({prog_pidfd, POLLIN, 0});
        owners.push_back(-1);
      }
      for (auto& [tgid, c] : clients_) {
        if (c->files.pidfd() >= 0) {
          pfds.push_back({c->files.pidfd(), POLLIN, 0});
          owners.push_back(tgid);
        }
      }
      // Files parked requests wait on, and when the next timer or wait deadline is due.
      const size_t fixed_fds = pfds.size();
      const uint64_t wake = add_wanted_fds(pfds, owners);
      timespec ts{};
      timespec* tsp = nullptr;
      if (wake != UINT64_MAX) {
        const uint64_t now = monotonic_ns();
        const uint64_t d = wake > now ? wake - now : 0;
        ts.tv_sec = static_cast<time_t>(d / 1000000000ull);
        ts.tv_nsec = static_cast<long>(d % 1000000000ull);
        tsp = &ts;
      }
      int n = ppoll(pfds.data(), pfds.size(), tsp, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::perror("uringsim run: poll");
        break;
      }
      if (pfds[0].revents & POLLIN) handle_one();
      std::vector<pid_t> exited;
      for (size_t i = 1; i < pfds.size(); ++i) {
        if (owners[i] == 0 || !(pfds[i].revents & (POLLIN | POLLHUP))) continue;
        if (owners[i] == -1) {
          // PROG exited: reap it (a zombie still holds the filter) and keep serving
          // its descendants until the filter has no users left (POLLHUP).
          if (waitpid(prog, &status, WNOHANG) == prog) {
            prog_reaped = true;
            close(prog_pidfd);
            prog_pidfd = -1;
          }
        } else {
          exited.push_back(owners[i]);
        }
      }
      for (pid_t tgid : exited) client_exited(tgid);
      if (!parked_.empty() || wake != UINT64_MAX || pfds.size() > fixed_fds) progress_all();
      if (prog_pidfd < 0 && !prog_reaped && (pfds[0].revents & POLLHUP)) {
        // No pidfd (very old kernel): reap once the listener hangs up.
        while (waitpid(prog, &status, 0) < 0 && errno == EINTR) {}
        prog_reaped = true;
      }
      if (prog_reaped && (pfds[0].revents & (POLLHUP | POLLERR))) break;
    }
    if (opts_.stats) print_stats();
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }

 private:
  struct Client {
    Client(pid_t tgid, MemfdRingMemory* rings) : memory(tgid), files(tgid, rings) {}
    ProcessMemory memory;
    ProcessFiles files;
    Credentials creds;
    bool creds_loaded = false;
  };
  struct RingInfo {
    pid_t owner;
    dev_t dev;
    ino_t ino;
  };

  seccomp_notif* req() { return reinterpret_cast<seccomp_notif*>(req_buf_.data()); }
  seccomp_notif_resp* resp() { return reinterpret_cast<seccomp_notif_resp*>(resp_buf_.data()); }

  Client* client_for(pid_t tid) {
    pid_t tgid;
    auto t = tgid_of_.find(tid);
    if (t != tgid_of_.end()) {
      tgid = t->second;
    } else {
      tgid = thread_group_of(tid);
      if (tgid < 0) return nullptr;
      tgid_of_[tid] = tgid;
    }
    auto it = clients_.find(tgid);
    if (it != clients_.end()) return it->second.get();
    auto c = std::make_unique<Client>(tgid, &ring_memory_);
    if (c->files.pidfd() < 0) return nullptr;  // already gone
    return clients_.emplace(tgid, std::move(c)).first->second.get();
  }

  bool load_creds(Client& c, pid_t tid, pid_t tgid) {
    if (!process_credentials(tid, tgid, &c.creds)) return false;
    if (opts_.memlock) c.creds.memlock_limit = *opts_.memlock;
    c.creds_loaded = true;
    return true;
  }

  bool still_valid(uint64_t id) {
    return ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  }

  void respond(uint64_t id, int64_t ret) {
    seccomp_notif_resp* r = resp();
    std::memset(r, 0, resp_buf_.size());
    r->id = id;
    if (ret < 0) {
      r->error = static_cast<int32_t>(ret);
    } else {
      r->val = ret;
    }
    // ENOENT: the caller died or was interrupted meanwhile; nothing to answer.
    ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, r);
  }

  void handle_one() {
    std::memset(req_buf_.data(), 0, req_buf_.size());
    if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, req()) != 0) return;  // EINTR/ENOENT
    const auto t0 = std::chrono::steady_clock::now();
    const seccomp_notif n = *req();
    const pid_t tid = static_cast<pid_t>(n.pid);
    Client* c = client_for(tid);
    if (c == nullptr) {
      respond(n.id, -ESRCH);
      return;
    }
    const pid_t tgid = c->files.pid();
    c->memory.retarget(tid);  // a zombie leader has no mm: use the calling thread
    const int nr = n.data.nr;
    if (nr == SYS_mmap) {
      handle_cq_mmap(n, *c);
      return;
    }
    if ((nr != kSysEnter || !c->creds_loaded) && !load_creds(*c, tid, tgid)) {
      respond(n.id, -ESRCH);
      return;
    }
    if (nr == kSysSetup) collect_unreferenced_rings();
    // The pid in the notification is only trustworthy while the notification is.
    if (!still_valid(n.id)) return;

    c->files.begin_call();
    c->creds.tid = tid;  // SINGLE_ISSUER: which task submits
    kernel_.set_now(monotonic_ns());  // timeouts count from the model clock
    Caller caller{c->creds, &c->memory, &c->files};
    if (opts_.wrap_caller) opts_.wrap_caller(caller);
    // OPENAT and friends give the client new descriptors through this notification.
    c->files.set_installer([this, id = n.id](int srcfd, bool cloexec) { return add_fd(id, srcfd, cloexec); });
    const __u64* a = n.data.args;
    const int fd = static_cast<int>(static_cast<uint32_t>(a[0]));
    int64_t ret = -ENOSYS;
    bool responded = false;
    bool parked = false;
    switch (nr) {
      case kSysSetup: {
        ret = kernel_.setup(caller, static_cast<uint32_t>(a[0]), a[1]);
        if (ret >= 0) {
          ret = install_ring(n.id, *c, static_cast<RingId>(ret));
          responded = true;
        }
        break;
      }
      case kSysEnter: {
        const uint32_t flags = static_cast<uint32_t>(a[3]);
        EnterResult r = kernel_.enter(caller, fd, static_cast<uint32_t>(a[1]),
                                      static_cast<uint32_t>(a[2]), flags, a[4], a[5]);
        ret = r.ret;
        if (r.must_wait) {
          std::shared_ptr<File> f = c->files.get(fd);
          if (f && f->ring() != kNoRing) {
            // Try once now; otherwise park the notification and keep serving.
            Parked p{n.id, tgid, tid, Wait{f->ring(), r, kernel_.now_ns()}};
            kernel_.progress(caller, p.wait.ring, /*waiting=*/true);
            if (!finish_if_done(p, &ret)) {
              parked_.push_back(p);
              parked = true;
            }
            responded = true;
          }
        }
        break;
      }
      case kSysRegister:
        c->memory.invalidate();  // registration must see current VMAs
        ret = kernel_.do_register(caller, fd, static_cast<uint32_t>(a[1]), a[2],
                                  static_cast<uint32_t>(a[3]));
        break;
    }
    c->files.set_installer(nullptr);
    // Measured before the answer: with synchronous wake-ups SEND switches to the caller
    // and returns only when it blocks again.
    ++calls_;
    service_ns_ += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (!responded) respond(n.id, ret);
    if (opts_.trace) {
      std::fprintf(stderr, "uringsim: pid %d %s(0x%llx, 0x%llx, 0x%llx, 0x%llx) = %s", tid,
                   syscall_name(nr), (unsigned long long)a[0], (unsigned long long)a[1],
                   (unsigned long long)a[2], (unsigned long long)a[3],
                   parked ? "(waiting)" : describe_result(ret).c_str());
      if (ret < 0 && !parked) std::fprintf(stderr, ": %s", kernel_.last_fault().reason.c_str());
      std::fputc('\n', stderr);
    }
  }

  // An enter parked in a GETEVENTS wait: its notification is answered later.
  struct Parked {
    uint64_t id;
    pid_t tgid;
    pid_t tid;
    Wait wait;
  };

  // Host fds the ring's parked requests wait on (the model's File is a HostFile).
  template <class F>
  void for_each_wanted(RingId ring, F&& f) {
    kernel_.for_each_wanted_fd(ring, [&](File& file, uint32_t events) {
      if (file.host_fd() >= 0) f(file.host_fd(), events);
    });
  }

  // Adds the fds parked requests wait on; returns the next model time something is due
  // (a timer, a wait's timeout or min_wait), UINT64_MAX for none.
  uint64_t add_wanted_fds(std::vector<pollfd>& pfds, std::vector<pid_t>& owners) {
    uint64_t wake = UINT64_MAX;
    for (auto& [ring, info] : rings_) {
      if (kernel_.inflight(ring) == 0) continue;
      wake = std::min(wake, kernel_.next_deadline(ring));
      for_each_wanted(ring, [&](int fd, uint32_t events) {
        pfds.push_back({fd, static_cast<short>(events), 0});
        owners.push_back(0);
      });
    }
    for (const Parked& p : parked_) wake = std::min(wake, wait_wake_at(kernel_, p.wait));
    return wake;
  }

  Client* client_of(pid_t tgid) {
    auto it = clients_.find(tgid);
    return it == clients_.end() ? nullptr : it->second.get();
  }

  // Moves every ring with work in flight forward (timers due, fds ready), then answers
  // the parked waits that are over. Linux does this from interrupts and task work,
  // whether or not the program is in a syscall; so do we, from the service loop.
  void progress_all() {
    kernel_.set_now(monotonic_ns());
    for (auto& [ring, info] : rings_) {
      if (kernel_.inflight(ring) == 0) continue;
      const Parked* waiter = nullptr;
      for (const Parked& p : parked_) {
        if (p.wait.ring == ring) waiter = &p;
      }
      Client* c = client_of(waiter != nullptr ? waiter->tgid : info.owner);
      if (c == nullptr) continue;  // nobody left whose memory completions could touch
      if (waiter != nullptr) {
        c->memory.retarget(waiter->tid);
        c->creds.tid = waiter->tid;
      }
      c->files.begin_call();
      Caller caller{c->creds, &c->memory, &c->files};
      if (opts_.wrap_caller) opts_.wrap_caller(caller);
      kernel_.progress(caller, ring, /*waiting=*/waiter != nullptr);
    }
    for (size_t i = 0; i < parked_.size();) {
      Client* c = client_of(parked_[i].tgid);
      if (c == nullptr) {
        parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      int64_t ret;
      if (finish_if_done(parked_[i], &ret)) {
        if (opts_.trace) {
          std::fprintf(stderr, "uringsim: pid %d io_uring_enter wait ended = %s\n", parked_[i].tid,
                       describe_result(ret).c_str());
        }
        parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }

  // Answers `p` if its wait is over (sim/wait_policy.h). Returns whether it answered.
  bool finish_if_done(const Parked& p, int64_t* ret) {
    bool pollable = false;
    for_each_wanted(p.wait.ring, [&](int, uint32_t) { pollable = true; });
    const bool watchable = pollable || kernel_.next_deadline(p.wait.ring) != UINT64_MAX;
    Fault why;
    if (!wait_finished(kernel_, p.wait, watchable, ret, &why)) return false;
    if (opts_.trace && !why.reason.empty()) {
      std::fprintf(stderr, "uringsim: pid %d: %s\n", p.tid, why.reason.c_str());
    }
    respond(p.id, *ret);
    return true;
  }

  // mmap(addr, len, prot, flags, fd, IORING_OFF_CQ_RING). On a single-mmap ring Linux
  // maps the rings region again -- the same pages as IORING_OFF_SQ_RING -- and a memfd
  // cannot alias two of its offsets (sim/ring_memory.h). So when the fd is one of our
  // single-mmap rings and the caller already maps the rings region, the answer is that
  // existing mapping's address: the CQ ring lives at cq_off inside it, exactly as in
  // the pages Linux would have mapped. (A later munmap of the "CQ mapping" unmaps the
  // shared one; liburing-style teardown, which unmaps both, is unaffected.) Anything
  // else -- not a ring, a split-layout ring with a real CQ region, a hint or MAP_FIXED
  // -- is left to the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
  void handle_cq_mmap(const seccomp_notif& n, Client& c) {
    const uint64_t* a = reinterpret_cast<const uint64_t*>(n.data.args);
    const uint64_t addr = a[0], len = a[1], flags = a[3];
    const int fd = static_cast<int>(static_cast<uint32_t>(a[4]));
    c.files.begin_call();
    std::shared_ptr<File> f = c.files.get(fd);
    Context* ctx = (f && f->ring() != kNoRing) ? kernel_.context(f->ring()) : nullptr;
    if (ctx == nullptr || !ctx->ring().layout().single_mmap() || addr != 0 ||
        (flags & MAP_FIXED) != 0) {
      continue_syscall(n.id);
      return;
    }
    auto info = rings_.find(f->ring());
    uint64_t start = 0, end = 0;
    if (info != rings_.end() &&
        find_mapping(static_cast<pid_t>(n.pid), info->second.dev, info->second.ino, &start, &end) &&
        end - start >= len) {
      if (opts_.trace) {
        std::fprintf(stderr,
                     "uringsim: pid %u mmap(IORING_OFF_CQ_RING) of single-mmap ring fd %d = "
                     "0x%llx (its existing IORING_OFF_SQ_RING mapping)\n",
                     n.pid, fd, (unsigned long long)start);
      }
      if (still_valid(n.id)) respond(n.id, static_cast<int64_t>(start));
      return;
    }
    // Not mapped at IORING_OFF_SQ_RING yet: there are no pages we could alias.
    if (opts_.trace) {
      std::fprintf(stderr,
                   "uringsim: pid %u mmap(IORING_OFF_CQ_RING) of single-mmap ring fd %d "
                   "before mapping IORING_OFF_SQ_RING: -ENOMEM (uringsim cannot alias)\n",
                   n.pid, fd);
    }
    respond(n.id, -ENOMEM);
  }

  void continue_syscall(uint64_t id) {
    seccomp_notif_resp* r = resp();
    std::memset(r, 0, resp_buf_.size());
    r->id = id;
    r->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, r);
  }

  // The caller's mapping of (dev, ino) at file offset 0 (IORING_OFF_SQ_RING).
  static bool find_mapping(pid_t pid, dev_t dev, ino_t ino, uint64_t* start, uint64_t* end) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/maps", static_cast<int>(pid));
    FILE* f = std::fopen(path, "re");
    if (f == nullptr) return false;
    char line[512];
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f) != nullptr) {
      unsigned long long s, e, off, i;
      unsigned maj, min;
      if (std::sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &s, &e, &off, &maj, &min, &i) == 6 &&
          off == 0 && makedev(maj, min) == dev && static_cast<ino_t>(i) == ino) {
        *start = s;
        *end = e;
        found = true;
      }
    }
    std::fclose(f);
    return found;
  }

  // Installs a copy of our `srcfd` in the notifying process (its OPENAT result).
  int add_fd(uint64_t id, int srcfd, bool cloexec) {
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = 0;
    addfd.srcfd = static_cast<uint32_t>(srcfd);
    addfd.newfd = 0;
    addfd.newfd_flags = cloexec ? O_CLOEXEC : 0;
    const int newfd = ioctl(listener_, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    return newfd >= 0 ? newfd : -errno;
  }

  // Puts ring `ring`'s memfd into the caller as its io_uring_setup return value.
  int64_t install_ring(uint64_t id, Client& c, RingId ring) {
    const int memfd = ring_memory_.fd(ring);
    struct stat st;
    if (memfd < 0 || fstat(memfd, &st) != 0) {
      kernel_.destroy(ring);
      respond(id, -ENOMEM);
      return -ENOMEM;
    }
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<uint32_t>(memfd);
    addfd.newfd = 0;
    addfd.newfd_flags = O_CLOEXEC;  // Linux's ring fd is O_CLOEXEC (io_uring_install_fd)
    int newfd = ioctl(listener_, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    bool sent = newfd >= 0;
    if (newfd < 0 && errno == EINVAL) {
      // Before 5.14 there is no ADDFD_FLAG_SEND: install, then answer separately.
      addfd.flags = 0;
      newfd = ioctl(listener_, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    }
    if (newfd < 0) {
      const int err = errno;
      kernel_.destroy(ring);
      // With SEND, a failed ADDFD sent nothing: answer the call unless it is gone.
      if (err != ENOENT) respond(id, -err);
      return -err;
    }
    if (!sent) respond(id, newfd);
    c.files.set_ring_fd(newfd, ring);
    rings_[ring] = RingInfo{c.files.pid(), st.st_dev, st.st_ino};
    return newfd;
  }

  void client_exited(pid_t tgid) {
    for (size_t i = 0; i < parked_.size();) {
      if (parked_[i].tgid == tgid) {
        parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    clients_.erase(tgid);
    for (auto it = tgid_of_.begin(); it != tgid_of_.end();) {
      it = it->second == tgid ? tgid_of_.erase(it) : std::next(it);
    }
    collect_unreferenced_rings();
  }

  // Destroys rings no live client holds (fd or mapping) any more.
  void collect_unreferenced_rings() {
    if (rings_.empty()) return;
    std::set<std::pair<dev_t, ino_t>> held;
    for (auto& [tgid, c] : clients_) collect_references(tgid, &held);
    for (auto it = rings_.begin(); it != rings_.end();) {
      if (held.count({it->second.dev, it->second.ino}) != 0) {
        ++it;
        continue;
      }
      const RingId ring = it->first;
      for (auto& [tgid, c] : clients_) c->files.forget_ring(ring);
      kernel_.destroy(ring);
      it = rings_.erase(it);
    }
  }

  void print_stats() {
    std::fprintf(stderr,
                 "uringsim run: %llu io_uring syscalls served, %.1f us mean service time "
                 "(model + checks, excluding the notification round trip); sync wake-up %s; %zu rings left\n",
                 (unsigned long long)calls_, calls_ ? service_ns_ / calls_ / 1000.0 : 0.0,
                 sync_wakeup_ ? "on" : "off", rings_.size());
  }

  const RunOptions& opts_;
  MemfdRingMemory ring_memory_;  // outlives kernel_ (declared first)
  Kernel kernel_;
  int listener_;
  std::vector<char> req_buf_, resp_buf_;
  bool sync_wakeup_ = false;
  std::map<pid_t, std::unique_ptr<Client>> clients_;
  std::unordered_map<pid_t, pid_t> tgid_of_;
  std::map<RingId, RingInfo> rings_;
  std::vector<Parked> parked_;
  uint64_t calls_ = 0;
  double service_ns_ = 0;
};

// SIGTERM/SIGHUP sent to `uringsim run` are meant for the program (a service manager
// stopping it): pass them on, and keep serving until it is gone.
volatile sig_atomic_t g_forward_to = 0;
void forward_signal(int sig) {
  if (g_forward_to > 0) kill(static_cast<pid_t>(g_forward_to), sig);
}

}  // namespace

int run_captured(const RunOptions& opts, std::string* error) {
  if (opts.argv.empty()) {
    *error = "no program given (usage: uringsim run [options] -- PROG ARGS...)";
    return kRunSetupFailure;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    *error = std::string("socketpair: ") + std::strerror(errno);
    return kRunSetupFailure;
  }
  std::fflush(nullptr);
  pid_t child = fork();
  if (child < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    close(sv[0]);
    close(sv[1]);
    return kRunSetupFailure;
  }
  if (child == 0) {
    close(sv[0]);
    child_main(sv[1], opts.argv);
  }
  close(sv[1]);
  auto abandon = [&](const std::string& why) {
    *error = why;
    close(sv[0]);  // the child reads EOF and exits
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
    return kRunSetupFailure;
  };

  ChildReport report{};
  int listener = -1;
  if (!recv_report(sv[0], &report, &listener)) return abandon("the child died before installing the seccomp filter");
  if (!report.ok || listener < 0) {
    return abandon(std::string("seccomp user notification unavailable: ") + report.what + ": " +
                   std::strerror(report.err));
  }
  // Like system(3): ^C and ^\ are for the program; we report how it ended.
  struct sigaction ign{}, old_int{}, old_quit{};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  // Writes and sends the model issues for clients run here: a closed pipe or socket
  // must be an -EPIPE CQE, not the death of the kernel process.
  struct sigaction old_pipe{};
  sigaction(SIGPIPE, &ign, &old_pipe);
  struct sigaction fwd{}, old_term{}, old_hup{};
  fwd.sa_handler = forward_signal;
  sigemptyset(&fwd.sa_mask);
  g_forward_to = child;
  sigaction(SIGTERM, &fwd, &old_term);
  sigaction(SIGHUP, &fwd, &old_hup);
  auto restore_signals = [&]() {
    g_forward_to = 0;
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
    sigaction(SIGPIPE, &old_pipe, nullptr);
  };

  int status;
  {
    Supervisor sup(opts, listener);
    std::string why;
    if (!sup.init(&why)) {
      close(listener);
      restore_signals();
      return abandon("seccomp user notification unavailable: " + why);
    }
    const char go = 1;
    if (write(sv[0], &go, 1) != 1) {
      close(listener);
      restore_signals();
      return abandon(std::string("cannot start the child: ") + std::strerror(errno));
    }
    close(sv[0]);
    status = sup.serve(child);
  }
  close(listener);
  restore_signals();
  return status;
}

}  // namespace uringsim::sim

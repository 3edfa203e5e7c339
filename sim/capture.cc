#include "sim/capture.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
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
#include "sim/captured_child.h"
#include "sim/credentials.h"
#include "sim/process_files.h"
#include "sim/process_memory.h"
#include "sim/sq_poller.h"  // SQPOLL
#include "sim/ring_memory.h"
#include "sim/wait_policy.h"
#include "sim/wakeup_watch.h"  // [poll wakeups]
#include "sim/wait_signals.h"  // signals end parked waits
#include "uapi/io_uring.h"

// Newer than some installed headers (6.6: synchronous wake-ups between the caller and
// the supervisor, so a round trip stays on one CPU instead of waking an idle one).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace uringsim::sim {

namespace {

constexpr int kSysSetup = 425;
constexpr int kSysEnter = 426;
constexpr int kSysRegister = 427;

int sys_seccomp(unsigned op, unsigned flags, void* args) {
  return static_cast<int>(syscall(SYS_seccomp, op, flags, args));
}
int sys_pidfd_open(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

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

// The simulated kernel for captured processes: one Kernel (one clock, one memlock
// account per uid) serving any number of seccomp listeners -- one per captured program
// tree: `uringsim run`'s PROG, or every client of `uringsim serve`. A listener is served
// until its filter has no users left.
class Supervisor {
 public:
  explicit Supervisor(const RunOptions& opts)
      : opts_(opts),
        kernel_(opts.profile != nullptr ? *opts.profile : default_profile(), &ring_memory_) {
    sync_clock(kernel_);
    if (opts_.make_observer) kernel_.set_observer(opts_.make_observer(kernel_));
  }

  ~Supervisor() {
    clients_.clear();
    for (auto& [id, info] : rings_) kernel_.destroy(id);
    for (const Listener& l : listeners_) close(l.fd);
    if (recv_alarm_installed_) sigaction(SIGALRM, &old_alarm_, nullptr);
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
    return true;
  }

  // Serves listener `fd` from now on, and owns it. `untrusted`: it came from a client
  // of `uringsim serve`, which may have kept a copy and race us for its notifications;
  // a RECV on it is bounded in time (see receive()).
  void add_listener(int fd, bool untrusted) {
    // Best effort: keeps each round trip on one CPU (6.6+).
    const bool sync_wakeup =
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
    sync_wakeup_ = (listeners_.empty() || sync_wakeup_) && sync_wakeup;
    if (untrusted && !recv_alarm_installed_) {
      // SIGALRM interrupts a RECV that found nothing (no SA_RESTART: it fails EINTR).
      struct sigaction sa{};
      sa.sa_handler = [](int) {};
      sigemptyset(&sa.sa_mask);
      sigaction(SIGALRM, &sa, &old_alarm_);
      recv_alarm_installed_ = true;
    }
    listeners_.push_back(Listener{fd, untrusted});
  }

  size_t listener_count() const { return listeners_.size(); }

  // One turn of the service loop. Waits (ppoll with `sigmask`) until a listener has a
  // notification, a client exits, a file a parked request waits on is ready, the next
  // timer is due -- or one of the caller's `extra` fds has an event (their revents are
  // filled in for the caller) -- and serves whatever is ready. Returns false if ppoll
  // failed (errno); true otherwise, also when a signal interrupted it (EINTR).
  bool serve_once(std::vector<pollfd>& extra, const sigset_t* sigmask) {
    pfds_.clear();
    owners_.clear();
    for (const Listener& l : listeners_) {
      pfds_.push_back({l.fd, POLLIN, 0});
      owners_.push_back(0);
    }
    const size_t nlisteners = listeners_.size();
    for (auto& [tgid, c] : clients_) {
      if (c->files.pidfd() >= 0) {
        pfds_.push_back({c->files.pidfd(), POLLIN, 0});
        owners_.push_back(tgid);
      }
    }
    // Files parked requests wait on, and when the next timer or wait deadline is due.
    const size_t fixed_fds = pfds_.size();
    const uint64_t wake = add_wanted_fds(pfds_, owners_);
    const size_t first_extra = pfds_.size();
    for (const pollfd& e : extra) {
      pfds_.push_back({e.fd, e.events, 0});
      owners_.push_back(0);
    }
    timespec ts{};
    timespec* tsp = nullptr;
    if (wake != UINT64_MAX) {
      const uint64_t now = monotonic_ns();
      const uint64_t d = wake > now ? wake - now : 0;
      ts.tv_sec = static_cast<time_t>(d / 1000000000ull);
      ts.tv_nsec = static_cast<long>(d % 1000000000ull);
      tsp = &ts;
    }
    if (sq_poller_.busy()) {  // SQPOLL: an awake SQ thread busy-polls (sim/sq_poller.h)
      ts = timespec{};
      tsp = &ts;
    }
    int n = ppoll(pfds_.data(), pfds_.size(), tsp, sigmask);
    if (n < 0) return errno == EINTR;
    for (size_t i = 0; i < extra.size(); ++i) extra[i].revents = pfds_[first_extra + i].revents;
    for (size_t i = 0; i < nlisteners; ++i) {
      if (pfds_[i].revents & POLLIN) handle_one(listeners_[i]);
    }
    exited_.clear();
    for (size_t i = nlisteners; i < fixed_fds; ++i) {
      if (owners_[i] != 0 && (pfds_[i].revents & (POLLIN | POLLHUP))) exited_.push_back(owners_[i]);
    }
    for (pid_t tgid : exited_) client_exited(tgid);
    sq_poller_.tick();  // SQPOLL: the SQ threads' pass, before parked waits are judged
    if (!parked_.empty() || wake != UINT64_MAX || first_extra > fixed_fds) progress_all();
    // A listener hangs up when its filter has no users left: every task it captured has
    // exited and been reaped. Nothing more can arrive on it.
    for (size_t i = nlisteners; i-- > 0;) {
      if (pfds_[i].revents & (POLLHUP | POLLERR)) drop_listener(i);
    }
    return true;
  }

  void print_stats(const char* who) {
    std::fprintf(stderr,
                 "%s: %llu io_uring syscalls served, %.1f us mean service time "
                 "(model + checks, excluding the notification round trip); sync wake-up %s; %zu rings left\n",
                 who, (unsigned long long)calls_, calls_ ? service_ns_ / calls_ / 1000.0 : 0.0,
                 sync_wakeup_ ? "on" : "off", rings_.size());
  }

 private:
  struct Listener {
    int fd;
    bool untrusted;
  };
  // A captured syscall awaiting its answer: the listener it arrived on and its id.
  struct Call {
    int listener;
    uint64_t id;
  };
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

  bool still_valid(Call call) {
    return ioctl(call.listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &call.id) == 0;
  }

  void respond(Call call, int64_t ret) {
    seccomp_notif_resp* r = resp();
    std::memset(r, 0, resp_buf_.size());
    r->id = call.id;
    if (ret < 0) {
      r->error = static_cast<int32_t>(ret);
    } else {
      r->val = ret;
    }
    // ENOENT: the caller died or was interrupted meanwhile; nothing to answer.
    ioctl(call.listener, SECCOMP_IOCTL_NOTIF_SEND, r);
  }

  // SECCOMP_IOCTL_NOTIF_RECV, which blocks until a notification is there. poll said one
  // is; but whoever else holds the listener (a client of `uringsim serve` may keep its
  // copy) can take it first, and the kernel process must not hang on that: for an
  // untrusted listener a 100 ms alarm interrupts the wait (EINTR).
  bool receive(const Listener& l) {
    std::memset(req_buf_.data(), 0, req_buf_.size());
    if (!l.untrusted) return ioctl(l.fd, SECCOMP_IOCTL_NOTIF_RECV, req()) == 0;  // EINTR/ENOENT
    itimerval deadline{};
    deadline.it_value.tv_usec = 100000;
    setitimer(ITIMER_REAL, &deadline, nullptr);
    const bool received = ioctl(l.fd, SECCOMP_IOCTL_NOTIF_RECV, req()) == 0;
    deadline.it_value.tv_usec = 0;
    setitimer(ITIMER_REAL, &deadline, nullptr);
    return received;
  }

  // Serves one notification of listener `l`.
  void handle_one(const Listener& l) {
    if (!receive(l)) return;
    const auto t0 = std::chrono::steady_clock::now();
    const seccomp_notif n = *req();
    const Call call{l.fd, n.id};
    const pid_t tid = static_cast<pid_t>(n.pid);
    Client* c = client_for(tid);
    if (c == nullptr) {
      respond(call, -ESRCH);
      return;
    }
    const pid_t tgid = c->files.pid();
    c->memory.retarget(tid);  // a zombie leader has no mm: use the calling thread
    const int nr = n.data.nr;
    if (nr == SYS_mmap) {
      handle_cq_mmap(call, n, *c);
      return;
    }
    if ((nr != kSysEnter || !c->creds_loaded) && !load_creds(*c, tid, tgid)) {
      respond(call, -ESRCH);
      return;
    }
    if (nr == kSysSetup) collect_unreferenced_rings();
    // The pid in the notification is only trustworthy while the notification is.
    if (!still_valid(call)) return;

    c->files.begin_call();
    c->creds.tid = tid;  // SINGLE_ISSUER: which task submits
    kernel_.set_now(monotonic_ns());  // timeouts count from the model clock
    Caller caller{c->creds, &c->memory, &c->files};
    if (opts_.wrap_caller) opts_.wrap_caller(caller);
    // OPENAT and friends give the client new descriptors through this notification.
    c->files.set_installer([this, call](int srcfd, bool cloexec) { return add_fd(call, srcfd, cloexec); });
    const __u64* a = n.data.args;
    const int fd = static_cast<int>(static_cast<uint32_t>(a[0]));
    int64_t ret = -ENOSYS;
    bool responded = false;
    bool parked = false;
    switch (nr) {
      case kSysSetup: {
        ret = kernel_.setup(caller, static_cast<uint32_t>(a[0]), a[1]);
        if (ret >= 0) {
          ret = install_ring(call, *c, static_cast<RingId>(ret));
          responded = true;
        }
        break;
      }
      case kSysEnter: {
        const uint32_t flags = static_cast<uint32_t>(a[3]);
        deliver_wakeups();  // [poll wakeups]
        EnterResult r = kernel_.enter(caller, fd, static_cast<uint32_t>(a[1]),
                                      static_cast<uint32_t>(a[2]), flags, a[4], a[5]);
        watch_wakeups();  // [poll wakeups] armed before the caller can write again
        ret = r.ret;
        if (r.must_wait) {
          std::shared_ptr<File> f = c->files.get(fd);
          if (f && f->ring() != kNoRing) {
            // Try once now; otherwise park the notification and keep serving.
            Parked p{call, tgid, tid, Wait{f->ring(), r, kernel_.now_ns()}};
            // Signals (sim/wait_signals.h): a sigset may unblock one already pending (the
            // pselect pattern), so look at once; otherwise from the next common tick on.
            p.wait.signal_check_ns = r.sigmask_addr != 0 ? 0 : next_signal_tick(kernel_.now_ns());
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
    if (!responded) respond(call, ret);
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
    Call call;
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

  // [poll wakeups] Before the model looks: the wakeups the host saw (sim/wakeup_watch.h),
  // to the files of every ring.
  void deliver_wakeups() {
    if (!wakeups_.active()) return;
    wakeups_.collect();
    for (auto& [ring, info] : rings_) {
      if (kernel_.inflight(ring) == 0) continue;
      kernel_.for_each_wanted_fd(ring, [this](File& f, uint32_t) { wakeups_.deliver(f); });
    }
  }

  // [poll wakeups] After the model ran: watches the files multishot polls wait on now.
  void watch_wakeups() {
    for (auto& [ring, info] : rings_) {
      if (kernel_.inflight(ring) == 0) continue;
      kernel_.for_each_wanted_fd(ring, [this](File& f, uint32_t) { wakeups_.keep(f); });
    }
    wakeups_.end_round();
  }

  // Adds the fds parked requests wait on; returns the next model time something is due
  // (a timer, a wait's timeout or min_wait), UINT64_MAX for none. A watched multishot
  // poll's file is waited on through the wakeup watch: it may stay readable with
  // nothing new to report.
  uint64_t add_wanted_fds(std::vector<pollfd>& pfds, std::vector<pid_t>& owners) {
    // [poll wakeups] Let go of the files of rings gone meanwhile (a client exited):
    // a watch holds its file open, and a held write end would keep readers from EOF.
    if (wakeups_.active()) watch_wakeups();
    uint64_t wake = UINT64_MAX;
    for (auto& [ring, info] : rings_) {
      if (kernel_.inflight(ring) == 0) continue;
      wake = std::min(wake, kernel_.next_deadline(ring));
      kernel_.for_each_wanted_fd(ring, [&](File& file, uint32_t events) {
        if (file.host_fd() < 0 || (file.wakeup_events() != 0 && file.wakeups_reported())) return;
        pfds.push_back({file.host_fd(), static_cast<short>(events), 0});
        owners.push_back(0);
      });
    }
    if (wakeups_.fd() >= 0) {
      pfds.push_back({wakeups_.fd(), POLLIN, 0});
      owners.push_back(0);
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
    deliver_wakeups();  // [poll wakeups]
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
    watch_wakeups();  // [poll wakeups]
    shared_signals_taken_.clear();  // a new pass of the parked waits (end_if_signalled)
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

  // Answers `p` if its wait is over: a signal ended it (sim/wait_signals.h; looked at
  // when p.wait.signal_check_ns comes) or sim/wait_policy.h says so. Returns whether it
  // answered.
  bool finish_if_done(Parked& p, int64_t* ret) {
    const uint64_t now = kernel_.now_ns();
    if (now >= p.wait.signal_check_ns) {
      p.wait.signal_check_ns = next_signal_tick(now);
      if (end_if_signalled(p, ret)) return true;
    }
    bool pollable = false;
    for_each_wanted(p.wait.ring, [&](int, uint32_t) { pollable = true; });
    const bool watchable = pollable || kernel_.next_deadline(p.wait.ring) != UINT64_MAX;
    Fault why;
    if (!wait_finished(kernel_, p.wait, watchable, ret, &why)) return false;
    if (opts_.trace && !why.reason.empty()) {
      std::fprintf(stderr, "uringsim: pid %d: %s\n", p.tid, why.reason.c_str());
    }
    respond(p.call, *ret);
    return true;
  }

  // Ends `p` if its task has a signal pending that the wait lets through
  // (sim/wait_signals.h): -EINTR, or -EINVAL for what capture cannot simulate. Returns
  // whether it answered.
  bool end_if_signalled(const Parked& p, int64_t* ret) {
    TaskSignals task;
    if (!signals_for_waiter(p.tgid, p.tid, &task)) return false;  // gone: its pidfd tells
    // A process-directed signal wakes one waiter only: the first that took it in this
    // pass of the parked waits.
    uint64_t shared = task.shared_pending;
    for (const auto& [tgid, taken] : shared_signals_taken_) {
      if (tgid == p.tgid) shared &= ~taken;
    }
    const WaitSignal s = signal_ending_wait(task.pending | shared, task.blocked, p.wait.entered);
    if (s.signo == 0) return false;
    if (!(task.pending & signal_bit(s.signo))) shared_signals_taken_.emplace_back(p.tgid, signal_bit(s.signo));
    const char* abbrev = sigabbrev_np(s.signo);
    if (!s.simulated) {
      const Fault why = make_fault(
          EINVAL,
          "io_uring_enter: signal %d (SIG%s) is pending and blocked by task %d; the wait's sigset "
          "unblocks it, so Linux would run its handler during the wait, which cannot be done "
          "from outside the task: not simulated under capture",
          s.signo, abbrev != nullptr ? abbrev : "RT", p.tid);
      *ret = kernel_.wait_done(p.wait.ring, p.wait.entered, -EINVAL);
      if (Observer* o = kernel_.observer()) o->on_syscall_fault("io_uring_enter", why);
      std::fprintf(stderr, "uringsim: pid %d: %s\n", p.tid, why.reason.c_str());
    } else {
      *ret = kernel_.wait_done(p.wait.ring, p.wait.entered, -EINTR);
      if (opts_.trace) {
        std::fprintf(stderr, "uringsim: pid %d io_uring_enter wait interrupted by signal %d (SIG%s) = %s\n",
                     p.tid, s.signo, abbrev != nullptr ? abbrev : "RT", describe_result(*ret).c_str());
      }
    }
    respond(p.call, *ret);
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
  void handle_cq_mmap(Call call, const seccomp_notif& n, Client& c) {
    const uint64_t* a = reinterpret_cast<const uint64_t*>(n.data.args);
    const uint64_t addr = a[0], len = a[1], flags = a[3];
    const int fd = static_cast<int>(static_cast<uint32_t>(a[4]));
    c.files.begin_call();
    std::shared_ptr<File> f = c.files.get(fd);
    Context* ctx = (f && f->ring() != kNoRing) ? kernel_.context(f->ring()) : nullptr;
    if (ctx == nullptr || !ctx->ring().layout().single_mmap() || addr != 0 ||
        (flags & MAP_FIXED) != 0) {
      continue_syscall(call);
      return;
    }
    auto info = rings_.find(f->ring());
    uint64_t start = 0, end = 0;
    if (info != rings_.end() &&
        find_mapping(static_cast<pid_t>(n.pid), info->second.dev, info->second.ino, len, &start, &end)) {
      if (opts_.trace) {
        std::fprintf(stderr,
                     "uringsim: pid %u mmap(IORING_OFF_CQ_RING) of single-mmap ring fd %d = "
                     "0x%llx (its existing IORING_OFF_SQ_RING mapping)\n",
                     n.pid, fd, (unsigned long long)start);
      }
      if (still_valid(call)) respond(call, static_cast<int64_t>(start));
      return;
    }
    // Not mapped at IORING_OFF_SQ_RING yet: there are no pages we could alias.
    if (opts_.trace) {
      std::fprintf(stderr,
                   "uringsim: pid %u mmap(IORING_OFF_CQ_RING) of single-mmap ring fd %d "
                   "before mapping IORING_OFF_SQ_RING: -ENOMEM (uringsim cannot alias)\n",
                   n.pid, fd);
    }
    respond(call, -ENOMEM);
  }

  void continue_syscall(Call call) {
    seccomp_notif_resp* r = resp();
    std::memset(r, 0, resp_buf_.size());
    r->id = call.id;
    r->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(call.listener, SECCOMP_IOCTL_NOTIF_SEND, r);
  }

  // The caller's mapping of (dev, ino) at file offset 0 (IORING_OFF_SQ_RING) that is at
  // least `min_len` long (after RESIZE_RINGS a client may still hold the old, shorter one).
  static bool find_mapping(pid_t pid, dev_t dev, ino_t ino, uint64_t min_len, uint64_t* start, uint64_t* end) {
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
          off == 0 && makedev(maj, min) == dev && static_cast<ino_t>(i) == ino && e - s >= min_len) {
        *start = s;
        *end = e;
        found = true;
      }
    }
    std::fclose(f);
    return found;
  }

  // Installs a copy of our `srcfd` in the notifying process (its OPENAT result).
  int add_fd(Call call, int srcfd, bool cloexec) {
    seccomp_notif_addfd addfd{};
    addfd.id = call.id;
    addfd.flags = 0;
    addfd.srcfd = static_cast<uint32_t>(srcfd);
    addfd.newfd = 0;
    addfd.newfd_flags = cloexec ? O_CLOEXEC : 0;
    const int newfd = ioctl(call.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    return newfd >= 0 ? newfd : -errno;
  }

  // Puts ring `ring`'s memfd into the caller as its io_uring_setup return value.
  int64_t install_ring(Call call, Client& c, RingId ring) {
    const int memfd = ring_memory_.fd(ring);
    struct stat st;
    if (memfd < 0 || fstat(memfd, &st) != 0) {
      kernel_.destroy(ring);
      respond(call, -ENOMEM);
      return -ENOMEM;
    }
    seccomp_notif_addfd addfd{};
    addfd.id = call.id;
    addfd.flags = SECCOMP_ADDFD_FLAG_SEND;
    addfd.srcfd = static_cast<uint32_t>(memfd);
    addfd.newfd = 0;
    addfd.newfd_flags = O_CLOEXEC;  // Linux's ring fd is O_CLOEXEC (io_uring_install_fd)
    int newfd = ioctl(call.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    bool sent = newfd >= 0;
    if (newfd < 0 && errno == EINVAL) {
      // Before 5.14 there is no ADDFD_FLAG_SEND: install, then answer separately.
      addfd.flags = 0;
      newfd = ioctl(call.listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    }
    if (newfd < 0) {
      const int err = errno;
      kernel_.destroy(ring);
      // With SEND, a failed ADDFD sent nothing: answer the call unless it is gone.
      if (err != ENOENT) respond(call, -err);
      return -err;
    }
    if (!sent) respond(call, newfd);
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
    sq_poller_.process_exited(tgid);  // SQPOLL: its SQ threads die with it
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

  // Closes listener `i`, whose filter has no users left; its parked calls (of tasks
  // that are gone) go with it.
  void drop_listener(size_t i) {
    const int fd = listeners_[i].fd;
    for (size_t j = 0; j < parked_.size();) {
      if (parked_[j].call.listener == fd) {
        parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(j));
      } else {
        ++j;
      }
    }
    close(fd);
    listeners_.erase(listeners_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  const RunOptions& opts_;
  MemfdRingMemory ring_memory_;  // outlives kernel_ (declared first)
  Kernel kernel_;
  std::vector<Listener> listeners_;
  std::vector<char> req_buf_, resp_buf_;
  bool sync_wakeup_ = false;
  bool recv_alarm_installed_ = false;
  struct sigaction old_alarm_{};
  // serve_once's poll set, kept between turns so a turn allocates nothing.
  std::vector<pollfd> pfds_;
  WakeupWatch wakeups_;  // [poll wakeups] multishot polls' files (sim/wakeup_watch.h)
  std::vector<pid_t> owners_;  // per pfds_ entry: the client's tgid, 0 for others
  std::vector<pid_t> exited_;
  std::map<pid_t, std::unique_ptr<Client>> clients_;
  std::unordered_map<pid_t, pid_t> tgid_of_;
  std::map<RingId, RingInfo> rings_;
  std::vector<Parked> parked_;
  // Process-directed signals that ended a parked wait in this pass: (tgid, signal bit).
  std::vector<std::pair<pid_t, uint64_t>> shared_signals_taken_;
  uint64_t calls_ = 0;
  double service_ns_ = 0;
  // SQPOLL (sim/sq_poller.h): SQ threads are threads of their ring creator's process.
  SqPoller sq_poller_{kernel_, [this](int32_t tgid, Caller* out) {
                        Client* c = client_of(tgid);
                        if (c == nullptr) return false;
                        c->memory.retarget(tgid);
                        c->files.begin_call();
                        out->memory = &c->memory;
                        out->files = &c->files;
                        if (opts_.wrap_caller) opts_.wrap_caller(*out);
                        return true;
                      }};
};

// SIGTERM/SIGHUP sent to `uringsim run` are meant for the program (a service manager
// stopping it): pass them on, and keep serving until it is gone.
volatile sig_atomic_t g_forward_to = 0;
void forward_signal(int sig) {
  if (g_forward_to > 0) kill(static_cast<pid_t>(g_forward_to), sig);
}

// Serves `sup` until PROG has exited and its filter has no users left (its descendants
// are gone too). Returns PROG's exit status.
int serve_until_prog_exits(Supervisor& sup, pid_t prog) {
  int prog_pidfd = sys_pidfd_open(prog);
  bool prog_reaped = false;
  int status = 0;
  std::vector<pollfd> extra;
  while (!prog_reaped || sup.listener_count() > 0) {
    extra.clear();
    if (!prog_reaped && prog_pidfd >= 0) extra.push_back({prog_pidfd, POLLIN, 0});
    if (!sup.serve_once(extra, nullptr)) {
      std::perror("uringsim run: poll");
      break;
    }
    if (!extra.empty() && (extra[0].revents & (POLLIN | POLLHUP))) {
      // PROG exited: reap it (a zombie still holds the filter) and keep serving its
      // descendants until the filter has no users left (the listener hangs up).
      if (waitpid(prog, &status, WNOHANG) == prog) {
        prog_reaped = true;
        close(prog_pidfd);
        prog_pidfd = -1;
      }
    }
    if (!prog_reaped && prog_pidfd < 0 && sup.listener_count() == 0) {
      // No pidfd (very old kernel): reap once the listener hangs up.
      while (waitpid(prog, &status, 0) < 0 && errno == EINTR) {}
      prog_reaped = true;
    }
  }
  if (prog_pidfd >= 0) close(prog_pidfd);
  return shell_status(status);
}

}  // namespace

int run_captured(const RunOptions& opts, std::string* error) {
  if (opts.argv.empty()) {
    *error = "no program given (usage: uringsim run [options] -- PROG ARGS...)";
    return kRunSetupFailure;
  }
  CapturedChild child;
  if (!child.spawn(opts.argv, "uringsim run", error)) return kRunSetupFailure;
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
  g_forward_to = child.pid();
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
    Supervisor sup(opts);
    std::string why;
    if (!sup.init(&why)) {
      restore_signals();
      child.abandon();
      *error = "seccomp user notification unavailable: " + why;
      return kRunSetupFailure;
    }
    const pid_t prog = child.pid();
    sup.add_listener(child.take_listener(), /*untrusted=*/false);
    if (!child.start(error)) {
      restore_signals();
      return kRunSetupFailure;
    }
    status = serve_until_prog_exits(sup, prog);
    if (opts.stats) sup.print_stats("uringsim run");
  }
  restore_signals();
  return status;
}

struct CaptureKernel::Impl {
  explicit Impl(const RunOptions& opts) : supervisor(opts) {}
  Supervisor supervisor;
};

CaptureKernel::CaptureKernel(const RunOptions& opts) : impl_(std::make_unique<Impl>(opts)) {}
CaptureKernel::~CaptureKernel() = default;
bool CaptureKernel::init(std::string* error) { return impl_->supervisor.init(error); }
void CaptureKernel::add_listener(int listener, bool untrusted) {
  impl_->supervisor.add_listener(listener, untrusted);
}
size_t CaptureKernel::listener_count() const { return impl_->supervisor.listener_count(); }
bool CaptureKernel::serve_once(std::vector<pollfd>& extra, const sigset_t* sigmask) {
  return impl_->supervisor.serve_once(extra, sigmask);
}
void CaptureKernel::print_stats(const char* who) { impl_->supervisor.print_stats(who); }

}  // namespace uringsim::sim

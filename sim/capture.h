// Seccomp capture: run a program whose io_uring syscalls are answered by the model.
//
// `uringsim run -- PROG ARGS...` lands here. We fork; the child sets NO_NEW_PRIVS,
// installs a seccomp filter that turns io_uring_setup/enter/register (425/426/427)
// into SECCOMP_RET_USER_NOTIF (every other syscall runs untouched), hands the listener
// fd to the parent over a socketpair (SCM_RIGHTS) and execs PROG (sim/captured_child.h,
// sim/seccomp_filter.h). The filter is inherited, so PROG's descendants are captured
// too. The parent -- this process -- is
// the simulated kernel for all of them: one service loop receives each notification,
// answers it with the Kernel (client memory through process_vm_readv/writev, client
// fds through pidfd_getfd) and, for io_uring_setup, installs the ring's memfd in the
// caller with SECCOMP_IOCTL_NOTIF_ADDFD (O_CLOEXEC, SECCOMP_ADDFD_FLAG_SEND: the fd
// number is the syscall's return value, atomically).
//
// Lifetimes. A client process is known from its first io_uring syscall; its exit is
// seen on its pidfd. Rings are owned by processes: when a process exits, and before
// every io_uring_setup, rings that no known live process references any more (no fd,
// no mapping of the memfd) are destroyed, returning their pins and memlock charge.
// Known limits: a descendant that never made an io_uring syscall is not known, so a
// ring it alone still holds is destroyed when its creator exits; so is a ring whose
// only reference is an fd in flight in a unix socket (SCM_RIGHTS) at that moment.
//
// Waiting. The model never blocks and the service loop must not either. An enter that
// must wait is parked: its notification stays unanswered while the loop goes on serving,
// polls the host fds parked requests wait on, fires timers at their deadlines (ppoll's
// timeout) and calls Kernel::progress -- so CQEs appear in the shared ring on time even
// when the program is not in a syscall, as with Linux. Parked waits are answered per
// sim/wait_policy.h.
//
// mmap. The filter also traps mmap() with offset IORING_OFF_CQ_RING (and nothing else):
// on a single-mmap ring the answer is the caller's existing IORING_OFF_SQ_RING mapping,
// because a memfd cannot alias the same pages at two offsets (sim/ring_memory.h).
//
// Several listeners. The same loop serves any number of listeners with one Kernel:
// `uringsim serve` (sim/serve.h) adds one per attached client. Clients are told apart by
// thread group: each has its own fd table and memory, so a ring fd number of one is
// nothing to another (-EBADF), while memlock is charged per uid across all of them.
//
// TOCTOU. A notification's pid may die and be reused while we work: the loop checks
// SECCOMP_IOCTL_NOTIF_ID_VALID after reading the request and before touching the
// caller's memory; the response of a dead caller is dropped by the kernel.
#pragma once

#include <poll.h>
#include <signal.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel_model/kernel.h"
#include "kernel_model/profile.h"

namespace uringsim::sim {

struct RunOptions {
  const Profile* profile = nullptr;  // null: default_profile()
  // Overrides the RLIMIT_MEMLOCK the model sees for every client (bytes).
  std::optional<uint64_t> memlock;
  std::vector<std::string> argv;  // PROG ARGS...
  // Print one line per captured syscall to stderr ("uringsim: pid 123 io_uring_enter(...) = 1").
  bool trace = false;
  // Print a summary (calls served, mean service time) to stderr at the end.
  bool stats = false;
  // Observers of the simulated kernel (explain mode, the trace recorder): called once
  // with the Kernel right after it is built; the returned observer (owned by the
  // caller of run_captured) is installed with Kernel::set_observer.
  std::function<Observer*(Kernel&)> make_observer;
  // Called on every Caller the capture builds, before the model sees it (the trace
  // recorder wraps the caller's memory and files here).
  std::function<void(Caller&)> wrap_caller;
};

// Exit status of `uringsim run` when the capture itself failed (not PROG).
inline constexpr int kRunSetupFailure = 2;

// Runs opts.argv under capture and returns PROG's exit status (128 + signal number if
// it was killed). If capture cannot be set up, returns kRunSetupFailure with *error
// set to a sentence ("seccomp user notification unavailable: ...").
int run_captured(const RunOptions& opts, std::string* error);

// The service loop of run_captured as a building block: one simulated Kernel answering
// the notifications of any number of seccomp listeners (sim/seccomp_filter.h), for
// hosts that run their own loop around it (`uringsim serve`).
class CaptureKernel {
 public:
  // Builds the Kernel (opts.profile, memlock, trace, make_observer, wrap_caller; argv
  // is not used).
  explicit CaptureKernel(const RunOptions& opts);
  ~CaptureKernel();  // destroys every ring left, closes the listeners
  CaptureKernel(const CaptureKernel&) = delete;
  CaptureKernel& operator=(const CaptureKernel&) = delete;

  // False with *error if this host cannot serve seccomp notifications.
  bool init(std::string* error);

  // Serves `listener` from now on and owns it; it is closed once its filter has no users
  // left. `untrusted`: a client handed it over and may keep a copy, so a receive on it
  // is bounded in time (the loop then uses SIGALRM: do not use it elsewhere).
  void add_listener(int listener, bool untrusted);
  size_t listener_count() const;

  // One turn of the loop: waits (ppoll with `sigmask`) for any listener, client exit,
  // parked wait or timer -- or an event on one of the caller's `extra` fds, whose
  // revents it fills in -- and serves what is ready. False if ppoll failed (errno);
  // true otherwise, also when a signal interrupted the wait.
  bool serve_once(std::vector<pollfd>& extra, const sigset_t* sigmask);

  // "WHO: N io_uring syscalls served, ..." on stderr.
  void print_stats(const char* who);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uringsim::sim

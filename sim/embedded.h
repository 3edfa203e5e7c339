// EmbeddedKernel: the simulated kernel inside this process, behind syscall-shaped calls.
//
// For tests, benchmarks and programs that want the model with no second process.
// setup() returns a real file descriptor (the ring's memory object) that the caller
// maps with its own mmap() at IORING_OFF_SQ_RING / IORING_OFF_CQ_RING / IORING_OFF_SQES
// exactly as on Linux; enter()/do_register() take that fd. Pointers in arguments are
// this process's addresses and are validated like any client's (a bad pointer is
// -EFAULT, never a crash). Return values use the kernel convention: >= 0 or -errno.
//
// IORING_SETUP_SQPOLL works as on Linux: the first SQPOLL ring starts one real thread
// in this process that runs the simulated SQ threads (Kernel::sqpoll_tick), so SQEs
// are consumed without io_uring_enter, the thread busy-polls for sq_thread_idle and
// then sets IORING_SQ_NEED_WAKEUP. From then on the calls below serialize on a mutex
// with that thread; before, they take no lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "kernel_model/kernel.h"
#include "uapi/io_uring.h"

namespace uringsim::sim {

class EmbeddedKernel {
 public:
  // Credentials default to this process's own (uid, RLIMIT_MEMLOCK, CAP_IPC_LOCK).
  explicit EmbeddedKernel(const Profile& profile = default_profile());
  EmbeddedKernel(const Profile& profile, const Credentials& creds);
  ~EmbeddedKernel();

  int setup(uint32_t entries, io_uring_params* params);
  // A GETEVENTS wait blocks the caller, as on Linux, while something in flight can
  // still complete (a timer, a parked read on a pollable fd); it never blocks forever:
  // when nothing can arrive and there is no timeout it returns what Linux returns when
  // a wait ends and last_fault() explains (sim/wait_policy.h). No syscall on the NOP
  // path: ring fds resolve from a table, the clock is read through the vDSO.
  int enter(int ring_fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
            const void* arg = nullptr, size_t argsz = 0);
  int do_register(int ring_fd, uint32_t opcode, const void* arg, uint32_t nr_args);
  // Closes a ring fd returned by setup(); the ring is destroyed (pins returned).
  int close(int ring_fd);

  Kernel& kernel();
  Credentials& credentials();  // e.g. to drop CAP_IPC_LOCK or set a memlock limit
  const Fault& last_fault() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace uringsim::sim

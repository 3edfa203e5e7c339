// SQPOLL: the submission-queue polling thread (io_uring/sqpoll.c).
//
// With IORING_SETUP_SQPOLL a kernel thread -- a thread of the creating process --
// consumes the SQ: the application writes SQEs, moves the tail and never has to call
// io_uring_enter to submit. io_uring_enter on such a ring submits nothing and returns
// to_submit; IORING_ENTER_SQ_WAKEUP wakes a sleeping thread, IORING_ENTER_SQ_WAIT waits
// for SQ space. After sq_thread_idle without work the thread publishes
// IORING_SQ_NEED_WAKEUP in sq_flags and sleeps. Rings set up with ATTACH_WQ share the
// thread of wq_fd's ring (io_sq_data); the thread then caps each ring at 8 SQEs per
// loop for fairness (IORING_SQPOLL_CAP_ENTRIES_VALUE).
//
// The model has no threads: an SqThread is the state of one such thread, and the host
// runs it by calling Kernel::sqpoll_tick() -- one pass of io_sq_thread's loop over
// every awake thread at the model clock. A host must keep ticking while
// Kernel::sq_threads_awake() (Linux's thread busy-polls the SQ until it goes idle) and
// may sleep once every thread sleeps: only an enter with SQ_WAKEUP (or SQ_WAIT) wakes
// one again. A host that can run SQ threads says so with Kernel::set_sqpoll_host; on
// a Kernel without one, SQPOLL setup fails with EINVAL "not simulated by this host"
// (a replay or a fuzzer that never ticks would otherwise never see its SQEs consumed).
//
// Known differences from Linux: sq_thread_idle is kept in nanoseconds (Linux rounds it
// to jiffies); SQ_AFF checks the cpu against the host's online cpu count
// (Kernel::set_online_cpus), not against the caller's cpuset; IOPOLL is not simulated,
// so there is no iopoll_list to reap; a dead thread does not cancel the requests it
// had submitted (they complete as usual).
#pragma once

#include <cstdint>
#include <vector>

#include "kernel_model/files.h"

namespace uringsim {

struct Caller;

// One SQPOLL thread and the rings it serves (the kernel's io_sq_data).
struct SqThread {
  uint32_t id = 0;
  int32_t tgid = 0;              // the process it is a thread of (sqd->task_tgid)
  int32_t cpu = -1;              // SQ_AFF: the cpu it is pinned to, -1 when not pinned
  std::vector<RingId> rings;     // sqd->ctx_list, newest first (list_add)
  uint64_t idle_ns = 0;          // the largest sq_thread_idle of its rings
  uint64_t idle_deadline_ns = 0; // busy-polls until the model clock passes this
  bool sleeping = false;         // NEED_WAKEUP published, in schedule()
  bool woken = false;            // wake_up() while sleeping: runs at the next tick
  bool alive = true;             // false once its process exited: enter is -EOWNERDEAD
  uint64_t loops = 0;            // passes of the loop it ran (for tests and explain)
  uint64_t submitted = 0;        // SQEs it consumed

  // Whether it will run at the next tick.
  bool awake() const { return alive && (!sleeping || woken); }
};

// What a host gives SQ threads: the process they live in. The thread reads the SQEs'
// buffers and resolves their fds in that process, with the ring creator's credentials
// (ctx->sq_creds), which the model fills in.
class SqpollHost {
 public:
  virtual ~SqpollHost() = default;
  // Fills out->memory and out->files for process `tgid`. False when the process is
  // gone (its rings are then left alone until the host reports the exit).
  virtual bool sq_thread_process(int32_t tgid, Caller* out) = 0;
};

// Linux's default sq_thread_idle (params.sq_thread_idle == 0): HZ jiffies, one second.
inline constexpr uint64_t kDefaultSqThreadIdleNs = 1'000'000'000;
// IORING_SQPOLL_CAP_ENTRIES_VALUE: SQEs per ring per loop when a thread serves several.
inline constexpr uint32_t kSqpollCapEntries = 8;

}  // namespace uringsim

// SqPoller: runs the simulated SQPOLL threads of a kernel process's service loop.
//
// The model's SQ threads (kernel_model/sqpoll.h) run only when the host ticks them.
// The service loop owns one SqPoller and asks it two things per pass:
//  - busy(): while any SQ thread is awake the loop must not sleep in ppoll (timeout 0:
//    poll and come straight back), because Linux's thread busy-polls the SQ for
//    sq_thread_idle and consumes SQEs the program writes without a syscall. This costs
//    one core while a thread is awake -- exactly what SQPOLL costs on Linux. Once every
//    thread sleeps (IORING_SQ_NEED_WAKEUP set) the loop sleeps as before; the
//    program's io_uring_enter(SQ_WAKEUP) is a captured syscall and wakes it.
//  - tick(): one pass of every awake SQ thread at the current time.
// SQ threads are threads of the ring creator's process: `resolve` gives the poller that
// process's memory and files (the model adds the creator's credentials).
#pragma once

#include <cstdint>
#include <functional>

#include "kernel_model/kernel.h"

namespace uringsim::sim {

class SqPoller final : public SqpollHost {
 public:
  // Fills out->memory/files for process tgid; false when it is not (or no longer) known.
  using Resolve = std::function<bool(int32_t tgid, Caller* out)>;

  // Registers itself as `kernel`'s SQPOLL host and tells it the online cpu count.
  SqPoller(Kernel& kernel, Resolve resolve);
  ~SqPoller() override;
  SqPoller(const SqPoller&) = delete;
  SqPoller& operator=(const SqPoller&) = delete;

  // Whether an SQ thread is awake: the service loop must poll without sleeping.
  bool busy() const { return kernel_.sq_threads_awake(); }
  // Moves the model clock to now and runs one pass of every awake SQ thread.
  void tick();
  // Process `tgid` exited: its SQ threads die (enter on their rings is -EOWNERDEAD).
  void process_exited(int32_t tgid) { kernel_.sqpoll_process_exited(tgid); }

  bool sq_thread_process(int32_t tgid, Caller* out) override { return resolve_(tgid, out); }

 private:
  Kernel& kernel_;
  Resolve resolve_;
};

}  // namespace uringsim::sim

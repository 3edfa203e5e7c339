// Signals and the GETEVENTS waits parked under seccomp capture (sim/capture.h).
//
// Linux (io_uring/io_uring.c, io_cqring_wait): the waiting task sleeps interruptibly,
// with its blocked mask replaced by the enter's sigset if it gave one
// (set_user_sigmask). A pending signal that mask does not block ends the wait with
// -EINTR -- not -ERESTARTSYS, so the call is never restarted, SA_RESTART or not -- the
// handler runs on the way out, and the task's own mask comes back after it. A signal
// the wait's mask blocks stays pending and is delivered once the wait ends.
//
// Under capture the task sleeps in seccomp's notification wait instead, which the
// filter makes killable only once we received the call
// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, sim/seccomp_filter.cc: an enter we already
// acted on must never be interrupted and restarted, or its SQEs would be submitted
// twice). So a non-fatal signal neither wakes the task nor tells us anything: it stays
// pending, visible only in /proc/PID/task/TID/status. The supervisor samples that file
// for every parked wait -- every kSignalPollNs, and at once when the enter gave a sigset
// -- and answers with what signal_ending_wait() decides:
//  - a pending signal that neither the wait's sigset nor the task blocks: -EINTR, and
//    the handler runs as the syscall returns -- what Linux gives;
//  - a pending signal the wait's sigset blocks: the wait goes on, and the signal is
//    delivered when it ends -- what Linux gives;
//  - a pending signal the task blocks but the wait's sigset unblocks: Linux runs its
//    handler during the wait. Nothing outside a task can change its blocked mask, so the
//    handler could not run, and answering -EINTR alone would send a pselect-style loop
//    (block SIGX; wait with SIGX unblocked; check the flag the handler sets) spinning
//    on a signal that stays pending forever. Not simulated: -EINVAL and a reason.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "kernel_model/context.h"

namespace uringsim::sim {

// How often a parked wait looks at its task's pending signals: a signal ends a wait
// under capture at most this much later than on Linux. Waits that are not parked cost
// nothing; a parked one costs one /proc read per period.
inline constexpr uint64_t kSignalPollNs = 10'000'000;

// The next check after model time `now_ns`, on a grid common to all parked waits:
// however many are parked, one wake-up per period.
inline constexpr uint64_t next_signal_tick(uint64_t now_ns) { return (now_ns / kSignalPollNs + 1) * kSignalPollNs; }

// Signal N is bit N-1, as in /proc/PID/status and the kernel's sigset_t.
inline constexpr uint64_t signal_bit(int signo) { return uint64_t{1} << (signo - 1); }

// What /proc/PID/task/TID/status says about one task's signals.
struct TaskSignals {
  uint64_t pending = 0;         // SigPnd: sent to this thread
  uint64_t shared_pending = 0;  // ShdPnd: sent to its process
  uint64_t blocked = 0;         // SigBlk
};

// Reads thread `tid` of process `tgid`. False if it is gone (or /proc unreadable).
// Allocates nothing.
bool read_task_signals(pid_t tgid, pid_t tid, TaskSignals* out);

// read_task_signals for a waiting thread, keeping in shared_pending only the signals
// sent to the process that Linux would hand to this thread: a process-directed signal
// goes to the thread group leader unless the leader blocks it (complete_signal), so a
// waiter other than the leader takes one only when the leader blocks it. (Among several
// other threads that do not block it Linux picks one; so does the caller, see
// sim/capture.cc.) False if the thread is gone.
bool signals_for_waiter(pid_t tgid, pid_t tid, TaskSignals* out);

// The outcome of looking at a parked wait's signals.
struct WaitSignal {
  int signo = 0;           // 0: nothing ends the wait
  bool simulated = true;   // false: the not-simulated case above
};

// Decides whether `pending` ends the wait `entered` of a task whose own mask is
// `blocked` (see the rules above). SIGKILL and SIGSTOP cannot be blocked by either mask.
// When several signals qualify the lowest is named, a not-simulated one first.
WaitSignal signal_ending_wait(uint64_t pending, uint64_t blocked, const EnterResult& entered);

}  // namespace uringsim::sim

// How hosts wait when the model says an io_uring_enter must wait (EnterResult::must_wait).
//
// The model never blocks and never reads a clock: it parks requests (timers, requests
// waiting for an fd to become ready) and the host moves the model clock
// (Kernel::set_now), polls the files parked requests want (Kernel::for_each_wanted_fd)
// and calls Kernel::progress. Both hosts follow the same rules, written once here:
//
//  - the wait ends with wait_done(0) as soon as wait_nr CQEs are there (after
//    progress flushed the overflow list), or, with min_wait_usec (6.12), any CQE once
//    that much time has passed;
//  - it ends with wait_done(-ETIME) when EnterResult::deadline_ns passes (EXT_ARG ts);
//  - when nothing can ever arrive -- no request in flight, or in-flight requests the
//    host cannot watch (no pollable fd, no timer) -- and there is no timeout, Linux would
//    block forever (until a signal). No host may do that (the embedded caller would hang,
//    the seccomp service loop serves other clients) and -EINTR would be a lie (no signal
//    came), so the wait ends with wait_done(0) -- what Linux returns when a wait ends --
//    and a note (Fault with err 0) saying Linux would have blocked forever here, for
//    explain mode and traces. With a timeout, the host waits for it: that wait is finite
//    and a program may use it as a sleep.
//
// Signals. A wait parked under seccomp capture also ends when a signal is pending that
// the wait's sigset (EnterResult::sigmask) or, without one, the task's own mask lets
// through: -EINTR, as on Linux (sim/wait_signals.h, which says what cannot be simulated).
// The in-process EmbeddedKernel does not look at signals (signal_check_ns stays
// UINT64_MAX): there a signal to the waiting thread does not end the wait.
#pragma once

#include <cstdint>

#include "kernel_model/context.h"
#include "kernel_model/fault.h"
#include "kernel_model/kernel.h"

namespace uringsim::sim {

// CLOCK_MONOTONIC in nanoseconds (vDSO, not a syscall): what hosts feed Kernel::set_now.
uint64_t monotonic_ns();
// Gives the model the offsets from CLOCK_MONOTONIC to CLOCK_REALTIME / CLOCK_BOOTTIME
// (absolute timeouts on other clocks) and sets its clock to now.
void sync_clock(Kernel& kernel);

// A GETEVENTS wait in progress.
struct Wait {
  RingId ring = kNoRing;
  EnterResult entered;
  uint64_t started_ns = 0;  // model clock when the wait began
  // When to look at the waiting task's pending signals next (sim/wait_signals.h);
  // UINT64_MAX for hosts that do not.
  uint64_t signal_check_ns = UINT64_MAX;
};

// Decides `w` at the model's current time; call after Kernel::progress. `watchable`:
// whether the host has something to watch for this ring (a pollable fd wanted by a
// parked request, or a timer). Returns true, with the enter's final value in *ret, when
// the wait is over; *why is set (err 0) when it ended because it could never end.
bool wait_finished(Kernel& kernel, const Wait& w, bool watchable, int64_t* ret, Fault* why);

// The model time at which `w` must be looked at again even if no fd becomes ready
// (its timeout, its min_wait, the ring's next timer, its next signal check); UINT64_MAX
// for never.
uint64_t wait_wake_at(Kernel& kernel, const Wait& w);

}  // namespace uringsim::sim

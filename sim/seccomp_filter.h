// The seccomp filter that hands a process's io_uring syscalls to a simulated kernel.
//
// One filter for every way a program is captured: `uringsim run` and `uringsim attach`
// install it in the child before exec; libiouringsim.so with URINGSIM_SOCKET installs it
// in the calling process itself. It turns io_uring_setup/enter/register into
// SECCOMP_RET_USER_NOTIF, and mmap(..., IORING_OFF_CQ_RING) too (a single-mmap ring's CQ
// mapping is the SQ mapping again, which a memfd cannot alias: sim/capture.h); every other
// syscall runs untouched. The filter is inherited by children and kept across exec.
#pragma once

namespace uringsim::sim {

// Sets NO_NEW_PRIVS and installs the filter with a new listener (and, where the kernel
// has it, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: a signal must not restart a call the
// model already acted on). `all_threads`: apply it to every thread of the process
// (TSYNC); for a process that may already have threads. Returns the listener fd
// (close-on-exec not set: the caller closes it), or -1 with errno and *what naming the
// step that failed.
int install_io_uring_filter(bool all_threads, const char** what);

}  // namespace uringsim::sim

// Credentials of a real process, as Linux's io_uring would see `current`.
#pragma once

#include <sys/types.h>

#include <string>

#include "kernel_model/accounting.h"

namespace uringsim::sim {

// This process: real uid (whose user_struct Linux charges), RLIMIT_MEMLOCK soft limit,
// CAP_IPC_LOCK in the effective set (capget), pid and mm = getpid().
Credentials self_credentials();

// Another process (or thread) `tid` of thread group `tgid`: real uid and CapEff bit 14
// (CAP_IPC_LOCK) from /proc/TID/status, RLIMIT_MEMLOCK from prlimit(tgid). Returns false
// (and *error) when the process is gone or unreadable.
bool process_credentials(pid_t tid, pid_t tgid, Credentials* out, std::string* error = nullptr);

// The thread-group id of thread `tid` (from /proc/TID/status), or -1.
pid_t thread_group_of(pid_t tid);

}  // namespace uringsim::sim

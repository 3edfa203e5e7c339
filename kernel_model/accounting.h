// Accounting: locked memory per user, the one place memlock is counted.
//
// Linux charges pinned buffer pages (and, on 6.18, the ring memory itself) to
// `user->locked_vm`, shared by every ring and process of one uid, and checks the sum
// against the *calling* process's RLIMIT_MEMLOCK -- unless the ring was created by a
// task with CAP_IPC_LOCK, in which case nothing is charged. Separately, every pin is
// added to the mm's `pinned_vm` (VmPin), for everybody, without a limit.
#pragma once

#include <cstdint>
#include <map>

#include "kernel_model/fault.h"

namespace uringsim {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kUnlimited = ~uint64_t{0};  // RLIM_INFINITY

// Who is making a call, as the kernel would see `current`.
struct Credentials {
  int32_t pid = 0;     // thread-group id (the process)
  int32_t tid = 0;     // the calling thread (SINGLE_ISSUER's "task"); 0 means pid
  uint32_t uid = 0;    // whose locked_vm is charged
  bool cap_ipc_lock = false;
  uint64_t memlock_limit = kUnlimited;  // RLIMIT_MEMLOCK soft limit, bytes
  uint64_t mm = 0;     // identity of the address space (pid of the process for us)
};

class Accounting {
 public:
  // Adds `pages` to uid's locked_vm unless that would exceed `limit_bytes`.
  // Linux's __io_account_mem: -ENOMEM when locked_vm + pages > limit >> PAGE_SHIFT.
  Check charge_locked(uint32_t uid, uint64_t pages, uint64_t limit_bytes, const char* what);
  void uncharge_locked(uint32_t uid, uint64_t pages);
  uint64_t locked_pages(uint32_t uid) const;

  void charge_pinned(uint64_t mm, uint64_t pages) { pinned_[mm] += pages; }
  void uncharge_pinned(uint64_t mm, uint64_t pages);
  uint64_t pinned_pages(uint64_t mm) const;

 private:
  std::map<uint32_t, uint64_t> locked_;  // uid -> pages
  std::map<uint64_t, uint64_t> pinned_;  // mm -> pages
};

}  // namespace uringsim

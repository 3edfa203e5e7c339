#include "sim/seccomp_filter.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "uapi/io_uring.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

namespace uringsim::sim {

namespace {

constexpr uint32_t kSysSetup = 425;
constexpr uint32_t kSysRegister = 427;

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "uringsim: add this architecture's AUDIT_ARCH_* value"
#endif

int sys_seccomp(unsigned op, unsigned long flags, void* args) {
  return static_cast<int>(syscall(SYS_seccomp, op, flags, args));
}

}  // namespace

int install_io_uring_filter(bool all_threads, const char** what) {
  // io_uring_setup/enter/register always; mmap only with offset IORING_OFF_CQ_RING.
  // Everything else runs untouched. BPF jumps only forward.
  constexpr uint32_t kArgs5Lo = offsetof(seccomp_data, args) + 5 * sizeof(uint64_t);
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "args[5] low word first");
  sock_filter code[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 0, 9),  // else 11: allow
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 4),    // else 8
      /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgs5Lo),
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(IORING_OFF_CQ_RING), 0, 5),
      /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgs5Lo + 4),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 3),            // 10: notify, 11: allow
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kSysSetup, 0, 2),    // else 11
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, kSysRegister, 1, 0), // 11 / 10
      /* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      /* 11 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    *what = "prctl(PR_SET_NO_NEW_PRIVS)";
    return -1;
  }
  // TSYNC and NEW_LISTENER both want the return value; TSYNC_ESRCH (5.7) makes a failed
  // thread synchronisation -ESRCH so the return value can be the listener.
  const unsigned long tsync =
      all_threads ? (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH) : 0;
  // WAIT_KILLABLE_RECV (5.19): once we received a call, a signal to the caller must not
  // abort and restart it -- the model already acted (SQEs consumed), a restarted enter
  // would act twice. Older kernels: fall back to the plain listener.
  int fd = sys_seccomp(SECCOMP_SET_MODE_FILTER,
                       SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | tsync,
                       &prog);
  if (fd < 0 && errno == EINVAL) {
    fd = sys_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | tsync, &prog);
  }
  if (fd < 0) *what = "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)";
  return fd;
}

}  // namespace uringsim::sim

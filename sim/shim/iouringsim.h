/* libiouringsim: the io_uring system calls answered by uringsim's simulated kernel.
 *
 * Link a program with -liouringsim (or LD_PRELOAD=libiouringsim.so) and these four
 * functions -- plus syscall(__NR_io_uring_setup / _enter / _register, ...) -- are served
 * by an in-process uringsim::sim::EmbeddedKernel (the default kernel profile, this
 * process's own uid, RLIMIT_MEMLOCK and CAP_IPC_LOCK). They follow libc conventions:
 * the result on success, -1 with errno on failure. Ring fds are real file descriptors
 * (memfds) that the program mmaps at IORING_OFF_SQ_RING / IORING_OFF_CQ_RING /
 * IORING_OFF_SQES exactly as on Linux.
 *
 * Not served here: programs that issue the syscalls inline (Debian's liburing, fio's
 * io_uring_enter) -- run those under `uringsim run`, which captures them with seccomp.
 *
 * URINGSIM_SOCKET=PATH: the calls are answered by the `uringsim serve --socket PATH`
 * process instead (shared with its other clients). On the first call the process
 * attaches itself: NO_NEW_PRIVS, the seccomp filter of `uringsim run` on every thread,
 * its listener sent to the server; then each call is the raw syscall the filter hands
 * to the server. If the server cannot be reached, one line on stderr says why
 * ("libiouringsim: URINGSIM_SOCKET=PATH: cannot connect to uringsim serve at PATH: No
 * such file or directory; ...") and every call fails with ENOSYS -- never the
 * in-process kernel instead.
 *
 * Threads: calls are serialised by one lock; a GETEVENTS wait holds it while it blocks.
 * fork: the child gets a fresh simulated kernel; rings made before the fork are not
 * shared with it (on Linux they are). */
#ifndef URINGSIM_IOURINGSIM_H
#define URINGSIM_IOURINGSIM_H

#include <signal.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct io_uring_params;

int io_uring_setup(unsigned int entries, struct io_uring_params *p);
int io_uring_enter(unsigned int fd, unsigned int to_submit, unsigned int min_complete,
                   unsigned int flags, sigset_t *sig);
int io_uring_enter2(unsigned int fd, unsigned int to_submit, unsigned int min_complete,
                    unsigned int flags, void *arg, size_t argsz);
int io_uring_register(unsigned int fd, unsigned int opcode, void *arg, unsigned int nr_args);

#ifdef __cplusplus
}
#endif

#endif /* URINGSIM_IOURINGSIM_H */

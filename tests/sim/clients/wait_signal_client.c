/* wait_signal_client: what a signal does to a waiting io_uring_enter (liburing).
 *
 * Usage: wait_signal_client MODE
 *   handler         SIGALRM (a 50 ms timer, sent to the process) arrives while
 *                   io_uring_wait_cqe waits; handler installed without SA_RESTART.
 *   restart         the same with SA_RESTART: io_uring_enter is still not restarted.
 *   thread-signal   SIGUSR1 sent to the waiting thread itself (pthread_kill from a
 *                   second thread 50 ms later).
 *   wait-mask-blocks
 *                   SIGALRM is not blocked by the program but by the wait's sigset
 *                   (EXT_ARG, 1 s timeout): the wait times out, the handler runs after.
 *   wait-mask-unblocks
 *                   SIGALRM is blocked by the program and already pending; the wait's
 *                   sigset (enter's plain sig argument) unblocks it.
 *   args            sigset argument checks, with raw syscalls.
 * While waiting, a 5 s IORING_OP_TIMEOUT is in flight, so the wait ends even if the
 * signal never does. Prints one line per step; the 50 ms only makes the call wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_signal(int sig) {
  (void)sig;
  handled++;
}

static const char* name(int ret) {
  switch (ret) {
    case 0: return "0";
    case -EINTR: return "EINTR";
    case -ETIME: return "ETIME";
    case -EINVAL: return "EINVAL";
    case -EFAULT: return "EFAULT";
    case -EAGAIN: return "EAGAIN";
    default: return "other";
  }
}

static void install(int sig, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

static void alarm_in_50ms(void) {
  struct itimerval it;
  memset(&it, 0, sizeof it);
  it.it_value.tv_usec = 50000;
  setitimer(ITIMER_REAL, &it, NULL);
}

/* Something in flight for the wait to wait on: a 5 s timeout, user_data 1. */
static struct __kernel_timespec five_s = {.tv_sec = 5};
static int arm_timeout(struct io_uring* ring) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_timeout(sqe, &five_s, 0, 0);
  sqe->user_data = 1;
  return io_uring_submit(ring);
}

/* After an interrupted wait: the timeout is still in flight and the ring still works. */
static void show_ring_still_works(struct io_uring* ring) {
  struct io_uring_cqe* cqe;
  printf("then: peek %s\n", name(io_uring_peek_cqe(ring, &cqe)));
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_nop(sqe);
  sqe->user_data = 2;
  io_uring_submit(ring);
  int ret = io_uring_wait_cqe(ring, &cqe);
  printf("then: wait_cqe %s, user_data %llu res %d\n", name(ret), ret == 0 ? (unsigned long long)cqe->user_data : 0ull,
         ret == 0 ? cqe->res : 0);
  if (ret == 0) io_uring_cqe_seen(ring, cqe);
}

static pthread_t waiter;
static void* send_usr1_later(void* arg) {
  (void)arg;
  struct timespec t = {.tv_nsec = 50000000};
  nanosleep(&t, NULL);
  pthread_kill(waiter, SIGUSR1);
  return NULL;
}

static long raw_enter(int fd, unsigned submit, unsigned wait, unsigned flags, const void* arg, size_t argsz) {
  long r = syscall(__NR_io_uring_enter, fd, submit, wait, flags, arg, argsz);
  return r < 0 ? -errno : r;
}

static int args(struct io_uring* ring) {
  sigset_t set;
  sigemptyset(&set);
  const int fd = ring->ring_fd;
  /* Looked at only when the call really waits: nothing is in flight here. */
  printf("args: sigset size 16: %s\n", name((int)raw_enter(fd, 0, 1, IORING_ENTER_GETEVENTS, &set, 16)));
  printf("args: sigset at 0x8: %s\n", name((int)raw_enter(fd, 0, 1, IORING_ENTER_GETEVENTS, (void*)8, 8)));
  struct __kernel_timespec ms = {.tv_nsec = 1000000};
  struct io_uring_getevents_arg ext;
  memset(&ext, 0, sizeof ext);
  ext.sigmask = (unsigned long)&set;
  ext.sigmask_sz = 4;
  ext.ts = (unsigned long)&ms;
  const unsigned ext_wait = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
  printf("args: EXT_ARG sigmask_sz 4: %s\n", name((int)raw_enter(fd, 0, 1, ext_wait, &ext, sizeof ext)));
  ext.sigmask_sz = 8;
  ext.sigmask = 8;
  printf("args: EXT_ARG sigmask at 0x8: %s\n", name((int)raw_enter(fd, 0, 1, ext_wait, &ext, sizeof ext)));
  ext.sigmask = (unsigned long)&set;
  printf("args: EXT_ARG good sigmask, 1 ms: %s\n", name((int)raw_enter(fd, 0, 1, ext_wait, &ext, sizeof ext)));
  /* A NOP completes inline: no wait, so the bad size is never looked at. */
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_nop(sqe);
  io_uring_smp_store_release(ring->sq.ktail, ring->sq.sqe_tail);
  ring->sq.sqe_head = ring->sq.sqe_tail;
  printf("args: NOP, then sigset size 16: %ld\n", raw_enter(fd, 1, 1, IORING_ENTER_GETEVENTS, &set, 16));
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: wait_signal_client handler|restart|thread-signal|wait-mask-blocks|wait-mask-unblocks|args\n");
    return 2;
  }
  const char* mode = argv[1];
  struct io_uring ring;
  int ret = io_uring_queue_init(8, &ring, 0);
  if (ret < 0) {
    printf("setup %d\n", ret);
    return 1;
  }
  if (strcmp(mode, "args") == 0) return args(&ring);
  if (arm_timeout(&ring) != 1) return 1;
  struct io_uring_cqe* cqe = NULL;
  if (strcmp(mode, "handler") == 0 || strcmp(mode, "restart") == 0) {
    install(SIGALRM, strcmp(mode, "restart") == 0 ? SA_RESTART : 0);
    alarm_in_50ms();
    ret = io_uring_wait_cqe(&ring, &cqe);
    printf("%s: wait_cqe %s, handler ran %d time(s)\n", mode, name(ret), (int)handled);
    show_ring_still_works(&ring);
  } else if (strcmp(mode, "thread-signal") == 0) {
    install(SIGUSR1, SA_RESTART);
    waiter = pthread_self();
    pthread_t sender;
    pthread_create(&sender, NULL, send_usr1_later, NULL);
    ret = io_uring_wait_cqe(&ring, &cqe);
    printf("%s: wait_cqe %s, handler ran %d time(s)\n", mode, name(ret), (int)handled);
    pthread_join(sender, NULL);
    show_ring_still_works(&ring);
  } else if (strcmp(mode, "wait-mask-blocks") == 0) {
    install(SIGALRM, 0);
    sigset_t wait_mask;
    sigemptyset(&wait_mask);
    sigaddset(&wait_mask, SIGALRM);
    struct __kernel_timespec one_s = {.tv_sec = 1};
    alarm_in_50ms();
    ret = io_uring_wait_cqes(&ring, &cqe, 1, &one_s, &wait_mask);
    printf("%s: wait_cqes %s\n", mode, name(ret));
    /* Delivered as the wait returned, unless the machine was too slow for the alarm to
     * come within the second: then wait for it here, so the output does not depend on it. */
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &old);
    while (!handled) sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("%s: handler ran %d time(s)\n", mode, (int)handled);
  } else if (strcmp(mode, "wait-mask-unblocks") == 0) {
    install(SIGALRM, 0);
    sigset_t alrm, wait_mask;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    raise(SIGALRM);
    sigemptyset(&wait_mask);
    ret = io_uring_wait_cqes(&ring, &cqe, 1, NULL, &wait_mask);
    printf("%s: wait_cqes %s, handler ran %d time(s)\n", mode, name(ret), (int)handled);
  } else {
    fprintf(stderr, "wait_signal_client: unknown mode %s\n", mode);
    return 2;
  }
  io_uring_queue_exit(&ring);
  return 0;
}

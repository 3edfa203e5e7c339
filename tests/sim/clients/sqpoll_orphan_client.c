/* sqpoll_orphan_client: an SQPOLL ring outlives the process that created it.
 *
 * The parent sets up an SQPOLL ring (its SQ thread is a thread of the parent) and
 * forks. The child enters the ring while the parent lives (enter returns to_submit),
 * then tells the parent to exit and, once it is gone, enters again until Linux's
 * answer for a ring whose SQ thread died: -EOWNERDEAD. Prints one line per step;
 * the child's last line is "orphan: after parent exit <errno name or value>".
 * Bounded: gives up after 10 s ("orphan: timeout"). */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void) {
  struct io_uring ring;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SQPOLL;
  p.sq_thread_idle = 10;
  int ret = io_uring_queue_init_params(8, &ring, &p);
  if (ret < 0) {
    printf("orphan: setup %d\n", ret);
    return 1;
  }
  int go[2];
  if (pipe(go) != 0) return 1;
  const pid_t parent = getpid();
  fflush(stdout);
  const pid_t child = fork();
  if (child < 0) return 1;
  if (child > 0) {
    /* Parent: exit once the child entered the ring while we live. */
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) return 1;
    _exit(0);
  }
  close(go[0]);
  ret = io_uring_enter(ring.ring_fd, 1, 0, 0, NULL);
  printf("orphan: while parent lives %d\n", ret);
  fflush(stdout);
  if (write(go[1], "x", 1) != 1) return 1;
  const double until = now_s() + 10;
  while (getppid() == parent) {
    if (now_s() > until) {
      printf("orphan: timeout\n");
      return 1;
    }
    usleep(1000);
  }
  /* The SQ thread dies with its process; how soon it is gone is up to the kernel. */
  for (;;) {
    ret = io_uring_enter(ring.ring_fd, 1, 0, 0, NULL);
    if (ret == -EOWNERDEAD) break;
    if (now_s() > until) {
      printf("orphan: timeout (last %d)\n", ret);
      return 1;
    }
    usleep(1000);
  }
  printf("orphan: after parent exit %s\n", ret == -EOWNERDEAD ? "EOWNERDEAD" : strerror(-ret));
  return 0;
}

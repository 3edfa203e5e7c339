/* poll_wakeups_test's client: a multishot POLL_ADD on a pipe counts wakeups, not
 * levels. Prints what each step reaped; the test runs it on the host kernel and
 * under `uringsim run` and wants the same lines.
 *
 *   poll_wakeups_client plain   a plain ring: each write, then a wait -> one CQE each
 *   poll_wakeups_client defer   SINGLE_ISSUER|DEFER_TASKRUN: three writes before one
 *                               wait -> one CQE; two writes drained before the wait
 *                               -> none
 * Only sequences whose outcome does not depend on scheduling: under capture the
 * wakeups of writes made while the simulator is not running may merge. */
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char* what, int err) {
  fprintf(stderr, "%s: %s\n", what, strerror(err < 0 ? -err : err));
  return 1;
}

/* Reaps every CQE there is and prints them on one line after `label`. */
static void print_cqes(struct io_uring* ring, const char* label) {
  struct io_uring_cqe* cqe;
  int n = 0;
  printf("%s:", label);
  while (io_uring_peek_cqe(ring, &cqe) == 0) {
    printf(" {ud=%llu res=%d more=%d}", (unsigned long long)cqe->user_data, cqe->res,
           (cqe->flags & IORING_CQE_F_MORE) ? 1 : 0);
    io_uring_cqe_seen(ring, cqe);
    ++n;
  }
  if (n == 0) printf(" none");
  printf("\n");
}

int main(int argc, char** argv) {
  const int defer = argc > 1 && strcmp(argv[1], "defer") == 0;
  struct io_uring ring;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  if (defer) p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int ret = io_uring_queue_init_params(8, &ring, &p);
  if (ret < 0) return fail("io_uring_queue_init_params", ret);
  int pfd[2];
  if (pipe(pfd) != 0) return fail("pipe", 1);
  char buf[64];

  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_poll_multishot(sqe, pfd[0], POLLIN);
  io_uring_sqe_set_data64(sqe, 1);
  if ((ret = io_uring_submit(&ring)) != 1) return fail("submit", ret);
  print_cqes(&ring, "armed");

  for (int i = 0; i < 3; ++i) {
    if (write(pfd[1], "a", 1) != 1) return fail("write", 1);
    if ((ret = io_uring_submit_and_wait(&ring, 1)) < 0) return fail("submit_and_wait", ret);
    char label[32];
    snprintf(label, sizeof label, "write %d", i);
    print_cqes(&ring, label);
  }
  if ((ret = io_uring_get_events(&ring)) < 0) return fail("get_events", ret);
  print_cqes(&ring, "idle");

  if (defer) {
    for (int i = 0; i < 3; ++i) {
      if (write(pfd[1], "b", 1) != 1) return fail("write", 1);
    }
    if ((ret = io_uring_submit_and_wait(&ring, 1)) < 0) return fail("submit_and_wait", ret);
    print_cqes(&ring, "three writes, one wait");
    if (read(pfd[0], buf, sizeof buf) != 6) return fail("read", 1);
    if (write(pfd[1], "cd", 2) != 2 || write(pfd[1], "e", 1) != 1) return fail("write", 1);
    if (read(pfd[0], buf, sizeof buf) != 3) return fail("read", 1);
    if ((ret = io_uring_get_events(&ring)) < 0) return fail("get_events", ret);
    print_cqes(&ring, "drained before the wait");
  }

  close(pfd[1]);
  if ((ret = io_uring_submit_and_wait(&ring, 1)) < 0) return fail("submit_and_wait", ret);
  print_cqes(&ring, "writer closed");

  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_poll_remove(sqe, 1);
  io_uring_sqe_set_data64(sqe, 2);
  if ((ret = io_uring_submit_and_wait(&ring, 2)) < 0) return fail("submit_and_wait", ret);
  print_cqes(&ring, "removed");
  io_uring_queue_exit(&ring);
  close(pfd[0]);
  return 0;
}

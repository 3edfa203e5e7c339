/* uring_timeout: requests that complete later, not inline -- a READ on an empty pipe
 * that a child fills 30 ms later, an IORING_OP_TIMEOUT of 100 ms, and finally a wait
 * with a 20 ms timeout that nothing satisfies.
 *
 *   uring_timeout */
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  struct io_uring ring;
  int ret = io_uring_queue_init(8, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "uring_timeout: io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    struct timespec d = {0, 30 * 1000 * 1000};
    nanosleep(&d, NULL);
    if (write(p[1], "hello", 5) != 5) _exit(1);
    _exit(0);
  }

  char buf[64] = {0};
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
  io_uring_prep_read(sqe, p[0], buf, sizeof buf, 0);
  io_uring_sqe_set_data64(sqe, 1);
  struct __kernel_timespec ts = {0, 100 * 1000 * 1000};
  sqe = io_uring_get_sqe(&ring);
  io_uring_prep_timeout(sqe, &ts, 0, 0);
  io_uring_sqe_set_data64(sqe, 2);
  ret = io_uring_submit(&ring);
  printf("uring_timeout: submitted %d\n", ret);

  for (int i = 0; i < 2; i++) {
    struct io_uring_cqe *cqe;
    ret = io_uring_wait_cqe(&ring, &cqe);
    if (ret < 0) {
      fprintf(stderr, "uring_timeout: io_uring_wait_cqe: %s\n", strerror(-ret));
      return 1;
    }
    if (cqe->user_data == 1) {
      printf("uring_timeout: READ completed: res %d, \"%.*s\"\n", cqe->res,
             cqe->res > 0 ? cqe->res : 0, buf);
    } else {
      printf("uring_timeout: TIMEOUT completed: res %d (%s)\n", cqe->res,
             cqe->res < 0 ? strerror(-cqe->res) : "count reached");
    }
    io_uring_cqe_seen(&ring, cqe);
  }

  struct io_uring_cqe *cqe;
  struct __kernel_timespec wait = {0, 20 * 1000 * 1000};
  ret = io_uring_wait_cqe_timeout(&ring, &cqe, &wait);
  printf("uring_timeout: wait with nothing in flight: %s\n", ret < 0 ? strerror(-ret) : "a CQE?");

  int status;
  waitpid(child, &status, 0);
  io_uring_queue_exit(&ring);
  return 0;
}

/* uring_nop_ping: submits N NOPs through liburing, checks every CQE, prints a summary.
 *
 *   uring_nop_ping [N [BATCH]] [-t]
 *
 * stdout is deterministic (the same on Linux and under `uringsim run`); -t adds the
 * time per NOP on stderr. */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  unsigned long n = 1000, batch = 8;
  int timing = 0, pos = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-t") == 0) timing = 1;
    else if (pos++ == 0) n = strtoul(argv[i], NULL, 0);
    else batch = strtoul(argv[i], NULL, 0);
  }
  if (batch == 0 || batch > 64) batch = 8;

  struct io_uring ring;
  int ret = io_uring_queue_init(64, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "uring_nop_ping: io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }
  printf("uring_nop_ping: ring with %u SQ entries, %u CQ entries\n", ring.sq.ring_entries,
         ring.cq.ring_entries);

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long submitted = 0, completed = 0, errors = 0, out_of_order = 0;
  while (completed < n) {
    while (submitted < n && submitted - completed < batch) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      if (sqe == NULL) break;
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data64(sqe, submitted + 1);
      submitted++;
    }
    ret = io_uring_submit_and_wait(&ring, 1);
    if (ret < 0) {
      fprintf(stderr, "uring_nop_ping: io_uring_submit_and_wait: %s\n", strerror(-ret));
      return 1;
    }
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      if (cqe->res != 0) errors++;
      if (cqe->user_data != completed + seen + 1) out_of_order++;
      seen++;
    }
    io_uring_cq_advance(&ring, seen);
    completed += seen;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("uring_nop_ping: %lu NOPs submitted, %lu completed, %lu errors, %lu out of order\n",
         submitted, completed, errors, out_of_order);
  if (timing) {
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    fprintf(stderr, "uring_nop_ping: batch %lu: %.0f ns per NOP (%.2f Mops/s)\n", batch,
            ns / (double)n, (double)n / ns * 1e3);
  }
  io_uring_queue_exit(&ring);
  return errors || out_of_order ? 1 : 0;
}

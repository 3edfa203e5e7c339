/* overflow_reaper_client: submits NOPs with io_uring_submit (no wait) and only then
 * reaps them with io_uring_wait_cqe. When the CQEs went to the kernel's overflow list
 * instead of the CQ, the CQ is empty and IORING_SQ_CQ_OVERFLOW is set: liburing's
 * wait enters with IORING_ENTER_GETEVENTS, which flushes the list. The program checks
 * every CQE arrives, in submission order, and says whether it ever saw the flag.
 *
 *   overflow_reaper_client [ROUNDS [PER_ROUND]]     (PER_ROUND <= 8)
 *
 * stdout is one line; exit status 1 on any missing, failed or out-of-order CQE. */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 8;
  unsigned per_round = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 4;
  if (per_round == 0 || per_round > 8) per_round = 4;
  struct io_uring ring;
  int ret = io_uring_queue_init(8, &ring, 0);
  if (ret < 0) {
    fprintf(stderr, "overflow_reaper_client: io_uring_queue_init: %s\n", strerror(-ret));
    return 1;
  }
  unsigned long long submitted = 0, reaped = 0;
  int flag_seen = 0;
  for (unsigned r = 0; r < rounds; r++) {
    for (unsigned i = 0; i < per_round; i++) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data64(sqe, ++submitted);
    }
    ret = io_uring_submit(&ring);
    if (ret != (int)per_round) {
      fprintf(stderr, "overflow_reaper_client: io_uring_submit: %d\n", ret);
      return 1;
    }
    if (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW) flag_seen = 1;
    for (unsigned i = 0; i < per_round; i++) {
      struct io_uring_cqe *cqe;
      ret = io_uring_wait_cqe(&ring, &cqe);
      if (ret < 0) {
        fprintf(stderr, "overflow_reaper_client: io_uring_wait_cqe: %s\n", strerror(-ret));
        return 1;
      }
      if (cqe->res != 0 || cqe->user_data != reaped + 1) {
        fprintf(stderr, "overflow_reaper_client: CQE user_data %llu res %d, expected user_data %llu res 0\n",
                (unsigned long long)cqe->user_data, cqe->res, reaped + 1);
        return 1;
      }
      reaped++;
      io_uring_cqe_seen(&ring, cqe);
    }
  }
  printf("overflow_reaper_client: %llu NOPs submitted, %llu reaped in order, overflow flag seen: %s\n", submitted,
         reaped, flag_seen ? "yes" : "no");
  io_uring_queue_exit(&ring);
  return 0;
}

/* uringsim_bench_client: the program the `seccomp` rows of `uringsim bench` run under
 * capture. It does what bench/nop_linux.cc does -- NOPs through Debian's liburing,
 * which issues io_uring_enter inline, on a plain or an IORING_SETUP_SQPOLL ring -- and
 * writes "OPS SECONDS" (the timed loop only) to file descriptor RESULT_FD.
 *
 *   uringsim_bench_client nop|sqpoll OPS BATCH RESULT_FD
 *
 * Exit status 0 when every user_data came back once with res 0. */
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/clients/nop_client_args.h"

int main(int argc, char **argv) {
  struct nop_client_args args;
  if (parse_nop_client_args(argc, argv, "uringsim_bench_client", &args) != 0) return 2;
  const uint64_t ops = args.ops;
  const unsigned batch = args.batch;
  const int result_fd = args.result_fd;
  struct io_uring ring;
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  if (args.sqpoll) params.flags = IORING_SETUP_SQPOLL; /* sq_thread_idle 0: Linux's 1 s */
  int ret = io_uring_queue_init_params(batch > 128 ? batch : 128, &ring, &params);
  if (ret < 0) {
    fprintf(stderr, "uringsim_bench_client: io_uring_queue_init_params: %s\n", strerror(-ret));
    return 1;
  }
  uint64_t done = 0, check = 0;
  double start = now_s();
  while (done < ops) {
    for (unsigned i = 0; i < batch; i++) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
      io_uring_prep_nop(sqe);
      sqe->user_data = done + i;
    }
    ret = io_uring_submit_and_wait(&ring, batch);
    /* SQPOLL: liburing counts SQEs the SQ thread consumed but has not yet moved the
     * head past (bench/nop_linux.cc). */
    if (args.sqpoll ? ret < (int)batch : ret != (int)batch) {
      fprintf(stderr, "uringsim_bench_client: io_uring_submit_and_wait returned %d\n", ret);
      return 1;
    }
    unsigned head, seen = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      check += cqe->user_data + (uint64_t)cqe->res;
      seen++;
    }
    io_uring_cq_advance(&ring, seen);
    done += seen;
  }
  double seconds = now_s() - start;
  io_uring_queue_exit(&ring);
  if (check != done * (done - 1) / 2) {
    fprintf(stderr, "uringsim_bench_client: CQEs did not match the SQEs\n");
    return 1;
  }
  dprintf(result_fd, "%llu %.9f\n", (unsigned long long)done, seconds);
  return 0;
}

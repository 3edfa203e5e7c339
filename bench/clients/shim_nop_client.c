/* uringsim_bench_shim_client: the program the nop/shim row of `uringsim bench` runs. It is
 * linked with libiouringsim.so, so io_uring_setup/io_uring_enter below are the shim's
 * (an in-process simulated kernel behind libc-style functions), not Linux's. Debian's
 * liburing issues its syscalls inline and would bypass the shim, so the ring is driven
 * by hand, the way nop_embedded does it, with the same loop as nop_linux: BATCH NOPs per
 * io_uring_enter(GETEVENTS), all reaped before the next batch. Writes "OPS SECONDS" (the
 * timed loop only) to file descriptor RESULT_FD.
 *
 *   uringsim_bench_shim_client nop OPS BATCH RESULT_FD
 *
 * Exit status 0 when every user_data came back once with res 0. */
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/clients/nop_client_args.h"
#include "sim/shim/iouringsim.h"

int main(int argc, char **argv) {
  struct nop_client_args args;
  if (parse_nop_client_args(argc, argv, "uringsim_bench_shim_client", &args) != 0) return 2;
  if (args.sqpoll) {
    fprintf(stderr, "uringsim_bench_shim_client: only the nop mode is implemented\n");
    return 2;
  }
  const uint64_t ops = args.ops;
  const unsigned batch = args.batch;
  const int result_fd = args.result_fd;

  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = io_uring_setup(batch > 128 ? batch : 128, &p);
  if (fd < 0) {
    perror("uringsim_bench_shim_client: io_uring_setup");
    return 1;
  }
  /* One mapping for both rings (FEAT_SINGLE_MMAP), as liburing does. */
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t rings_len = sq_len > cq_len ? sq_len : cq_len;
  uint8_t *rings = mmap(NULL, rings_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                        IORING_OFF_SQ_RING);
  struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
                                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                                   IORING_OFF_SQES);
  if (rings == MAP_FAILED || sqes == MAP_FAILED) {
    perror("uringsim_bench_shim_client: mmap");
    return 1;
  }
  _Atomic uint32_t *sq_tail = (_Atomic uint32_t *)(rings + p.sq_off.tail);
  uint32_t *sq_array = (uint32_t *)(rings + p.sq_off.array);
  const uint32_t sq_mask = *(uint32_t *)(rings + p.sq_off.ring_mask);
  _Atomic uint32_t *cq_head = (_Atomic uint32_t *)(rings + p.cq_off.head);
  _Atomic uint32_t *cq_tail = (_Atomic uint32_t *)(rings + p.cq_off.tail);
  const uint32_t cq_mask = *(uint32_t *)(rings + p.cq_off.ring_mask);
  struct io_uring_cqe *cqes = (struct io_uring_cqe *)(rings + p.cq_off.cqes);
  for (uint32_t i = 0; i < p.sq_entries; i++) sq_array[i] = i;

  uint64_t done = 0, check = 0;
  double start = now_s();
  while (done < ops) {
    uint32_t tail = atomic_load_explicit(sq_tail, memory_order_relaxed);
    for (unsigned i = 0; i < batch; i++) {
      struct io_uring_sqe *sqe = &sqes[(tail + i) & sq_mask];
      memset(sqe, 0, sizeof *sqe);
      sqe->opcode = IORING_OP_NOP;
      sqe->user_data = done + i;
    }
    atomic_store_explicit(sq_tail, tail + batch, memory_order_release);
    int ret = io_uring_enter((unsigned)fd, batch, batch, IORING_ENTER_GETEVENTS, NULL);
    if (ret != (int)batch) {
      fprintf(stderr, "uringsim_bench_shim_client: io_uring_enter returned %d\n", ret);
      return 1;
    }
    uint32_t head = atomic_load_explicit(cq_head, memory_order_relaxed);
    const uint32_t end = atomic_load_explicit(cq_tail, memory_order_acquire);
    for (; head != end; head++) {
      const struct io_uring_cqe *cqe = &cqes[head & cq_mask];
      check += cqe->user_data + (uint64_t)cqe->res;
      done++;
    }
    atomic_store_explicit(cq_head, head, memory_order_release);
  }
  double seconds = now_s() - start;
  close(fd);
  if (check != done * (done - 1) / 2) {
    fprintf(stderr, "uringsim_bench_shim_client: CQEs did not match the SQEs\n");
    return 1;
  }
  dprintf(result_fd, "%llu %.9f\n", (unsigned long long)done, seconds);
  return 0;
}

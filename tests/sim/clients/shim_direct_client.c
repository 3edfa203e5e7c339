/* shim_direct_client: a program linked directly with libiouringsim.so through its
 * header (sim/shim/iouringsim.h), no LD_PRELOAD: setup, a bad pointer, a probe, a NOP. */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/shim/iouringsim.h"

int main(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = io_uring_setup(4, &p);
  if (fd < 0) {
    perror("io_uring_setup");
    return 1;
  }
  errno = 0;
  int r = io_uring_setup(4, (struct io_uring_params *)16);
  printf("setup with params=16: %d (%s)\n", r, strerror(errno));
  struct io_uring_probe *probe = calloc(1, sizeof(*probe) + 256 * sizeof(struct io_uring_probe_op));
  r = io_uring_register(fd, IORING_REGISTER_PROBE, probe, 256);
  printf("probe: %d, NOP supported: %d\n", r,
         probe->ops_len > IORING_OP_NOP && (probe->ops[IORING_OP_NOP].flags & IO_URING_OP_SUPPORTED));

  size_t len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  if (sq_len > len) len = sq_len;
  unsigned char *rings = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
  struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
                                   PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQES);
  if (rings == MAP_FAILED || sqes == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  memset(&sqes[0], 0, sizeof sqes[0]);
  sqes[0].opcode = IORING_OP_NOP;
  sqes[0].user_data = 42;
  ((unsigned *)(rings + p.sq_off.array))[0] = 0;
  atomic_store_explicit((_Atomic unsigned *)(rings + p.sq_off.tail), 1, memory_order_release);
  r = io_uring_enter(fd, 1, 1, IORING_ENTER_GETEVENTS, NULL);
  struct io_uring_cqe *cqe = (struct io_uring_cqe *)(rings + p.cq_off.cqes);
  printf("enter: %d, cqe user_data %llu res %d\n", r, (unsigned long long)cqe[0].user_data, cqe[0].res);
  return 0;
}

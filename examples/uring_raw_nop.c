/* uring_raw_nop: io_uring without liburing, written the way 5.1-era programs were:
 * three raw syscalls and three mmap()s -- the SQ ring, the CQ ring (mapped separately
 * even though 6.18 reports IORING_FEAT_SINGLE_MMAP) and the SQE array -- then N NOPs.
 *
 *   uring_raw_nop [N] */
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int die(const char *what) {
  perror(what);
  return 1;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 10;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = (int)syscall(__NR_io_uring_setup, 8, &p);
  if (fd < 0) return die("io_uring_setup");

  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  uint8_t *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                     IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return die("mmap SQ ring");
  uint8_t *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                     IORING_OFF_CQ_RING);
  if (cq == MAP_FAILED) return die("mmap CQ ring");
  struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
                                   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                                   IORING_OFF_SQES);
  if (sqes == MAP_FAILED) return die("mmap SQEs");

  _Atomic uint32_t *sq_tail = (_Atomic uint32_t *)(sq + p.sq_off.tail);
  uint32_t *sq_array = (uint32_t *)(sq + p.sq_off.array);
  uint32_t sq_mask = *(uint32_t *)(sq + p.sq_off.ring_mask);
  _Atomic uint32_t *cq_head = (_Atomic uint32_t *)(cq + p.cq_off.head);
  _Atomic uint32_t *cq_tail = (_Atomic uint32_t *)(cq + p.cq_off.tail);
  uint32_t cq_mask = *(uint32_t *)(cq + p.cq_off.ring_mask);
  struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

  unsigned ok = 0;
  for (unsigned i = 0; i < n; i++) {
    uint32_t tail = atomic_load_explicit(sq_tail, memory_order_relaxed);
    uint32_t idx = tail & sq_mask;
    memset(&sqes[idx], 0, sizeof sqes[idx]);
    sqes[idx].opcode = IORING_OP_NOP;
    sqes[idx].user_data = 1000 + i;
    sq_array[idx] = idx;
    atomic_store_explicit(sq_tail, tail + 1, memory_order_release);
    int ret = (int)syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (ret != 1) {
      fprintf(stderr, "io_uring_enter returned %d\n", ret);
      return 1;
    }
    uint32_t head = atomic_load_explicit(cq_head, memory_order_relaxed);
    if (atomic_load_explicit(cq_tail, memory_order_acquire) == head) {
      fprintf(stderr, "no CQE after NOP %u\n", i);
      return 1;
    }
    struct io_uring_cqe *cqe = &cqes[head & cq_mask];
    if (cqe->res == 0 && cqe->user_data == 1000 + i) ok++;
    atomic_store_explicit(cq_head, head + 1, memory_order_release);
  }
  printf("uring_raw_nop: %u entries, SINGLE_MMAP %s, CQ ring mapped separately, %u/%u NOPs ok\n",
         p.sq_entries, (p.features & IORING_FEAT_SINGLE_MMAP) ? "yes" : "no", ok, n);
  close(fd);
  return ok == n ? 0 : 1;
}
